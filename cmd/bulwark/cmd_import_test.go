package main

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// A user imported from another server keeps its bcrypt or SHA-512-crypt
// hash until the first login upgrades it; a hash Bulwark cannot verify is
// refused up front.
func TestUserAddImportedHash(t *testing.T) {
	e := newEnv(t)
	bc, err := bcrypt.GenerateFromPassword([]byte("Imported-Pass-1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e.ok(string(bc)+"\n", "user", "add", "bob", "--password-hash-stdin")
	u := e.storedUser("bob")
	if u.PasswordHash != string(bc) {
		t.Fatalf("stored hash %q, want the imported one", u.PasswordHash)
	}
	checkPassword(t, u, "Imported-Pass-1")

	// glibc crypt("Hello world!", "$6$saltstring") from the SHA-crypt spec.
	const sha512 = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
	e.ok(sha512+"\n", "user", "add", "carol", "--password-hash-stdin")
	checkPassword(t, e.storedUser("carol"), "Hello world!")

	for _, bad := range []string{"plain-text-password", "$1$md5salt$abcdefghijklmnopqrstuv", ""} {
		r := e.run(bad+"\n", "user", "add", "dave", "--password-hash-stdin")
		if r.code == exitOK || !strings.Contains(r.stderr, "not recognised") {
			t.Errorf("hash %q: exit %d, stderr %q; want a refusal", bad, r.code, r.stderr)
		}
	}
	if r := e.run("x\n", "user", "add", "erin", "--password-stdin", "--password-hash-stdin"); r.code != exitUsage {
		t.Errorf("both stdin flags: exit %d, want usage error", r.code)
	}
	e.never(string(bc))
}
