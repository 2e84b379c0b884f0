package password

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// fast keeps tests quick; production uses DefaultParams.
var fast = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestDefaultParamsValid(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p != (Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}) {
		t.Fatalf("DefaultParams = %+v", p)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		ok   bool
	}{
		{"fast", fast, true},
		{"zero parallelism", Params{Memory: 64, Iterations: 1, SaltLen: 16, KeyLen: 32}, false},
		{"zero iterations", Params{Memory: 64, Parallelism: 1, SaltLen: 16, KeyLen: 32}, false},
		{"memory below 8*p", Params{Memory: 15, Iterations: 1, Parallelism: 2, SaltLen: 16, KeyLen: 32}, false},
		{"memory 8*p", Params{Memory: 16, Iterations: 1, Parallelism: 2, SaltLen: 16, KeyLen: 32}, true},
		{"memory too large", Params{Memory: maxMemory + 1, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, false},
		{"too many iterations", Params{Memory: 64, Iterations: maxIterations + 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, false},
		{"short salt", Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 7, KeyLen: 32}, false},
		{"short key", Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 15}, false},
		{"long key", Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: maxKeyLen + 1}, false},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%s: error %v does not wrap ErrInvalidParams", tt.name, err)
		}
	}
}

func TestHashFormatAndRoundTrip(t *testing.T) {
	h := &Hasher{Params: fast}
	enc, err := h.Hash("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Count(enc, "=") != 4 {
		t.Fatalf("unexpected encoding %q", enc)
	}
	other, _ := h.Hash("s3cret")
	if other == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if ok, rehash, err := h.Verify(enc, "s3cret"); !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	if ok, rehash, err := h.Verify(enc, "s3creT"); ok || rehash || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v, %v", ok, rehash, err)
	}
	stronger := &Hasher{Params: Params{Memory: 128, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}
	if ok, rehash, err := stronger.Verify(enc, "s3cret"); !ok || !rehash || err != nil {
		t.Fatalf("Verify with changed params = %v, %v, %v; want ok and rehash", ok, rehash, err)
	}
}

func TestZeroHasherUsesDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("uses default (slow) parameters")
	}
	var h Hasher
	enc, err := h.Hash("pw")
	if err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash = %q, %v", enc, err)
	}
}

func TestHashRejectsInvalidParams(t *testing.T) {
	h := &Hasher{Params: Params{Memory: 1, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}
	if _, err := h.Hash("pw"); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("Hash with invalid params: %v", err)
	}
}

// Hashes made by the argon2 reference implementation's command-line tool,
// and by glibc's crypt(3) and Drepper's SHA-crypt specification.
var knownHashes = []struct {
	name, hash, pw string
}{
	{"argon2 reference", "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHR2YWx1ZTE2$/bCHGnBR4+aQHzBQMkKr51ZvOAgNRYd6kCQxxlShw9w", "correct horse battery staple"},
	{"argon2 reference utf-8", "$argon2id$v=19$m=100,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$WXGdFdwo1M8pbw9C2iAYOQcWCVGTDOrTadkKUkrYe3A", "Pässwörd"},
	{"argon2 reference p=2 16-byte key", "$argon2id$v=19$m=64,t=1,p=2$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA", "x"},

	// SHA-crypt specification, SHA-512 test vectors.
	{"spec default rounds", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!"},
	{"spec rounds=10000", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", "Hello world!"},
	{"spec rounds=5000 explicit", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0", "This is just a test"},
	{"spec rounds=1400", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1", "a very much longer text to encrypt.  This one even stretches over morethan one line."},
	{"spec short salt", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0", "we have a short salt string but not a short password"},
	{"spec 16-char salt", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1", "a short string"},
	{"spec rounds clamped", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.", "the minimum number is still observed"},
	{"spec rounds below minimum as written", "$6$rounds=10$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.", "the minimum number is still observed"},
	{"glibc utf-8 two-char salt", "$6$rounds=1000$ab$NFbzU2DQLl3OZu83FviV.Xe95BlJnKVpTXGpWdG43xDccgNCWBG4KN48j4r6lcjj1x1PMxNzglXZOJteT8I.P.", "pässwörd"},
	{"glibc empty password", "$6$emptypw$TWmzQ8/uLn1BFSZ5Lkfum8lAba5vixF9Nl3Aiof.Praatq9nh0kkPuTdoVrIL6du0L6LAoadbPq.q.D7keveg/", ""},
}

func TestVerifyKnownHashes(t *testing.T) {
	h := &Hasher{Params: fast}
	for _, tt := range knownHashes {
		ok, rehash, err := h.Verify(tt.hash, tt.pw)
		if !ok || err != nil {
			t.Errorf("%s: Verify(right) = %v, %v", tt.name, ok, err)
		}
		if !rehash {
			t.Errorf("%s: needsRehash = false, but params differ from %+v", tt.name, fast)
		}
		if ok, _, err := h.Verify(tt.hash, tt.pw+"x"); ok || err != nil {
			t.Errorf("%s: Verify(wrong) = %v, %v", tt.name, ok, err)
		}
	}
}

func TestVerifyBcrypt(t *testing.T) {
	h := &Hasher{Params: fast}
	b, err := bcrypt.GenerateFromPassword([]byte("legacy"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		enc := prefix + string(b[4:])
		if ok, rehash, err := h.Verify(enc, "legacy"); !ok || !rehash || err != nil {
			t.Errorf("%s: Verify(right) = %v, %v, %v", prefix, ok, rehash, err)
		}
		if ok, rehash, err := h.Verify(enc, "Legacy"); ok || rehash || err != nil {
			t.Errorf("%s: Verify(wrong) = %v, %v, %v", prefix, ok, rehash, err)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := &Hasher{Params: fast}
	good := "$argon2id$v=19$m=64,t=1,p=2$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA"
	tests := []string{
		"",
		"plaintext",
		"$1$abc$def",   // MD5-crypt
		"$5$salt$hash", // SHA-256-crypt
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA",
		"$argon2id$v=16$m=64,t=1,p=2$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA",
		"$argon2id$m=64,t=1,p=2$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA",
		"$argon2id$v=19$t=1,m=64,p=2$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA",
		"$argon2id$v=19$m=64,t=1,p=256$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHlzYWx0eXNhbHR5IQ$H8z1GKCSGVNgzRwEXdceMA",
		"$argon2id$v=19$m=64,t=1,p=2$c2FsdHlzYWx0eXNhbHR5IQ==$H8z1GKCSGVNgzRwEXdceMA",
		"$argon2id$v=19$m=64,t=1,p=2$c2Fs$H8z1GKCSGVNgzRwEXdceMA", // salt too short
		"$argon2id$v=19$m=64,t=1,p=2$c2FsdHlzYWx0eXNhbHR5IQ$H8z1",
		good + "$extra",
		"$2b$04$short",
		"$6$salt$tooshort",
		"$6$rounds=x$salt$" + strings.Repeat("a", 86),
		"$6$$" + strings.Repeat("a", 86),
		"$6$salt$" + strings.Repeat("!", 86),
	}
	for _, enc := range tests {
		ok, rehash, err := h.Verify(enc, "x")
		if ok || rehash || !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Verify(%q) = %v, %v, %v; want ErrUnknownFormat", enc, ok, rehash, err)
		}
	}
}

func TestDummyVerify(t *testing.T) {
	h := &Hasher{Params: fast}
	h.DummyVerify("a")
	first := h.dummy
	if p, err := parseArgon2id(first); err != nil || p.params != fast {
		t.Fatalf("dummy hash %q: params %+v, %v; want %+v", first, p.params, err, fast)
	}
	h.DummyVerify("b")
	if h.dummy != first {
		t.Fatal("dummy hash made twice")
	}
	other := &Hasher{Params: fast}
	other.DummyVerify("a")
	if other.dummy == first {
		t.Fatal("dummy hash shared between Hashers")
	}
}

func FuzzVerify(f *testing.F) {
	for _, k := range knownHashes {
		f.Add(k.hash, k.pw)
	}
	f.Add("$2b$04$abcdefghijklmnopqrstuv", "x")
	h := &Hasher{Params: fast}
	f.Fuzz(func(t *testing.T, enc, pw string) {
		// Keep fuzzing cheap: hashes asking for large costs are skipped.
		if strings.Contains(enc, "rounds=") || strings.HasPrefix(enc, "$2") || strings.Contains(enc, "m=") && len(enc) > 200 {
			return
		}
		if p, err := parseArgon2id(enc); err == nil && (p.params.Memory > 1024 || p.params.Iterations > 4) {
			return
		}
		ok, rehash, err := h.Verify(enc, pw)
		if err != nil && (ok || rehash) {
			t.Fatalf("error with ok=%v rehash=%v", ok, rehash)
		}
		if rehash && !ok {
			t.Fatal("rehash without ok")
		}
	})
}
