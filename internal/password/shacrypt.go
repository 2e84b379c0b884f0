package password

import (
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt/sha512_crypt"
)

// SHA-512-crypt ("$6$[rounds=N$]salt$hash", Drepper's SHA-crypt
// specification) as found in /etc/shadow.
const sha512CryptPrefix = "$6$"

// sha512CryptHashLen is the length of the encoded 64-byte digest.
const sha512CryptHashLen = 86

// verifySHA512Crypt checks pw against a SHA-512-crypt string.
//
// The hash is recomputed from the salt part alone ("$6$rounds=N$salt") and
// only the digest fields are compared. Handing the whole stored string to
// the library's own Verify is not enough: it misreads the salt of strings
// that carry rounds= and a salt shorter than 16 characters.
func verifySHA512Crypt(encoded, pw string) (bool, error) {
	rest, _ := strings.CutPrefix(encoded, sha512CryptPrefix)
	setting := sha512CryptPrefix
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		n, tail, ok := strings.Cut(r, "$")
		rounds, err := strconv.ParseUint(n, 10, 32)
		if !ok || err != nil {
			return false, fmt.Errorf("%w: malformed SHA-512-crypt rounds", ErrUnknownFormat)
		}
		// The algorithm clamps rounds to [1000, 999999999]; so does the library.
		setting += "rounds=" + strconv.FormatUint(rounds, 10) + "$"
		rest = tail
	}
	salt, digest, ok := strings.Cut(rest, "$")
	if !ok || salt == "" || strings.Contains(digest, "$") || len(digest) != sha512CryptHashLen || !cryptAlphabet(digest) {
		return false, fmt.Errorf("%w: malformed SHA-512-crypt hash", ErrUnknownFormat)
	}
	out, err := sha512_crypt.New().Generate([]byte(pw), []byte(setting+salt))
	if err != nil {
		return false, fmt.Errorf("%w: SHA-512-crypt: %v", ErrUnknownFormat, err)
	}
	got := out[strings.LastIndexByte(out, '$')+1:]
	return subtle.ConstantTimeCompare([]byte(got), []byte(digest)) == 1, nil
}

// cryptAlphabet reports whether s uses only crypt(3)'s Base64 characters.
func cryptAlphabet(s string) bool {
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '/':
		default:
			return false
		}
	}
	return true
}
