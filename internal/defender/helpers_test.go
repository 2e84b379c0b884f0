package defender

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// t0 lies on a bucket boundary of the default windows, so that tests can
// reason about whole buckets.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTest returns a Defender with the default rules, changed by edit, on a
// fake clock.
func newTest(t testing.TB, edit func(*Config)) (*Defender, *fakeClock) {
	t.Helper()
	cfg := DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	c := newClock()
	return New(cfg, c.Now), c
}

func addr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// mustBan records ev from a and fails unless it bans.
func mustBan(t *testing.T, d *Defender, a netip.Addr, ev Event, detail string) *Ban {
	t.Helper()
	b, ok := d.Record(a, ev, detail)
	if !ok || b == nil {
		t.Fatalf("Record(%s, %s) did not ban", a, ev)
	}
	return b
}

// mustNotBan records ev from a and fails if it bans.
func mustNotBan(t *testing.T, d *Defender, a netip.Addr, ev Event) {
	t.Helper()
	if b, ok := d.Record(a, ev, ""); ok || b != nil {
		t.Fatalf("Record(%s, %s) banned: %+v", a, ev, b)
	}
}

func isBanned(d *Defender, s string) bool {
	_, ok := d.Banned(addr(s))
	return ok
}
