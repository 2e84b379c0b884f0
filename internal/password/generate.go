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
		pw := randomString(n)
		// Drawing again, rather than patching in a missing class, keeps
		// every valid password equally likely.
		if strings.ContainsAny(pw, "ABCDEFGHJKLMNPQRSTUVWXYZ") &&
			strings.ContainsAny(pw, "abcdefghijkmnopqrstuvwxyz") &&
			strings.ContainsAny(pw, "23456789") {
			return pw, nil
		}
	}
}

func randomString(n int) string {
	const size = len(generateAlphabet)
	// Bytes at or above limit are dropped so that each character is
	// equally likely (no modulo bias).
	const limit = 256 - 256%size
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		rand.Read(buf) // never fails (crypto/rand since Go 1.24)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, generateAlphabet[int(b)%size])
			}
		}
	}
	return string(out)
}
