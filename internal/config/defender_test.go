package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/defender"
)

func TestDefenderDefaultsValid(t *testing.T) {
	d := Default().Defender
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if _, err := d.Build(); err != nil {
		t.Fatalf("Build() = %v", err)
	}
	if !d.Enabled {
		t.Error("the defender is off by default")
	}
}

func TestDefenderInvalidValuesNameTheirKey(t *testing.T) {
	tests := []struct {
		key    string
		mutate func(*Defender)
	}{
		{"window", func(d *Defender) { d.Window.Duration = 0 }},
		{"window", func(d *Defender) { d.Window.Duration = 48 * time.Hour }},
		{"threshold", func(d *Defender) { d.Threshold = 0 }},
		{"score_bad_password", func(d *Defender) { d.ScoreBadPassword = -1 }},
		{"score_unknown_user", func(d *Defender) { d.ScoreUnknownUser = maxScore + 1 }},
		{"score_command_before_login", func(d *Defender) { d.ScoreCommandBeforeLogin = -2 }},
		{"score_tls_failure", func(d *Defender) { d.ScoreTLSFailure = -3 }},
		{"score_conn_limit", func(d *Defender) { d.ScoreConnLimit = -1 }},
		{"score_login_timeout", func(d *Defender) { d.ScoreLoginTimeout = -1 }},
		{"ban_time", func(d *Defender) { d.BanTime.Duration = 0 }},
		{"escalation_factor", func(d *Defender) { d.EscalationFactor = 0.5 }},
		{"escalation_factor", func(d *Defender) { d.EscalationFactor = 1000 }},
		{"max_ban_time", func(d *Defender) { d.MaxBanTime.Duration = time.Minute }},
		{"max_ban_time", func(d *Defender) { d.MaxBanTime.Duration = 20 * 365 * day }},
		{"offence_memory", func(d *Defender) { d.OffenceMemory.Duration = 0 }},
		{"ipv6_prefix", func(d *Defender) { d.IPv6Prefix = 16 }},
		{"ipv6_prefix", func(d *Defender) { d.IPv6Prefix = 129 }},
		{"max_tracked", func(d *Defender) { d.MaxTracked = 0 }},
		{"safelist", func(d *Defender) { d.Safelist = []string{"10.0.0.0/8", "not-an-address"} }},
		{"safelist", func(d *Defender) { d.Safelist = []string{"10.0.0.0/33"} }},
		{"blocklist", func(d *Defender) { d.Blocklist = []string{"203.0.113.300"} }},
		{"blocklist", func(d *Defender) { d.Blocklist = []string{"fe80::1%eth0"} }},
		{"honeypot_users", func(d *Defender) { d.HoneypotUsers = []string{""} }},
		{"honeypot_users", func(d *Defender) { d.HoneypotUsers = []string{"a b"} }},
		{"honeypot_users", func(d *Defender) { d.HoneypotUsers = []string{"root", "ROOT"} }},
		{"refuse_reply", func(d *Defender) { d.RefuseReply = "530 Go away" }},
		{"refuse_reply", func(d *Defender) { d.RefuseReply = "421 " }},
		{"refuse_reply", func(d *Defender) { d.RefuseReply = "421 a\r\n220 fake" }},
		{"refuse_reply", func(d *Defender) { d.RefuseReply = "421 " + strings.Repeat("x", 300) }},
		{"max_connections", func(d *Defender) { d.MaxConnections = 0 }},
		{"max_connections_per_ip", func(d *Defender) { d.MaxConnectionsPerIP = 0 }},
		{"max_connections_per_ip", func(d *Defender) { d.MaxConnectionsPerIP = d.MaxConnections + 1 }},
		{"max_login_failures", func(d *Defender) { d.MaxLoginFailures = 0 }},
		{"account_threshold", func(d *Defender) { d.AccountThreshold = 0 }},
		{"account_window", func(d *Defender) { d.AccountWindow.Duration = time.Second }},
		{"account_cooldown", func(d *Defender) { d.AccountCooldown.Duration = 60 * day }},
		{"known_address_days", func(d *Defender) { d.KnownAddressDays = 0 }},
	}
	for _, tt := range tests {
		cfg := Default()
		tt.mutate(&cfg.Defender)
		// Checked with the defender off too: turning it on later must not
		// meet an error.
		cfg.Defender.Enabled = false
		err := cfg.Validate()
		if err == nil {
			t.Errorf("defender.%s: invalid value accepted", tt.key)
			continue
		}
		if !strings.Contains(err.Error(), "defender."+tt.key+":") {
			t.Errorf("defender.%s: error %q does not name the key", tt.key, err)
		}
		if _, err := cfg.Defender.Build(); err == nil || !strings.Contains(err.Error(), "defender."+tt.key+":") {
			t.Errorf("defender.%s: Build error = %v", tt.key, err)
		}
	}
}

func TestDefenderValidValues(t *testing.T) {
	tests := []func(*Defender){
		func(d *Defender) { d.RefuseReply = "421 Service not available" },
		func(d *Defender) { d.HoneypotUsers = []string{} },
		func(d *Defender) { d.Safelist = []string{"192.0.2.1", "2001:db8::/48", " 198.51.100.0/24 "} },
		func(d *Defender) { d.ScoreTLSFailure, d.ScoreConnLimit = 0, 0 },
		func(d *Defender) { d.Escalate = false; d.EscalationFactor = 1 },
		func(d *Defender) { d.IPv6Prefix = 128; d.OffenceMemory.Duration = time.Minute },
		func(d *Defender) { d.MaxConnections, d.MaxConnectionsPerIP = 1, 1 },
		func(d *Defender) { d.BanTime, d.MaxBanTime = Duration{time.Hour}, Duration{time.Hour} },
	}
	for i, mutate := range tests {
		cfg := Default()
		mutate(&cfg.Defender)
		if err := cfg.Validate(); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
		if _, err := cfg.Defender.Build(); err != nil {
			t.Errorf("case %d: Build: %v", i, err)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"203.0.113.7", "203.0.113.7/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"::ffff:192.0.2.1", "192.0.2.1/32"},
		{"198.51.100.77/24", "198.51.100.0/24"},
		{"2001:db8:1:2:3::/48", "2001:db8:1::/48"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{" 10.0.0.1 ", "10.0.0.1/32"},
	}
	for _, tt := range tests {
		p, err := ParsePrefix(tt.in)
		if err != nil || p.String() != tt.want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", tt.in, p, err, tt.want)
		}
	}
	for _, bad := range []string{"", "x", "10.0.0.0/", "10.0.0.0/40", "1.2.3", "fe80::1%eth0", "example.com"} {
		if p, err := ParsePrefix(bad); err == nil {
			t.Errorf("ParsePrefix(%q) = %v accepted", bad, p)
		} else if !strings.Contains(err.Error(), "not a") {
			t.Errorf("ParsePrefix(%q) error %q does not say what is expected", bad, err)
		}
	}
}

func TestDefenderBuild(t *testing.T) {
	d := Default().Defender
	d.Window.Duration = 5 * time.Minute
	d.Threshold = 12
	d.ScoreBadPassword, d.ScoreUnknownUser, d.ScoreCommandBeforeLogin = 3, 6, 1
	d.ScoreTLSFailure, d.ScoreConnLimit, d.ScoreLoginTimeout = 4, 0, 2
	d.BanTime.Duration = time.Minute
	d.Escalate = false
	d.EscalationFactor = 2.5
	d.MaxBanTime.Duration = 2 * time.Hour
	d.OffenceMemory.Duration = 24 * time.Hour
	d.IPv6Prefix = 56
	d.MaxTracked = 5000
	d.Safelist = []string{"192.0.2.1", "2001:db8::/32"}
	d.Blocklist = []string{"198.51.100.9/24"}
	d.HoneypotUsers = []string{"root", "oracle"}
	d.AccountThreshold = 7
	d.AccountWindow.Duration = 20 * time.Minute
	d.AccountCooldown.Duration = 3 * time.Hour

	got, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := defender.DefaultConfig()
	want.Window = 5 * time.Minute
	want.Threshold = 12
	want.Scores = map[defender.Event]int{
		defender.EventBadPassword:        3,
		defender.EventUnknownUser:        6,
		defender.EventHoneypot:           12,
		defender.EventCommandBeforeLogin: 1,
		defender.EventTLSFailure:         4,
		defender.EventConnLimit:          0,
		defender.EventLoginTimeout:       2,
	}
	want.BanTime = time.Minute
	want.Escalate = false
	want.Factor = 2.5
	want.MaxBanTime = 2 * time.Hour
	want.OffenceMemory = 24 * time.Hour
	want.IPv6Prefix = 56
	want.MaxTracked = 5000
	want.Safelist = []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("2001:db8::/32")}
	want.Blocklist = []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}
	want.Honeypots = []string{"root", "oracle"}
	want.AccountThreshold = 7
	want.AccountWindow = 20 * time.Minute
	want.AccountCooldown = 3 * time.Hour
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Build() =\n%+v\nwant\n%+v", got, want)
	}
	// Events the section has no key for keep a score: a honeypot name bans
	// at once whatever the threshold.
	for _, ev := range []defender.Event{defender.EventBadPassword, defender.EventUnknownUser, defender.EventHoneypot,
		defender.EventCommandBeforeLogin, defender.EventTLSFailure, defender.EventConnLimit, defender.EventLoginTimeout} {
		if _, ok := got.Scores[ev]; !ok {
			t.Errorf("no score for %s", ev)
		}
	}
}

func TestDefenderBuildDefaults(t *testing.T) {
	got, err := Default().Defender.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got.Window != 10*time.Minute || got.Threshold != 20 || got.BanTime != 15*time.Minute ||
		!got.Escalate || got.Factor != 4 || got.MaxBanTime != 168*time.Hour || got.OffenceMemory != 720*time.Hour ||
		got.IPv6Prefix != 64 || got.MaxTracked != 100000 || got.AccountThreshold != 30 ||
		got.AccountWindow != time.Hour || got.AccountCooldown != time.Hour {
		t.Errorf("Build() of the defaults = %+v", got)
	}
	if got.Scores[defender.EventBadPassword] != 5 || got.Scores[defender.EventUnknownUser] != 10 ||
		got.Scores[defender.EventHoneypot] != 20 {
		t.Errorf("scores = %v", got.Scores)
	}
	if len(got.Safelist) != 0 || len(got.Blocklist) != 0 || len(got.Honeypots) != 7 {
		t.Errorf("lists = %v %v %v", got.Safelist, got.Blocklist, got.Honeypots)
	}
}

func TestDefenderLoad(t *testing.T) {
	path := writeFile(t, `
[defender]
enabled = false
escalation_factor = 2
safelist = ["192.0.2.1", "2001:db8::/48"]
refuse_reply = "421 Service not available"
honeypot_users = ["oracle"]
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Defender
	if d.Enabled || d.EscalationFactor != 2 || !reflect.DeepEqual(d.Safelist, []string{"192.0.2.1", "2001:db8::/48"}) ||
		d.RefuseReply != "421 Service not available" || !reflect.DeepEqual(d.HoneypotUsers, []string{"oracle"}) {
		t.Errorf("Load = %+v", d)
	}
	if d.Threshold != 20 || d.MaxConnections != 500 {
		t.Errorf("keys the file does not set lost their defaults: %+v", d)
	}

	path = writeFile(t, "[defender]\nsafelist = [\"10.0.0.0/8\", \"bogus\"]\nthreshold = 0\n")
	_, err = Load(path)
	for _, want := range []string{"defender.safelist", `"bogus"`, "defender.threshold"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load error %v does not contain %q", err, want)
		}
	}
}

func TestDefenderHelpers(t *testing.T) {
	d := Default().Defender
	for name, want := range map[string]bool{"root": true, "Root": true, "ADMIN": true, "alice": false, "roots": false} {
		if got := d.IsHoneypot(name); got != want {
			t.Errorf("IsHoneypot(%q) = %v", name, got)
		}
	}
	if got := d.KnownAddressWindow(); got != 30*day {
		t.Errorf("KnownAddressWindow() = %v", got)
	}
}
