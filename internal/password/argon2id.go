package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

const argon2idPrefix = "$argon2id$"

// b64 is the PHC string format's Base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

func hashArgon2id(p Params, pw string) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	rand.Read(salt) // never fails (crypto/rand since Go 1.24)
	key := argon2.IDKey([]byte(pw), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// argon2idHash is a parsed PHC argon2id string.
type argon2idHash struct {
	params    Params
	salt, key []byte
}

// parseArgon2id reads "$argon2id$v=19$m=M,t=T,p=P$salt$key". It is strict:
// only version 19, parameters in the PHC order, no optional fields.
func parseArgon2id(s string) (argon2idHash, error) {
	var h argon2idHash
	fields := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" {
		return h, fmt.Errorf("%w: malformed argon2id hash", ErrUnknownFormat)
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("%w: unsupported argon2id version %q", ErrUnknownFormat, fields[2])
	}
	kv := strings.Split(fields[3], ",")
	if len(kv) != 3 {
		return h, fmt.Errorf("%w: malformed argon2id parameters", ErrUnknownFormat)
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(kv[i], name)
		if !ok {
			return h, fmt.Errorf("%w: malformed argon2id parameters", ErrUnknownFormat)
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return h, fmt.Errorf("%w: malformed argon2id parameter %q", ErrUnknownFormat, kv[i])
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return h, fmt.Errorf("%w: argon2id parallelism %d too large", ErrUnknownFormat, vals[2])
	}
	var err error
	if h.salt, err = b64.DecodeString(fields[4]); err != nil {
		return h, fmt.Errorf("%w: argon2id salt: %v", ErrUnknownFormat, err)
	}
	if h.key, err = b64.DecodeString(fields[5]); err != nil {
		return h, fmt.Errorf("%w: argon2id key: %v", ErrUnknownFormat, err)
	}
	h.params = Params{
		Memory: uint32(vals[0]), Iterations: uint32(vals[1]), Parallelism: uint8(vals[2]),
		SaltLen: uint32(len(h.salt)), KeyLen: uint32(len(h.key)),
	}
	if err := h.params.Validate(); err != nil {
		return h, fmt.Errorf("%w: %v", ErrUnknownFormat, err)
	}
	return h, nil
}

func (h argon2idHash) verify(pw string) bool {
	p := h.params
	key := argon2.IDKey([]byte(pw), h.salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
	return subtle.ConstantTimeCompare(key, h.key) == 1
}
