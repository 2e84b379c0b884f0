package password

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// generateAlphabet is letters and digits without the characters people
// confuse when reading a password aloud or from paper: 0 O 1 l I. It has
// no punctuation so a generated password survives URLs and shells.
const generateAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// MinGenerateLen is the shortest password Generate makes (about 93 bits).
const MinGenerateLen = 16

// Generate returns a random password of n characters (n >= 16) drawn
// uniformly from generateAlphabet, with at least one upper-case letter, one
// lower-case letter and one digit.
func Generate(n int) (string, error) {
	if n < MinGenerateLen {
		return "", fmt.Errorf("password length %d is below the minimum of %d", n, MinGenerateLen)
	}
	for {
		pw := randomString(generateAlphabet, n)
		// Drawing again, rather than patching in a missing class, keeps
		// every valid password equally likely.
		if strings.ContainsAny(pw, "ABCDEFGHJKLMNPQRSTUVWXYZ") &&
			strings.ContainsAny(pw, "abcdefghijkmnopqrstuvwxyz") &&
			strings.ContainsAny(pw, "23456789") {
			return pw, nil
		}
	}
}

// symbolAlphabet is added to generateAlphabet when a policy requires a
// symbol. It leaves out quotes, backslash, '$', '`', '&' and spaces, which
// shells and configuration files treat specially.
const symbolAlphabet = "!#%*+-.:=?@^_~"

// generateTries bounds Policy.Generate's redraws. A draw fails the policy
// only by chance (a missing character class, about one in twenty), so
// running out of tries means the policy cannot be met at that length.
const generateTries = 32

// Generate returns a random password that passes p.Check. It has
// max(20, MinLength) characters, at most MaxLength. The user-name rule is
// checked with no name: a caller that knows the account should Check the
// result against it (a random three-letter match is rare but possible).
func (p Policy) Generate() (string, error) {
	n := max(20, p.MinLength)
	if p.MaxLength > 0 {
		n = min(n, p.MaxLength)
	}
	alphabet := generateAlphabet
	if p.RequireSymbol {
		alphabet += symbolAlphabet
	}
	for range generateTries {
		// Drawing again until the whole string passes, rather than
		// patching it, keeps every acceptable password equally likely.
		pw := randomString(alphabet, n)
		if p.Check(pw, "") == nil {
			return pw, nil
		}
	}
	return "", fmt.Errorf("no random password of %d characters meets the password policy", n)
}

func randomString(alphabet string, n int) string {
	size := len(alphabet)
	// Bytes at or above limit are dropped so that each character is
	// equally likely (no modulo bias).
	limit := 256 - 256%size
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf) // never fails (crypto/rand since Go 1.24)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%size])
			}
		}
	}
	return string(out)
}

// GenerateFor is Generate for the account userName: a draw the user-name
// rule refuses (it contains the name) is drawn again.
func (p Policy) GenerateFor(userName string) (string, error) {
	const tries = 8
	var err error
	for range tries {
		var pw string
		if pw, err = p.Generate(); err != nil {
			break
		}
		if err = p.Check(pw, userName); err == nil {
			return pw, nil
		}
	}
	return "", fmt.Errorf("generating a password: %w", err)
}
