package access

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

func mustLevel(t *testing.T, name string, r user.AccessRules) Level {
	t.Helper()
	l, err := BuildLevel(name, r, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// staffLevels are a server, a group and a user, each with its own rules.
// In June 2025 (Mon 2 … Sun 8) New York is UTC-4, so the group's
// 04:00-14:00 is 08:00-18:00 UTC.
func staffLevels(t *testing.T) []Level {
	return []Level{
		mustLevel(t, "server", user.AccessRules{
			DenyIPs:  []string{"127.0.0.6"},
			Schedule: []string{"Mon-Fri 06:00-20:00"},
		}),
		mustLevel(t, "group staff", user.AccessRules{
			Schedule: []string{"Mon-Fri 04:00-14:00"},
			TimeZone: "America/New_York",
		}),
		mustLevel(t, "user alice", user.AccessRules{
			AllowIPs: []string{"127.0.0.0/8", "2001:db8::/32"},
			Schedule: []string{"Mon-Fri 09:00-17:00"},
		}),
	}
}

func TestEvaluate(t *testing.T) {
	const jun = time.June
	localhost := netip.MustParseAddr("127.0.0.5")
	with := func(mod func([]Level)) func(*testing.T) []Level {
		return func(t *testing.T) []Level {
			ls := staffLevels(t)
			mod(ls)
			return ls
		}
	}
	cases := []struct {
		name     string
		levels   func(*testing.T) []Level
		addr     netip.Addr
		at       time.Time
		allowed  bool
		reason   string
		explain  string
		closesAt time.Time
		opensAt  time.Time
	}{
		{name: "all levels pass", levels: staffLevels, addr: localhost, at: utc(2025, jun, 2, 10, 0),
			allowed: true, closesAt: utc(2025, jun, 2, 17, 0)},
		{name: "server deny wins over user allow", levels: staffLevels, addr: netip.MustParseAddr("127.0.0.6"), at: utc(2025, jun, 2, 10, 0),
			reason: "address 127.0.0.6 denied by 127.0.0.6/32 in the deny list of server", explain: "not allowed from this address"},
		{name: "4in6 address is unmapped", levels: staffLevels, addr: netip.MustParseAddr("::ffff:127.0.0.6"), at: utc(2025, jun, 2, 10, 0),
			reason: "address 127.0.0.6 denied by 127.0.0.6/32 in the deny list of server", explain: "not allowed from this address"},
		{name: "4in6 address allowed", levels: staffLevels, addr: netip.MustParseAddr("::ffff:127.0.0.5"), at: utc(2025, jun, 2, 10, 0),
			allowed: true, closesAt: utc(2025, jun, 2, 17, 0)},
		{name: "ipv6 allowed", levels: staffLevels, addr: netip.MustParseAddr("2001:db8::7"), at: utc(2025, jun, 2, 10, 0),
			allowed: true, closesAt: utc(2025, jun, 2, 17, 0)},
		{name: "ipv6 outside the user's allow list", levels: staffLevels, addr: netip.MustParseAddr("2001:db9::1"), at: utc(2025, jun, 2, 10, 0),
			reason: "address 2001:db9::1 not in the allow list of user alice", explain: "not allowed from this address"},
		{name: "empty allow lists allow", levels: with(func(ls []Level) { ls[2].IP = IPRules{} }), addr: netip.MustParseAddr("198.51.100.1"),
			at: utc(2025, jun, 2, 10, 0), allowed: true, closesAt: utc(2025, jun, 2, 17, 0)},
		{name: "every level's schedule is required", levels: staffLevels, addr: localhost, at: utc(2025, jun, 2, 7, 0),
			reason: "outside the schedule of group staff at Mon 2025-06-02 03:00 America/New_York",
			// Opens when the last of the three opens: the user's 09:00.
			explain: "outside the allowed hours; access opens Mon 05:00 America/New_York", opensAt: utc(2025, jun, 2, 9, 0)},
		{name: "user's window closed, group's open", levels: staffLevels, addr: localhost, at: utc(2025, jun, 6, 17, 30),
			reason:  "outside the schedule of user alice at Fri 2025-06-06 17:30 UTC",
			explain: "outside the allowed hours; access opens Mon 09:00 UTC", opensAt: utc(2025, jun, 9, 9, 0)},
		{name: "address and time both refuse: no opening", levels: staffLevels, addr: netip.MustParseAddr("127.0.0.6"), at: utc(2025, jun, 7, 10, 0),
			reason: "address 127.0.0.6 denied by 127.0.0.6/32 in the deny list of server", explain: "not allowed from this address"},
		{name: "closes at the earliest window end", levels: with(func(ls []Level) { ls[2].Schedule = Schedule{} }), addr: localhost,
			at: utc(2025, jun, 2, 10, 0), allowed: true, closesAt: utc(2025, jun, 2, 18, 0)},
		{name: "closes at the end of validity", levels: with(func(ls []Level) { ls[2].ValidUntil = utc(2025, jun, 2, 16, 30) }), addr: localhost,
			at: utc(2025, jun, 2, 10, 0), allowed: true, closesAt: utc(2025, jun, 2, 16, 30)},
		{name: "valid until the very instant", levels: with(func(ls []Level) { ls[2].ValidUntil = utc(2025, jun, 2, 10, 0) }), addr: localhost,
			at: utc(2025, jun, 2, 10, 0), allowed: true, closesAt: utc(2025, jun, 2, 10, 0)},
		{name: "expired", levels: with(func(ls []Level) { ls[2].ValidUntil = utc(2025, jun, 2, 9, 59) }), addr: localhost,
			at: utc(2025, jun, 2, 10, 0), reason: "user alice expired at 2025-06-02T09:59:00Z", explain: "account expired"},
		{name: "valid from the very instant", levels: with(func(ls []Level) { ls[2].ValidFrom = utc(2025, jun, 2, 10, 0) }), addr: localhost,
			at: utc(2025, jun, 2, 10, 0), allowed: true, closesAt: utc(2025, jun, 2, 17, 0)},
		{name: "not yet valid: opens at the first window after", levels: with(func(ls []Level) { ls[2].ValidFrom = utc(2025, jun, 4, 20, 0) }),
			addr: localhost, at: utc(2025, jun, 2, 10, 0),
			reason: "user alice not valid before 2025-06-04T20:00:00Z", explain: "account not yet valid", opensAt: utc(2025, jun, 5, 9, 0)},
		{name: "not yet valid, beyond eight days", levels: with(func(ls []Level) { ls[2].ValidFrom = utc(2025, jun, 11, 0, 0) }),
			addr: localhost, at: utc(2025, jun, 2, 10, 0),
			reason: "user alice not valid before 2025-06-11T00:00:00Z", explain: "account not yet valid"},
		{name: "schedule closed and account expiring first: no opening", levels: with(func(ls []Level) { ls[2].ValidUntil = utc(2025, jun, 8, 0, 0) }),
			addr: localhost, at: utc(2025, jun, 6, 17, 30),
			reason: "outside the schedule of user alice at Fri 2025-06-06 17:30 UTC", explain: "outside the allowed hours"},
		{name: "opening beyond eight days", levels: func(t *testing.T) []Level {
			return []Level{mustLevel(t, "server", user.AccessRules{Schedule: []string{"Mon 09:00-10:00"}}),
				mustLevel(t, "user bob", user.AccessRules{Schedule: []string{"Tue 09:00-10:00"}})}
		}, addr: localhost, at: utc(2025, jun, 2, 9, 30),
			reason: "outside the schedule of user bob at Mon 2025-06-02 09:30 UTC", explain: "outside the allowed hours"},
		{name: "no levels", levels: func(*testing.T) []Level { return nil }, addr: localhost, at: utc(2025, jun, 2, 10, 0), allowed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Evaluate(tc.levels(t), tc.addr, tc.at)
			if d.Allowed != tc.allowed || d.Reason != tc.reason || d.Explain != tc.explain {
				t.Errorf("got allowed=%v reason=%q explain=%q\nwant allowed=%v reason=%q explain=%q",
					d.Allowed, d.Reason, d.Explain, tc.allowed, tc.reason, tc.explain)
			}
			if !d.ClosesAt.Equal(tc.closesAt) || !d.OpensAt.Equal(tc.opensAt) {
				t.Errorf("ClosesAt %v OpensAt %v, want %v and %v", d.ClosesAt, d.OpensAt, tc.closesAt, tc.opensAt)
			}
			passed := true
			for _, s := range d.Steps {
				passed = passed && s.Passed
			}
			if passed != d.Allowed {
				t.Errorf("steps all passed = %v but Allowed = %v: %+v", passed, d.Allowed, d.Steps)
			}
		})
	}
}

func TestEvaluateSteps(t *testing.T) {
	levels := staffLevels(t)
	levels[2].ValidUntil = utc(2025, time.December, 31, 0, 0)
	d := Evaluate(levels, netip.MustParseAddr("2001:db9::1"), utc(2025, time.June, 7, 10, 0))
	want := []Step{
		{"server", RuleIP, true, "allowed: no allow list"},
		{"server", RuleSchedule, false, "closed; opens Mon 2025-06-09 06:00 UTC"},
		{"group staff", RuleIP, true, "allowed: no allow list"},
		{"group staff", RuleSchedule, false, "closed; opens Mon 2025-06-09 04:00 America/New_York"},
		{"user alice", RuleIP, false, "not in the allow list (127.0.0.0/8, 2001:db8::/32)"},
		{"user alice", RuleSchedule, false, "closed; opens Mon 2025-06-09 09:00 UTC"},
		{"user alice", RuleValidUntil, true, "valid until 2025-12-31T00:00:00Z"},
	}
	if len(d.Steps) != len(want) {
		t.Fatalf("steps %+v, want %+v", d.Steps, want)
	}
	for i := range want {
		if d.Steps[i] != want[i] {
			t.Errorf("step %d = %+v, want %+v", i, d.Steps[i], want[i])
		}
	}
	if d.Reason != "outside the schedule of server at Sat 2025-06-07 10:00 UTC" || d.Explain != "outside the allowed hours" {
		t.Errorf("reason %q explain %q", d.Reason, d.Explain)
	}
	if !d.OpensAt.IsZero() {
		t.Errorf("OpensAt %v for an address refusal", d.OpensAt)
	}

	open := Evaluate(staffLevels(t)[:1], netip.MustParseAddr("127.0.0.1"), utc(2025, time.June, 2, 10, 0))
	if got := open.Steps[1].Detail; got != "open until Mon 2025-06-02 20:00 UTC" {
		t.Errorf("open step detail %q", got)
	}
	always := Evaluate([]Level{{Name: "server"}}, netip.MustParseAddr("127.0.0.1"), utc(2025, time.June, 2, 10, 0))
	if got := always.Steps[1].Detail; got != "no schedule: any time" || !always.ClosesAt.IsZero() {
		t.Errorf("no schedule: detail %q, ClosesAt %v", got, always.ClosesAt)
	}
}

func TestEvaluateLocalZoneName(t *testing.T) {
	// The host's zone has no useful name; its abbreviation stands in.
	l := Level{Name: "server", Schedule: Schedule{Windows: []Window{{Days: days(mon), Start: 540, End: 600}}, Location: time.Local}}
	d := Evaluate([]Level{l}, netip.MustParseAddr("127.0.0.1"), utc(2025, time.June, 3, 12, 0))
	if d.Allowed || strings.Contains(d.Explain, "Local") || !strings.HasPrefix(d.Explain, "outside the allowed hours; access opens Mon 09:00 ") {
		t.Errorf("explain %q", d.Explain)
	}
}

func TestBuildLevel(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	l, err := BuildLevel("group staff", user.AccessRules{
		AllowIPs: []string{"203.0.113.0/24"},
		DenyIPs:  []string{"203.0.113.9"},
		Schedule: []string{"Mon-Fri 06:00-18:00", "Sat 08:00-12:00"},
	}, ny)
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "group staff" || len(l.IP.Allow) != 1 || len(l.IP.Deny) != 1 || len(l.Schedule.Windows) != 2 || l.Schedule.Location != ny {
		t.Errorf("BuildLevel = %+v", l)
	}
	bad := []struct {
		rules user.AccessRules
		want  string
	}{
		{user.AccessRules{AllowIPs: []string{"10.0.0.300/8"}}, `user alice: invalid address or CIDR "10.0.0.300/8"`},
		{user.AccessRules{DenyIPs: []string{"x"}}, `user alice: invalid address or CIDR "x"`},
		{user.AccessRules{Schedule: []string{"Mun 06:00-07:00"}}, `user alice: unknown day "Mun"`},
		{user.AccessRules{TimeZone: "America/Nowhere"}, `user alice: unknown time zone "America/Nowhere"`},
	}
	for _, tc := range bad {
		_, err := BuildLevel("user alice", tc.rules, time.UTC)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("BuildLevel(%+v) error %v, want %s", tc.rules, err, tc.want)
		}
	}
}
