package password

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// ErrUnknownFormat is wrapped by Verify when the stored hash is in no format
// it knows or is malformed.
var ErrUnknownFormat = errors.New("unknown password hash format")

// Hasher makes and checks password hashes. Params are the settings new
// hashes get; the zero Params mean DefaultParams. A Hasher is safe for
// concurrent use and must not be copied after first use.
type Hasher struct {
	Params Params
	// MaxParallel bounds how many hashes are computed at once (Hash,
	// Verify, DummyVerify); more wait their turn. Each argon2id
	// computation holds Params.Memory KiB, so without a bound a flood of
	// logins could exhaust memory; beyond the number of CPUs more at once
	// only share the same cores. 0 means no bound.
	MaxParallel int

	slotsOnce sync.Once
	slots     chan struct{}

	dummyOnce sync.Once
	dummy     string
}

// acquire waits for a computation slot; the returned function gives it
// back.
func (h *Hasher) acquire() (release func()) {
	h.slotsOnce.Do(func() {
		if h.MaxParallel > 0 {
			h.slots = make(chan struct{}, h.MaxParallel)
		}
	})
	if h.slots == nil {
		return func() {}
	}
	h.slots <- struct{}{}
	return func() { <-h.slots }
}

func (h *Hasher) params() Params {
	if h.Params == (Params{}) {
		return DefaultParams()
	}
	return h.Params
}

// Hash returns an argon2id PHC string for pw with a fresh random salt.
func (h *Hasher) Hash(pw string) (string, error) {
	defer h.acquire()()
	return hashArgon2id(h.params(), pw)
}

// Verify checks pw against an encoded hash. ok is true only on a match.
// needsRehash is true when the hash matched but is not argon2id with h's
// current parameters (a legacy bcrypt or SHA-512-crypt hash, or argon2id
// with other costs). err is non-nil, and ok false, when the hash cannot be
// read; a wrong password is not an error.
func (h *Hasher) Verify(encoded, pw string) (ok bool, needsRehash bool, err error) {
	defer h.acquire()()
	switch {
	case strings.HasPrefix(encoded, argon2idPrefix):
		parsed, err := parseArgon2id(encoded)
		if err != nil {
			return false, false, err
		}
		if !parsed.verify(pw) {
			return false, false, nil
		}
		return true, parsed.params != h.params(), nil
	case isBcrypt(encoded):
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, false, nil
		}
		if err != nil {
			return false, false, fmt.Errorf("%w: bcrypt: %v", ErrUnknownFormat, err)
		}
		return true, true, nil
	case strings.HasPrefix(encoded, sha512CryptPrefix):
		ok, err := verifySHA512Crypt(encoded, pw)
		if err != nil || !ok {
			return false, false, err
		}
		return true, true, nil
	}
	return false, false, ErrUnknownFormat
}

func isBcrypt(s string) bool {
	for _, p := range []string{"$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// DummyVerify does the work of verifying pw against an argon2id hash made
// with h's parameters and throws the result away. It is for logins to
// unknown accounts, so that the time taken does not tell an attacker which
// names exist. The dummy hash is made on first use.
func (h *Hasher) DummyVerify(pw string) {
	h.dummyOnce.Do(func() {
		d, err := h.Hash("bulwark dummy password")
		if err != nil {
			// Invalid Params: Hash would fail for real users too. Spend the
			// default cost rather than none.
			d, _ = hashArgon2id(DefaultParams(), "bulwark dummy password")
		}
		h.dummy = d
	})
	_, _, _ = h.Verify(h.dummy, pw)
}

// CheckHash reports whether encoded is a hash Verify understands (argon2id,
// bcrypt or SHA-512-crypt), so that imported hashes are refused up front
// rather than locking their user out at the first login.
func (h *Hasher) CheckHash(encoded string) error {
	_, _, err := h.Verify(encoded, "")
	return err
}
