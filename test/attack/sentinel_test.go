package attack

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sentinelTime is the distinctive modification time of every sentinel
// entry: a reply that shows it has read the sentinel.
var sentinelTime = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// sentinelSize is the distinctive size of the sentinel's secret file.
const sentinelSize = 7919

// sentinel is a directory outside every jail whose content no client may
// ever read, and whose entries no client may ever change.
type sentinel struct {
	dir     string
	content string // a token found only inside the secret file
	name    string // a token found only in a file name
}

// plantSentinel fills dir with "secret.txt" (the token, padded to
// sentinelSize), a file whose name is a second token, a subdirectory and
// an empty directory, all dated sentinelTime.
func plantSentinel(t *testing.T, dir string) *sentinel {
	t.Helper()
	s := &sentinel{dir: dir, content: "SENTINEL-CONTENT-" + randomToken(), name: "hidden-" + randomToken()}
	body := s.content + strings.Repeat(".", sentinelSize-len(s.content))
	files := map[string]string{
		"secret.txt":       body,
		s.name + ".txt":    "x",
		"inner/deeper.txt": s.content,
		"inner/" + s.name:  "y",
		"emptydir/keep":    "",
	}
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	// An empty directory: the one thing RMD could remove.
	if err := os.MkdirAll(filepath.Join(dir, "emptydir"), 0o750); err != nil {
		t.Fatal(err)
	}
	// Date everything, deepest first, so that no later change moves a
	// directory's time.
	var all []string
	filepath.WalkDir(dir, func(p string, _ fs.DirEntry, _ error) error { all = append(all, p); return nil })
	slices.Reverse(all)
	for _, p := range all {
		if err := os.Chtimes(p, sentinelTime, sentinelTime); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// leaks reports which of the sentinel's secrets text reveals.
func (s *sentinel) leaks(text string) []string {
	var found []string
	for _, secret := range []string{s.content, s.name} {
		if strings.Contains(text, secret) {
			found = append(found, secret)
		}
	}
	return found
}

func randomToken() string { return rand.Text() }

// snapshot describes every entry below a directory by type, mode, size,
// modification time and content (or link target), so that any change
// shows.
type snapshot map[string]string

// takeSnapshot describes dir, leaving out the top-level entries in skip.
func takeSnapshot(t *testing.T, dir string, skip ...string) snapshot {
	t.Helper()
	s := snapshot{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if slices.Contains(skip, rel) {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		desc := fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		switch {
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" %x", sha256.Sum256(data))
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc += " -> " + target
		}
		s[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// diff lists the entries that differ between two snapshots.
func (s snapshot) diff(later snapshot) []string {
	var out []string
	for k, v := range s {
		if w, ok := later[k]; !ok {
			out = append(out, "removed "+k)
		} else if w != v {
			out = append(out, "changed "+k+": "+v+" => "+w)
		}
	}
	for k := range later {
		if _, ok := s[k]; !ok {
			out = append(out, "added "+k)
		}
	}
	slices.Sort(out)
	return out
}

// hostFileState describes a host file outside the test's directory (such
// as /etc/passwd) by size and times, to show that it was not changed.
func hostFileState(p string) string {
	info, err := os.Stat(p)
	if err != nil {
		return "missing"
	}
	return fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
}
