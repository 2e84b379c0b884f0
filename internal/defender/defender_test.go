package defender

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestScoreAccumulatesWithinWindow(t *testing.T) {
	d, c := newTest(t, nil)
	a := addr("192.0.2.1")
	// 5 points each, 20 bans: the fourth within 10 minutes bans.
	for _, step := range []time.Duration{0, 3 * time.Minute, 3 * time.Minute} {
		c.Advance(step)
		mustNotBan(t, d, a, EventBadPassword)
	}
	c.Advance(2 * time.Minute) // 8 minutes after the first
	b := mustBan(t, d, a, EventBadPassword, "alice")
	if b.Prefix != prefix("192.0.2.1/32") || b.Level != 1 || b.Count != 4 {
		t.Errorf("ban = %+v", b)
	}
	if !b.First.Equal(c.Now()) || !b.Until.Equal(c.Now().Add(15*time.Minute)) {
		t.Errorf("ban times = %v .. %v", b.First, b.Until)
	}
	if !isBanned(d, "192.0.2.1") || isBanned(d, "192.0.2.2") {
		t.Error("Banned disagrees with the ban")
	}
}

func TestScoreExpiresOutsideWindow(t *testing.T) {
	d, c := newTest(t, nil)
	a := addr("192.0.2.1")
	for range 3 {
		mustNotBan(t, d, a, EventBadPassword) // 15 points
	}
	c.Advance(10 * time.Minute) // the window has passed them by
	for range 3 {
		mustNotBan(t, d, a, EventBadPassword)
	}
	mustBan(t, d, a, EventBadPassword, "")
}

func TestThresholdExactlyReachedBans(t *testing.T) {
	d, _ := newTest(t, nil)
	a := addr("198.51.100.7")
	mustNotBan(t, d, a, EventUnknownUser) // 10
	mustBan(t, d, a, EventUnknownUser, "x")
}

func TestZeroScoreIsIgnored(t *testing.T) {
	d, _ := newTest(t, func(c *Config) { c.Scores = map[Event]int{EventTLSFailure: 0} })
	for range 100 {
		mustNotBan(t, d, addr("192.0.2.9"), EventTLSFailure)
	}
	if d.Tracked() != 0 {
		t.Errorf("Tracked = %d for unscored events", d.Tracked())
	}
}

func TestHoneypot(t *testing.T) {
	d, _ := newTest(t, nil)
	for _, name := range []string{"root", "ROOT", "Admin", "anonymous", "ftp"} {
		if !d.IsHoneypot(name) {
			t.Errorf("IsHoneypot(%q) = false", name)
		}
	}
	for _, name := range []string{"alice", "roots", ""} {
		if d.IsHoneypot(name) {
			t.Errorf("IsHoneypot(%q) = true", name)
		}
	}
	b := mustBan(t, d, addr("203.0.113.5"), EventHoneypot, "root")
	want := `1 failed login (honeypot: 1); last user "root"`
	if b.Reason != want {
		t.Errorf("Reason = %q, want %q", b.Reason, want)
	}

	none, _ := newTest(t, func(c *Config) { c.Honeypots = []string{} })
	if none.IsHoneypot("root") {
		t.Error("an empty honeypot list still knows root")
	}
}

func TestReason(t *testing.T) {
	tests := []struct {
		name   string
		events []Event
		detail string
		want   string
	}{
		{"logins", []Event{EventBadPassword, EventUnknownUser, EventBadPassword}, "bob",
			`3 failed logins (bad_password: 2, unknown_user: 1); last user "bob"`},
		{"mixed", []Event{EventTLSFailure, EventTLSFailure, EventUnknownUser, EventConnLimit, EventTLSFailure}, "",
			`5 offences (unknown_user: 1, tls_failure: 3, conn_limit: 1)`},
		{"hostile detail", []Event{EventUnknownUser, EventUnknownUser}, "a\r\nb\x00" + strings.Repeat("é", 40),
			`2 failed logins (unknown_user: 2); last user "a\r\nb\x00` + strings.Repeat("é", 29) + `"`},
		{"non-login detail", []Event{EventUnknownUser, EventTLSFailure, EventTLSFailure, EventTLSFailure, EventTLSFailure}, "handshake",
			`5 offences (unknown_user: 1, tls_failure: 4); last detail "handshake"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := newTest(t, nil)
			var got *Ban
			for i, e := range tt.events {
				b, ok := d.Record(addr("192.0.2.1"), e, tt.detail)
				if ok != (i == len(tt.events)-1) {
					t.Fatalf("event %d: banned = %v", i, ok)
				}
				got = b
			}
			if got.Reason != tt.want {
				t.Errorf("Reason = %q\nwant     %q", got.Reason, tt.want)
			}
		})
	}
}

// banAgain bans a through a honeypot login after the previous ban ended.
func banAgain(t *testing.T, d *Defender, c *fakeClock, a netip.Addr) *Ban {
	t.Helper()
	for _, b := range d.Bans() {
		if b.Prefix.Contains(a) {
			c.Advance(b.Until.Sub(c.Now()))
		}
	}
	return mustBan(t, d, a, EventHoneypot, "admin")
}

func TestEscalation(t *testing.T) {
	d, c := newTest(t, nil)
	a := addr("192.0.2.66")
	want := []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 16 * time.Hour, 64 * time.Hour,
		7 * 24 * time.Hour, 7 * 24 * time.Hour}
	for i, w := range want {
		b := banAgain(t, d, c, a)
		if b.Level != i+1 {
			t.Errorf("ban %d: Level = %d", i+1, b.Level)
		}
		if got := b.Until.Sub(b.First); got != w {
			t.Errorf("ban %d: lasts %s, want %s", i+1, got, w)
		}
	}
}

func TestEscalateOff(t *testing.T) {
	d, c := newTest(t, func(c *Config) { c.Escalate = false })
	a := addr("192.0.2.66")
	for i := range 4 {
		b := banAgain(t, d, c, a)
		if b.Level != i+1 || b.Until.Sub(b.First) != 15*time.Minute {
			t.Errorf("ban %d: Level %d, lasts %s", i+1, b.Level, b.Until.Sub(b.First))
		}
	}
}

func TestOffenceMemory(t *testing.T) {
	d, c := newTest(t, nil)
	a := addr("192.0.2.66")
	day := 24 * time.Hour
	// Bans on days 0, 20 and 40 with a 30-day memory: the third sees only
	// the second. Then a long quiet spell forgets everything.
	for i, tt := range []struct {
		at    time.Duration
		level int
	}{{0, 1}, {20 * day, 2}, {40 * day, 2}, {100 * day, 1}} {
		c.Advance(t0.Add(tt.at).Sub(c.Now()))
		b := mustBan(t, d, a, EventHoneypot, "root")
		if b.Level != tt.level {
			t.Errorf("ban %d on day %d: Level = %d, want %d", i+1, int(tt.at/day), b.Level, tt.level)
		}
	}
}

func TestSafelist(t *testing.T) {
	d, _ := newTest(t, func(c *Config) {
		c.Safelist = []netip.Prefix{prefix("10.0.0.0/8"), prefix("2001:db8:1::/48")}
		c.Blocklist = []netip.Prefix{prefix("10.1.0.0/16")}
	})
	for _, s := range []string{"10.1.2.3", "::ffff:10.9.9.9", "2001:db8:1:2::5"} {
		a := addr(s)
		for range 5 {
			if b, ok := d.Record(a, EventHoneypot, "root"); ok {
				t.Fatalf("%s banned: %+v", s, b)
			}
		}
		d.Ban(Ban{Prefix: d.Key(a), Manual: true})
		if b, ok := d.Banned(a); ok {
			t.Errorf("safelisted %s banned: %+v", s, b)
		}
	}
	if d.Tracked() != 0 {
		t.Errorf("Tracked = %d after safelisted events", d.Tracked())
	}
}

func TestBlocklist(t *testing.T) {
	d, _ := newTest(t, func(c *Config) {
		c.Blocklist = []netip.Prefix{prefix("198.51.100.0/24"), prefix("::ffff:203.0.113.0/120"), prefix("2001:db8::/32")}
	})
	tests := []struct {
		addr   string
		prefix string // "" when not blocked
	}{
		{"198.51.100.200", "198.51.100.0/24"},
		{"::ffff:198.51.100.1", "198.51.100.0/24"},
		{"203.0.113.9", "203.0.113.0/24"},
		{"2001:db8:ffff::1", "2001:db8::/32"},
		{"198.51.101.1", ""},
		{"2001:db9::1", ""},
	}
	for _, tt := range tests {
		b, ok := d.Banned(addr(tt.addr))
		if ok != (tt.prefix != "") {
			t.Errorf("Banned(%s) = %v", tt.addr, ok)
			continue
		}
		if ok && (b.Prefix != prefix(tt.prefix) || b.Reason != ReasonBlocklist || !b.Until.IsZero()) {
			t.Errorf("Banned(%s) = %+v", tt.addr, b)
		}
	}
	if _, ok := d.Record(addr("198.51.100.1"), EventHoneypot, "root"); ok {
		t.Error("Record banned a blocklisted address again")
	}
	if len(d.Bans()) != 0 {
		t.Errorf("Bans lists the blocklist: %v", d.Bans())
	}
}

func TestIPv6Grouping(t *testing.T) {
	d, _ := newTest(t, nil)
	mustNotBan(t, d, addr("2001:db8:1:2::1"), EventUnknownUser)
	mustNotBan(t, d, addr("2001:db8:1:3::1"), EventUnknownUser) // another /64
	b := mustBan(t, d, addr("2001:db8:1:2:ffff::9"), EventUnknownUser, "x")
	if b.Prefix != prefix("2001:db8:1:2::/64") {
		t.Errorf("ban prefix = %s", b.Prefix)
	}
	if !isBanned(d, "2001:db8:1:2:abcd::1") || isBanned(d, "2001:db8:1:3::1") {
		t.Error("the ban does not cover exactly the /64")
	}
	if d.Key(addr("fe80::1%eth0")) != prefix("fe80::/64") {
		t.Errorf("Key of a zoned address = %s", d.Key(addr("fe80::1%eth0")))
	}

	wide, _ := newTest(t, func(c *Config) { c.IPv6Prefix = 48 })
	mustNotBan(t, wide, addr("2001:db8:1:2::1"), EventUnknownUser)
	b = mustBan(t, wide, addr("2001:db8:1:3::1"), EventUnknownUser, "x")
	if b.Prefix != prefix("2001:db8:1::/48") || !isBanned(wide, "2001:db8:1:ffff::1") {
		t.Errorf("/48 ban = %s", b.Prefix)
	}
}

func TestIPv4MappedIsIPv4(t *testing.T) {
	d, _ := newTest(t, nil)
	if k := d.Key(addr("::ffff:192.0.2.1")); k != prefix("192.0.2.1/32") {
		t.Errorf("Key = %s", k)
	}
	mustNotBan(t, d, addr("::ffff:192.0.2.1"), EventUnknownUser)
	mustBan(t, d, addr("192.0.2.1"), EventUnknownUser, "x")
	if !isBanned(d, "::ffff:192.0.2.1") || !isBanned(d, "192.0.2.1") {
		t.Error("mapped and plain forms disagree")
	}
	if d.Key(netip.Addr{}).IsValid() {
		t.Error("Key of the zero Addr is valid")
	}
	if _, ok := d.Banned(netip.Addr{}); ok {
		t.Error("the zero Addr is banned")
	}
}

func TestBanExpires(t *testing.T) {
	d, c := newTest(t, nil)
	mustBan(t, d, addr("192.0.2.1"), EventHoneypot, "root")
	c.Advance(15*time.Minute - time.Nanosecond)
	if !isBanned(d, "192.0.2.1") {
		t.Fatal("ban ended early")
	}
	c.Advance(time.Nanosecond)
	if isBanned(d, "192.0.2.1") {
		t.Fatal("ban outlived its Until")
	}
	if n := len(d.bans.shard(prefix("192.0.2.1/32")).m); n != 0 {
		t.Errorf("expired ban still stored (%d entries)", n)
	}
	if bans := d.Bans(); len(bans) != 0 {
		t.Errorf("Bans = %v", bans)
	}
}

func TestRecordWhileBanned(t *testing.T) {
	d, c := newTest(t, nil)
	a := addr("192.0.2.1")
	first := mustBan(t, d, a, EventHoneypot, "root")
	c.Advance(time.Minute)
	for range 5 {
		mustNotBan(t, d, a, EventHoneypot)
	}
	b, _ := d.Banned(a)
	if b.Count != first.Count+5 || !b.Last.Equal(c.Now()) || !b.Until.Equal(first.Until) {
		t.Errorf("ban after more events = %+v (first %+v)", b, first)
	}
}

func TestUnban(t *testing.T) {
	d, _ := newTest(t, nil)
	a := addr("192.0.2.1")
	for range 3 {
		mustNotBan(t, d, a, EventBadPassword)
	}
	if d.Unban(prefix("192.0.2.1/32")) {
		t.Error("Unban reported a ban that did not exist")
	}
	mustNotBan(t, d, a, EventBadPassword) // the score started afresh

	mustBan(t, d, addr("2001:db8::1"), EventHoneypot, "root")
	if !d.Unban(prefix("2001:db8::77/128")) { // one address stands for its /64
		t.Fatal("Unban of an address in the banned /64 failed")
	}
	if isBanned(d, "2001:db8::1") {
		t.Error("still banned after Unban")
	}
	// Unban forgives: the next ban is a first offence again.
	if b := mustBan(t, d, addr("2001:db8::1"), EventHoneypot, "root"); b.Level != 1 {
		t.Errorf("Level after Unban = %d", b.Level)
	}
	d.Ban(Ban{Prefix: prefix("203.0.113.0/24"), Manual: true})
	mustBan(t, d, addr("198.51.100.1"), EventHoneypot, "root")
	if !d.Unban(prefix("0.0.0.0/0")) || len(d.Bans()) != 1 {
		t.Errorf("Unban(0.0.0.0/0) left %v", d.Bans())
	}
	if d.Unban(netip.Prefix{}) {
		t.Error("Unban of the zero Prefix")
	}
}

func TestManualBan(t *testing.T) {
	d, c := newTest(t, nil)
	d.Ban(Ban{Prefix: prefix("::ffff:203.0.113.0/120"), Manual: true})
	b, ok := d.Banned(addr("203.0.113.77"))
	if !ok || b.Prefix != prefix("203.0.113.0/24") || b.Reason != "manual" || !b.Until.IsZero() || !b.First.Equal(t0) {
		t.Fatalf("manual ban = %+v, %v", b, ok)
	}
	// Events inside it are charged to it, not scored.
	mustNotBan(t, d, addr("203.0.113.77"), EventHoneypot)
	if b, _ := d.Banned(addr("203.0.113.1")); b.Count != 1 {
		t.Errorf("event not charged: %+v", b)
	}
	// A ban of a host inside it is found first (longest prefix).
	d.Ban(Ban{Prefix: prefix("203.0.113.77/32"), Manual: true, Reason: "host"})
	if b, _ := d.Banned(addr("203.0.113.77")); b.Reason != "host" {
		t.Errorf("wrong ban: %+v", b)
	}
	if b, _ := d.Banned(addr("203.0.113.1")); b.Prefix.Bits() != 24 {
		t.Errorf("wrong ban: %+v", b)
	}
	// Replacing: the same prefix with an end.
	d.Ban(Ban{Prefix: prefix("203.0.113.0/24"), Manual: true, Reason: "abuse", Until: c.Now().Add(time.Hour)})
	if b, _ := d.Banned(addr("203.0.113.1")); b.Reason != "abuse" {
		t.Errorf("not replaced: %+v", b)
	}
	if n := len(d.Bans()); n != 2 {
		t.Errorf("%d bans, want 2", n)
	}
	c.Advance(time.Hour)
	if isBanned(d, "203.0.113.1") {
		t.Error("timed manual ban did not end")
	}
	d.Ban(Ban{Prefix: prefix("192.0.2.0/24"), Until: c.Now().Add(-time.Second), Manual: true})
	if isBanned(d, "192.0.2.1") {
		t.Error("an already ended ban was added")
	}
	d.Ban(Ban{}) // ignored, not a panic
}

func TestLoadedBanEscalates(t *testing.T) {
	d, c := newTest(t, nil)
	a := addr("192.0.2.50")
	// Saved state: a level-3 ban that ended a day ago.
	d.Ban(Ban{Prefix: d.Key(a), Level: 3, First: c.Now().Add(-2 * 24 * time.Hour),
		Until: c.Now().Add(-24 * time.Hour), Reason: "old"})
	if isBanned(d, "192.0.2.50") {
		t.Fatal("ended saved ban is in force")
	}
	if b := mustBan(t, d, a, EventHoneypot, "root"); b.Level != 4 || b.Until.Sub(b.First) != 16*time.Hour {
		t.Errorf("after a saved level-3 ban: Level %d, lasts %s", b.Level, b.Until.Sub(b.First))
	}
	// Too old to count.
	old := c.Now().Add(-40 * 24 * time.Hour)
	d.Ban(Ban{Prefix: prefix("192.0.2.51/32"), Level: 5, First: old, Until: old.Add(time.Hour)})
	if b := mustBan(t, d, addr("192.0.2.51"), EventHoneypot, "root"); b.Level != 1 {
		t.Errorf("a ban older than OffenceMemory counted: Level %d", b.Level)
	}
}

func TestBansSorted(t *testing.T) {
	d, c := newTest(t, nil)
	d.Ban(Ban{Prefix: prefix("192.0.2.1/32"), Manual: true}) // permanent: last
	for i, h := range []time.Duration{3, 1, 2} {
		d.Ban(Ban{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 32),
			Until: c.Now().Add(h * time.Hour), Manual: true})
	}
	mustBan(t, d, addr("2001:db8::1"), EventHoneypot, "root") // 15 minutes: first
	var got []string
	for _, b := range d.Bans() {
		got = append(got, b.Prefix.String())
	}
	want := "2001:db8::/64 198.51.100.1/32 198.51.100.2/32 198.51.100.0/32 192.0.2.1/32"
	if strings.Join(got, " ") != want {
		t.Errorf("Bans order = %v, want %s", got, want)
	}
}

func TestClockBackwards(t *testing.T) {
	d, c := newTest(t, nil)
	a := addr("192.0.2.1")
	mustNotBan(t, d, a, EventBadPassword)
	c.Advance(-time.Hour)
	mustNotBan(t, d, a, EventBadPassword)
	mustNotBan(t, d, a, EventBadPassword)
	mustBan(t, d, a, EventBadPassword, "")
}

func TestBannedDoesNotAllocate(t *testing.T) {
	d, _ := newTest(t, func(c *Config) { c.Blocklist = []netip.Prefix{prefix("198.51.100.0/24")} })
	for i := range 1000 {
		d.Record(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), EventHoneypot, "root")
	}
	d.Ban(Ban{Prefix: prefix("2001:db8::/48"), Manual: true})
	for _, s := range []string{"10.0.1.1", "10.9.9.9", "198.51.100.1", "2001:db8::1", "2001:db9::1", "::ffff:10.0.0.7"} {
		a := addr(s)
		if n := testing.AllocsPerRun(100, func() { d.Banned(a) }); n != 0 {
			t.Errorf("Banned(%s) allocates %v times", s, n)
		}
	}
}

func ExampleDefender_Record() {
	clock := func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
	d := New(DefaultConfig(), clock)
	a := netip.MustParseAddr("192.0.2.1")
	d.Record(a, EventBadPassword, "alice")
	d.Record(a, EventBadPassword, "alice")
	b, _ := d.Record(a, EventUnknownUser, "bob")
	fmt.Println(b.Reason, b.Until.Sub(b.First))
	// Output: 3 failed logins (bad_password: 2, unknown_user: 1); last user "bob" 15m0s
}
