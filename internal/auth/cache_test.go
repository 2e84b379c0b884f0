package auth

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestVerifyCache(t *testing.T) {
	const hash, pw = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "right horse"
	tests := []struct {
		name       string
		user, hash string
		pw         string
		advance    time.Duration
		want       bool
	}{
		{"same password and hash", "alice", hash, pw, 0, true},
		{"name is case-insensitive", "ALICE", hash, pw, 0, true},
		{"wrong password", "alice", hash, "right horsf", 0, false},
		{"empty password", "alice", hash, "", 0, false},
		{"other user", "bob", hash, pw, 0, false},
		{"hash changed", "alice", hash + "x", pw, 0, false},
		{"just before expiry", "alice", hash, pw, time.Minute - time.Nanosecond, true},
		{"expired", "alice", hash, pw, time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{t: clock}
			c := NewVerifyCache(time.Minute, 0, clk.now)
			c.Store("alice", hash, pw)
			clk.t = clk.t.Add(tt.advance)
			if got := c.Hit(tt.user, tt.hash, tt.pw); got != tt.want {
				t.Fatalf("Hit(%q, %q, %q) = %v, want %v", tt.user, tt.hash, tt.pw, got, tt.want)
			}
		})
	}
}

func TestVerifyCacheExpiryDropsEntry(t *testing.T) {
	clk := &fakeClock{t: clock}
	c := NewVerifyCache(time.Minute, 0, clk.now)
	c.Store("alice", "h", "p")
	clk.t = clk.t.Add(2 * time.Minute)
	if c.Hit("alice", "h", "p") {
		t.Fatal("expired entry hit")
	}
	if c.Len() != 0 {
		t.Fatalf("expired entry kept: Len = %d", c.Len())
	}
}

func TestVerifyCacheBounded(t *testing.T) {
	clk := &fakeClock{t: clock}
	c := NewVerifyCache(time.Hour, 3, clk.now)
	for i := range 5 {
		c.Store("u"+strconv.Itoa(i), "h", "p")
	}
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	for i, want := range []bool{false, false, true, true, true} {
		if got := c.Hit("u"+strconv.Itoa(i), "h", "p"); got != want {
			t.Errorf("u%d: Hit = %v, want %v (oldest evicted first)", i, got, want)
		}
	}
	c.Store("u2", "h", "p") // refreshed: now the newest
	c.Store("u5", "h", "p")
	if !c.Hit("u2", "h", "p") || c.Hit("u3", "h", "p") {
		t.Error("eviction did not follow the order of storing")
	}
}

func TestVerifyCacheDisabled(t *testing.T) {
	c := NewVerifyCache(0, 0, nil)
	if c != nil {
		t.Fatal("ttl 0 gave a cache")
	}
	c.Store("alice", "h", "p")
	if c.Hit("alice", "h", "p") || c.Len() != 0 {
		t.Fatal("nil cache remembered")
	}
	c.Forget("alice")
}

func TestVerifyCacheKeysDiffer(t *testing.T) {
	a := NewVerifyCache(time.Minute, 0, nil)
	b := NewVerifyCache(time.Minute, 0, nil)
	if a.mac("alice", "h", "p") == b.mac("alice", "h", "p") {
		t.Fatal("two caches share a key")
	}
	// Moving bytes between fields must change the MAC.
	if a.mac("alice", "hp", "") == a.mac("alice", "h", "p") {
		t.Fatal("field boundaries are ambiguous")
	}
}

// TestLoginWithCache checks the pipeline's use of the cache: only full
// successes are remembered, a wrong password still fails with the delay,
// and checks after the password (here: a disabled account) still apply.
func TestLoginWithCache(t *testing.T) {
	f := newFixture(t)
	clk := &fakeClock{t: clock}
	f.p.Cache = NewVerifyCache(time.Minute, 0, clk.now)
	f.addUser(t, &user.User{Name: "alice"}, "right horse")
	ctx := context.Background()

	if _, err := f.p.Login(ctx, attempt("alice", "wrong horse")); !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	if f.p.Cache.Len() != 0 {
		t.Fatal("a failure was cached")
	}
	if _, err := f.p.Login(ctx, attempt("alice", "right horse")); err != nil {
		t.Fatalf("first login: %v", err)
	}
	u, _ := f.store.GetUser(ctx, "alice")
	if !f.p.Cache.Hit("alice", u.PasswordHash, "right horse") {
		t.Fatal("success not cached")
	}
	before := len(f.slept())
	if _, err := f.p.Login(ctx, attempt("alice", "wrong horse")); !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("wrong password after a cached success: %v", err)
	}
	if len(f.slept()) != before+1 {
		t.Fatal("failure after a cached success skipped the delay")
	}
	if _, err := f.p.Login(ctx, attempt("alice", "right horse")); err != nil {
		t.Fatalf("cached login: %v", err)
	}

	u.Disabled = true
	if err := f.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	var fe *FailureError
	if _, err := f.p.Login(ctx, attempt("alice", "right horse")); !errors.As(err, &fe) || fe.Reason != ReasonDisabled {
		t.Fatalf("disabled account with a cached password: %v", err)
	}
}

// TestLoginCacheInvalidatedByNewHash checks that a new stored hash (a
// password set by an administrator) makes the cached success useless.
func TestLoginCacheInvalidatedByNewHash(t *testing.T) {
	f := newFixture(t)
	f.p.Cache = NewVerifyCache(time.Minute, 0, nil)
	f.addUser(t, &user.User{Name: "alice"}, "right horse")
	ctx := context.Background()
	if _, err := f.p.Login(ctx, attempt("alice", "right horse")); err != nil {
		t.Fatalf("first login: %v", err)
	}
	h, err := f.p.Hasher.Hash("new horse")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetPasswordHash(ctx, "alice", h); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Login(ctx, attempt("alice", "right horse")); !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("old password after a new hash: %v", err)
	}
	if _, err := f.p.Login(ctx, attempt("alice", "new horse")); err != nil {
		t.Fatalf("new password: %v", err)
	}
}
