// Package password hashes and verifies account passwords and decides
// which passwords are acceptable (Policy.Check) and when they expire
// (Policy.Age).
//
// New hashes are argon2id in the PHC string format. Hashes imported from
// other systems (bcrypt, SHA-512-crypt as found in /etc/shadow) are
// verified and reported as needing a rehash, so the login pipeline can
// replace them with argon2id on the next successful login.
package password

import (
	"errors"
	"fmt"
)

// Params are the argon2id cost parameters.
type Params struct {
	// Memory is in KiB.
	Memory      uint32
	Iterations  uint32
	Parallelism uint8
	// SaltLen and KeyLen are in bytes.
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams returns OWASP's recommended argon2id settings (19 MiB, two
// passes, one lane) with a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on parameters. They also apply to hashes read back from the store,
// so that a damaged or hostile hash cannot make a login allocate gigabytes
// or spin for minutes.
const (
	maxMemory     = 4 << 20 // KiB, 4 GiB
	maxIterations = 1024
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 128
)

// ErrInvalidParams is wrapped by Params.Validate.
var ErrInvalidParams = errors.New("invalid argon2id parameters")

// Validate reports whether p can be used. It checks what argon2 requires and
// sane upper bounds; it does not enforce a minimum strength, so tests may use
// cheap settings.
func (p Params) Validate() error {
	switch {
	case p.Parallelism < 1:
		return fmt.Errorf("%w: parallelism must be at least 1", ErrInvalidParams)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("%w: iterations must be 1 to %d, not %d", ErrInvalidParams, maxIterations, p.Iterations)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemory:
		return fmt.Errorf("%w: memory must be %d to %d KiB, not %d", ErrInvalidParams,
			8*uint32(p.Parallelism), maxMemory, p.Memory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("%w: salt length must be %d to %d bytes, not %d", ErrInvalidParams, minSaltLen, maxSaltLen, p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("%w: key length must be %d to %d bytes, not %d", ErrInvalidParams, minKeyLen, maxKeyLen, p.KeyLen)
	}
	return nil
}
