package password

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Blocklist is a set of forbidden passwords, compared without regard to
// case or surrounding spaces. It is never changed after it is built, so it
// is safe for concurrent use. A nil *Blocklist is empty.
type Blocklist struct {
	words map[string]struct{}
}

// NewBlocklist builds a blocklist from words. Each is trimmed of spaces;
// empty entries and entries starting with '#' (comments) are skipped, so a
// password that starts with '#' cannot be listed.
func NewBlocklist(words []string) *Blocklist {
	b := &Blocklist{words: make(map[string]struct{}, len(words))}
	for _, w := range words {
		b.add(w)
	}
	return b
}

func (b *Blocklist) add(w string) {
	w = strings.TrimSpace(w)
	if w == "" || strings.HasPrefix(w, "#") {
		return
	}
	b.words[strings.ToLower(w)] = struct{}{}
}

// maxBlocklistLine bounds one line of a blocklist file; no password is
// longer than MaxLengthLimit characters of four bytes.
const maxBlocklistLine = 4 * MaxLengthLimit

// LoadBlocklist reads a blocklist file: one password a line, '#' starts a
// comment line. Errors name the file.
func LoadBlocklist(path string) (*Blocklist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password blocklist: %w", err) // *PathError names the file
	}
	defer f.Close()
	b := &Blocklist{words: make(map[string]struct{})}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), maxBlocklistLine+2)
	line := 0
	for sc.Scan() {
		line++
		b.add(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("password blocklist %s: after line %d: %w", path, line, err)
	}
	return b, nil
}

// Contains reports whether pw is on the list.
func (b *Blocklist) Contains(pw string) bool {
	if b == nil {
		return false
	}
	_, ok := b.words[strings.ToLower(strings.TrimSpace(pw))]
	return ok
}

// Len is the number of forbidden passwords.
func (b *Blocklist) Len() int {
	if b == nil {
		return 0
	}
	return len(b.words)
}
