package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func known(t *testing.T, s *Store, name, addr string, since time.Time) bool {
	t.Helper()
	ok, err := s.KnownAddress(context.Background(), name, addr, since)
	if err != nil {
		t.Fatalf("KnownAddress(%s, %s, %v): %v", name, addr, since, err)
	}
	return ok
}

func TestKnownAddresses(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for _, n := range []string{"Alice", "bob"} {
		if err := s.CreateUser(ctx, &user.User{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	t1 := time.Date(2025, 6, 1, 12, 0, 0, 500, time.FixedZone("x", 3600))
	t2 := t1.Add(time.Hour)
	record := func(name, addr string, at time.Time) {
		t.Helper()
		if err := s.RecordKnownAddress(ctx, name, addr, at); err != nil {
			t.Fatalf("RecordKnownAddress(%s, %s): %v", name, addr, err)
		}
	}
	if known(t, s, "alice", "203.0.113.7", time.Time{}) {
		t.Fatal("address known before any login")
	}
	record("alice", "203.0.113.7", t1)
	record("ALICE", "2001:db8:1::/64", t1)

	tests := []struct {
		name, addr string
		since      time.Time
		want       bool
	}{
		{"alice", "203.0.113.7", t1, true},
		{"alice", "203.0.113.7", t1.Add(-time.Hour), true},
		{"alice", "203.0.113.7", t1.Add(1), false},
		{"alice", "203.0.113.7", time.Time{}, true},
		{"Alice", "::ffff:203.0.113.7", t1, true},
		{"alice", "203.0.113.8", time.Time{}, false},
		{"alice", "2001:db8:1::5/64", t1, true},
		{"alice", "2001:db8:2::/64", time.Time{}, false},
		{"alice", "203.0.113.7", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"bob", "203.0.113.7", time.Time{}, false},
		{"nobody", "203.0.113.7", time.Time{}, false},
	}
	for _, tt := range tests {
		if got := known(t, s, tt.name, tt.addr, tt.since); got != tt.want {
			t.Errorf("KnownAddress(%s, %s, %v) = %v, want %v", tt.name, tt.addr, tt.since, got, tt.want)
		}
	}

	// A new login moves the time forward; a late, older one does not move
	// it back.
	record("alice", "203.0.113.7", t2)
	if !known(t, s, "alice", "203.0.113.7", t2) {
		t.Error("upsert did not move last_seen forward")
	}
	record("alice", "203.0.113.7", t1)
	if !known(t, s, "alice", "203.0.113.7", t2) {
		t.Error("an older login moved last_seen back")
	}
	var rows int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM known_addresses`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d rows (%v), want 2: one per user and address", rows, err)
	}

	if err := s.RecordKnownAddress(ctx, "nobody", "203.0.113.7", t1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordKnownAddress for unknown user = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "host.example", "203.0.113.0/33"} {
		if err := s.RecordKnownAddress(ctx, "alice", bad, t1); err == nil {
			t.Errorf("RecordKnownAddress accepted %q", bad)
		}
		if _, err := s.KnownAddress(ctx, "alice", bad, t1); err == nil {
			t.Errorf("KnownAddress accepted %q", bad)
		}
	}
	for _, at := range []time.Time{{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if err := s.RecordKnownAddress(ctx, "alice", "203.0.113.9", at); err == nil {
			t.Errorf("RecordKnownAddress accepted time %v", at)
		}
	}
}

func TestAccountProtection(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.CreateUser(ctx, &user.User{Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	get := func(name string) time.Time {
		t.Helper()
		until, err := s.AccountProtection(ctx, name)
		if err != nil {
			t.Fatalf("AccountProtection(%s): %v", name, err)
		}
		return until
	}
	if u := get("alice"); !u.IsZero() {
		t.Fatalf("new user protected until %v", u)
	}
	until := time.Date(2025, 6, 1, 12, 30, 0, 7, time.FixedZone("x", -3600))
	for _, u := range []time.Time{until, until.Add(time.Hour)} {
		if err := s.SetAccountProtection(ctx, "ALICE", u); err != nil {
			t.Fatal(err)
		}
		if got := get("alice"); !got.Equal(u) || got.Location() != time.UTC {
			t.Errorf("protection %v, want %v in UTC", got, u)
		}
	}
	for range 2 { // clearing twice is fine
		if err := s.SetAccountProtection(ctx, "alice", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got := get("alice"); !got.IsZero() {
			t.Errorf("after clear: %v", got)
		}
	}
	if err := s.SetAccountProtection(ctx, "alice", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("unstorable time accepted")
	}
	for _, u := range []time.Time{until, {}} {
		if err := s.SetAccountProtection(ctx, "nobody", u); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetAccountProtection(nobody, %v) = %v, want ErrNotFound", u, err)
		}
	}
	if _, err := s.AccountProtection(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccountProtection(nobody) = %v, want ErrNotFound", err)
	}
}

// A user deleted and created again under the same name (SQLite may give
// it the same id) inherits neither known addresses nor protection.
func TestProtectionCascade(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := s.CreateUser(ctx, &user.User{Name: "keep"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.CreateUser(ctx, &user.User{Name: "gone"}); err != nil {
			t.Fatal(err)
		}
		if known(t, s, "gone", "203.0.113.7", time.Time{}) {
			t.Fatal("recreated user inherited a known address")
		}
		if u, err := s.AccountProtection(ctx, "gone"); err != nil || !u.IsZero() {
			t.Fatalf("recreated user protection %v, %v", u, err)
		}
		for _, n := range []string{"keep", "gone"} {
			if err := s.RecordKnownAddress(ctx, n, "203.0.113.7", at); err != nil {
				t.Fatal(err)
			}
			if err := s.SetAccountProtection(ctx, n, at); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteUser(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		var addrs, prot int
		s.db.QueryRow(`SELECT COUNT(*) FROM known_addresses`).Scan(&addrs)
		s.db.QueryRow(`SELECT COUNT(*) FROM account_protection`).Scan(&prot)
		if addrs != 1 || prot != 1 {
			t.Fatalf("after delete: %d known addresses, %d protections; want only keep's", addrs, prot)
		}
	}
	if !known(t, s, "keep", "203.0.113.7", at) {
		t.Error("other user's known address lost")
	}
	if u, _ := s.AccountProtection(ctx, "keep"); !u.Equal(at) {
		t.Errorf("other user's protection %v", u)
	}
}

func TestForgetKnownAddresses(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.CreateUser(ctx, &user.User{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for i, addr := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		if err := s.RecordKnownAddress(ctx, "alice", addr, t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.ForgetKnownAddresses(ctx, t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("forgot %d, %v; want 1", n, err)
	}
	if known(t, s, "alice", "203.0.113.1", time.Time{}) || !known(t, s, "alice", "203.0.113.2", time.Time{}) ||
		!known(t, s, "alice", "203.0.113.3", time.Time{}) {
		t.Error("the wrong addresses were forgotten")
	}
	if n, err := s.ForgetKnownAddresses(ctx, time.Time{}); err != nil || n != 0 {
		t.Errorf("zero time forgot %d, %v", n, err)
	}
}
