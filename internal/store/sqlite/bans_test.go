package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func listBans(t *testing.T, s *Store) []store.Ban {
	t.Helper()
	bans, err := s.ListBans(context.Background())
	if err != nil {
		t.Fatalf("ListBans: %v", err)
	}
	return bans
}

func banPrefixes(bans []store.Ban) []string {
	var out []string
	for _, b := range bans {
		out = append(out, b.Prefix)
	}
	return out
}

func sameBan(a, b store.Ban) bool {
	return a.Prefix == b.Prefix && a.Reason == b.Reason && a.First.Equal(b.First) && a.Last.Equal(b.Last) &&
		a.Count == b.Count && a.Level == b.Level && a.Until.Equal(b.Until) && a.Manual == b.Manual
}

func TestBanRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	zone := time.FixedZone("x", -7*3600)
	timed := store.Ban{
		Prefix: "203.0.113.7/32", Reason: "password guessing",
		First: time.Date(2025, 1, 2, 3, 4, 5, 123456789, zone), Last: time.Date(2025, 1, 2, 3, 9, 0, 1, zone),
		Count: 12, Level: 3, Until: time.Date(2025, 1, 3, 3, 9, 0, 1, zone),
	}
	permanent := store.Ban{Prefix: "2001:db8::/64", Reason: "by hand", Manual: true}
	for _, b := range []store.Ban{permanent, timed} {
		if err := s.SaveBan(ctx, b); err != nil {
			t.Fatalf("SaveBan(%s): %v", b.Prefix, err)
		}
	}
	got := listBans(t, s)
	if len(got) != 2 || !sameBan(got[0], timed) || !sameBan(got[1], permanent) {
		t.Fatalf("ListBans = %+v, want %+v then %+v", got, timed, permanent)
	}
	for _, tm := range []time.Time{got[0].First, got[0].Last, got[0].Until} {
		if tm.Location() != time.UTC {
			t.Errorf("time %v not UTC", tm)
		}
	}
	if !got[1].First.IsZero() || !got[1].Last.IsZero() || !got[1].Until.IsZero() {
		t.Errorf("zero times not kept: %+v", got[1])
	}

	// Saving the same network again replaces every field, also back to
	// permanent and zero.
	replaced := store.Ban{Prefix: "203.0.113.7/32", Reason: "escalated", Level: 4}
	if err := s.SaveBan(ctx, replaced); err != nil {
		t.Fatal(err)
	}
	got = listBans(t, s)
	if len(got) != 2 || !sameBan(got[0], permanent) || !sameBan(got[1], replaced) {
		t.Fatalf("after replace: %+v", got)
	}
}

func TestBanCanonicalPrefix(t *testing.T) {
	ctx := context.Background()
	tests := []struct{ in, stored, other string }{
		{"203.0.113.7/24", "203.0.113.0/24", "203.0.113.200/24"},
		{"203.0.113.7/32", "203.0.113.7/32", "203.0.113.7/32"},
		{"2001:DB8:0:0:1::7/64", "2001:db8::/64", "2001:db8::ffff/64"},
		{"2001:db8::7/128", "2001:db8::7/128", "2001:0db8::0007/128"},
		{"0.0.0.0/0", "0.0.0.0/0", "10.1.2.3/0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, _ := openTemp(t)
			if err := s.SaveBan(ctx, store.Ban{Prefix: tt.in}); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveBan(ctx, store.Ban{Prefix: tt.other, Reason: "again"}); err != nil {
				t.Fatal(err)
			}
			got := listBans(t, s)
			if len(got) != 1 || got[0].Prefix != tt.stored || got[0].Reason != "again" {
				t.Fatalf("stored %+v, want one ban of %s", got, tt.stored)
			}
			if err := s.DeleteBan(ctx, tt.other); err != nil {
				t.Fatalf("DeleteBan(%s): %v", tt.other, err)
			}
			if got := listBans(t, s); len(got) != 0 {
				t.Fatalf("left after delete: %+v", got)
			}
		})
	}
}

func TestBanInvalid(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	bad := []store.Ban{
		{Prefix: ""},
		{Prefix: "203.0.113.7"},
		{Prefix: "2001:db8::1"},
		{Prefix: "banned"},
		{Prefix: "203.0.113.0/33"},
		{Prefix: "fe80::1%eth0/64"},
		{Prefix: "203.0.113.0/24", Count: -1},
		{Prefix: "203.0.113.0/24", Level: -1},
		{Prefix: "203.0.113.0/24", Until: far},
		{Prefix: "203.0.113.0/24", First: far},
	}
	for _, b := range bad {
		if err := s.SaveBan(ctx, b); err == nil {
			t.Errorf("SaveBan(%+v) accepted", b)
		}
	}
	for _, p := range []string{"", "203.0.113.7", "x/8"} {
		if err := s.DeleteBan(ctx, p); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteBan(%q) = %v, want a validation error", p, err)
		}
	}
	if got := listBans(t, s); len(got) != 0 {
		t.Errorf("invalid bans stored: %+v", got)
	}
	if v, err := s.BansVersion(ctx); err != nil || v != 0 {
		t.Errorf("BansVersion after refused writes = %d, %v; want 0", v, err)
	}
}

func TestDeleteBanNotFound(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.SaveBan(ctx, store.Ban{Prefix: "198.51.100.0/24"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"198.51.100.0/25", "198.51.100.1/32", "2001:db8::/64"} {
		if err := s.DeleteBan(ctx, p); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteBan(%s) = %v, want ErrNotFound", p, err)
		}
	}
	if err := s.DeleteBan(ctx, "198.51.100.0/24"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBan(ctx, "198.51.100.0/24"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteBan = %v, want ErrNotFound", err)
	}
}

func TestListBansOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, b := range []store.Ban{
		{Prefix: "192.0.2.0/24"},                     // permanent
		{Prefix: "203.0.113.9/32", Until: t0.Add(2)}, // last timed
		{Prefix: "10.0.0.0/8"},                       // permanent, sorts first of those
		{Prefix: "203.0.113.8/32", Until: t0},        // same end as below
		{Prefix: "198.51.100.1/32", Until: t0},       // same end, sorts first
		{Prefix: "2001:db8::/32", Until: t0.Add(-1)}, // ends first
	} {
		if err := s.SaveBan(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"2001:db8::/32", "198.51.100.1/32", "203.0.113.8/32", "203.0.113.9/32", "10.0.0.0/8", "192.0.2.0/24"}
	if got := banPrefixes(listBans(t, s)); !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// TestBansVersion writes through one Store and watches both counters
// through a second Store on the same file, as the server watches the
// command-line tool: ban changes bump the bans version only, and nothing
// else bumps it.
func TestBansVersion(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		name         string
		do           func() error
		bans, rights bool
	}{
		{"create user", func() error { return a.CreateUser(ctx, &user.User{Name: "alice"}) }, false, true},
		{"save ban", func() error { return a.SaveBan(ctx, store.Ban{Prefix: "203.0.113.0/24"}) }, true, false},
		{"replace ban", func() error { return a.SaveBan(ctx, store.Ban{Prefix: "203.0.113.0/24", Level: 2}) }, true, false},
		{"save permanent ban", func() error { return a.SaveBan(ctx, store.Ban{Prefix: "2001:db8::/48", Manual: true}) }, true, false},
		{"list bans", func() error { _, err := a.ListBans(ctx); return err }, false, false},
		{"refused ban", func() error { a.SaveBan(ctx, store.Ban{Prefix: "nowhere"}); return nil }, false, false},
		{"delete missing ban", func() error { a.DeleteBan(ctx, "192.0.2.0/24"); return nil }, false, false},
		{"record known address", func() error { return a.RecordKnownAddress(ctx, "alice", "203.0.113.7", at) }, false, false},
		{"known address", func() error { _, err := a.KnownAddress(ctx, "alice", "203.0.113.7", at); return err }, false, false},
		{"protect account", func() error { return a.SetAccountProtection(ctx, "alice", at) }, false, false},
		{"clear protection", func() error { return a.SetAccountProtection(ctx, "alice", time.Time{}) }, false, false},
		{"record login", func() error { return a.RecordLogin(ctx, "alice", at) }, false, false},
		{"delete ban", func() error { return a.DeleteBan(ctx, "203.0.113.0/24") }, true, false},
		{"delete user", func() error { return a.DeleteUser(ctx, "alice") }, false, true},
	}
	bansBefore, err := b.BansVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	genBefore, err := b.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		bansAfter, err := b.BansVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		genAfter, err := b.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.bans != (bansAfter > bansBefore) || bansAfter < bansBefore {
			t.Errorf("%s: bans version %d -> %d, want increase %v", st.name, bansBefore, bansAfter, st.bans)
		}
		if st.rights != (genAfter > genBefore) || genAfter < genBefore {
			t.Errorf("%s: generation %d -> %d, want increase %v", st.name, genBefore, genAfter, st.rights)
		}
		bansBefore, genBefore = bansAfter, genAfter
	}
	// The other Store reads the bans themselves, not only the counter.
	if got := banPrefixes(listBans(t, b)); !slices.Equal(got, []string{"2001:db8::/48"}) {
		t.Errorf("second store lists %v", got)
	}
}

// BenchmarkBansVersion measures the per-call cost of the poll a running
// server makes twice a second to notice ban changes.
func BenchmarkBansVersion(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if _, err := s.BansVersion(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
