package defender

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestEventString(t *testing.T) {
	want := map[Event]string{
		EventBadPassword:        "bad_password",
		EventUnknownUser:        "unknown_user",
		EventHoneypot:           "honeypot",
		EventCommandBeforeLogin: "command_before_login",
		EventTLSFailure:         "tls_failure",
		EventConnLimit:          "conn_limit",
		EventLoginTimeout:       "login_timeout",
	}
	for e, s := range want {
		if got := e.String(); got != s {
			t.Errorf("%d.String() = %q, want %q", int(e), got, s)
		}
		if got, ok := ParseEvent(s); !ok || got != e {
			t.Errorf("ParseEvent(%q) = %v, %v", s, got, ok)
		}
	}
	if len(want) != numEvents {
		t.Errorf("table covers %d events, package defines %d", len(want), numEvents)
	}
	if got := Event(99).String(); got != "event(99)" {
		t.Errorf("Event(99).String() = %q", got)
	}
	if _, ok := ParseEvent("nonsense"); ok {
		t.Error("ParseEvent accepted an unknown token")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero config (all defaults): %v", err)
	}
	tests := []struct {
		field string
		edit  func(*Config)
	}{
		{"Window", func(c *Config) { c.Window = -time.Second }},
		{"Threshold", func(c *Config) { c.Threshold = -1 }},
		{"Scores", func(c *Config) { c.Scores = map[Event]int{EventTLSFailure: -3} }},
		{"Scores", func(c *Config) { c.Scores = map[Event]int{Event(42): 1} }},
		{"BanTime", func(c *Config) { c.BanTime = -time.Minute }},
		{"Factor", func(c *Config) { c.Factor = 0.5 }},
		{"MaxBanTime", func(c *Config) { c.MaxBanTime = time.Minute }},
		{"OffenceMemory", func(c *Config) { c.OffenceMemory = -1 }},
		{"IPv6Prefix", func(c *Config) { c.IPv6Prefix = 129 }},
		{"MaxTracked", func(c *Config) { c.MaxTracked = -5 }},
		{"Safelist[1]", func(c *Config) { c.Safelist = []netip.Prefix{prefix("10.0.0.0/8"), {}} }},
		{"Blocklist[0]", func(c *Config) { c.Blocklist = []netip.Prefix{{}} }},
		{"Honeypots[0]", func(c *Config) { c.Honeypots = []string{" "} }},
		{"AccountThreshold", func(c *Config) { c.AccountThreshold = -1 }},
		{"AccountWindow", func(c *Config) { c.AccountWindow = -time.Hour }},
		{"AccountCooldown", func(c *Config) { c.AccountCooldown = -time.Hour }},
		{"MaxAccounts", func(c *Config) { c.MaxAccounts = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted a bad value")
			}
			if !strings.Contains(err.Error(), tt.field+":") {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
			// A Defender built from it anyway still works.
			d := New(c, newClock().Now)
			d.Record(addr("192.0.2.1"), EventHoneypot, "root")
		})
	}
}

func TestConfigDefaultsApplied(t *testing.T) {
	d := New(Config{Threshold: 50, Scores: map[Event]int{EventTLSFailure: 0}}, newClock().Now)
	r := d.rules.Load()
	if r.cfg.Window != 10*time.Minute || r.cfg.BanTime != 15*time.Minute || r.cfg.IPv6Prefix != 64 {
		t.Errorf("zero fields not defaulted: %+v", r.cfg)
	}
	if r.points[EventHoneypot] != 50 {
		t.Errorf("honeypot score = %d, want the threshold 50", r.points[EventHoneypot])
	}
	if r.points[EventTLSFailure] != 0 || r.points[EventBadPassword] != 5 {
		t.Errorf("scores = %v", r.points)
	}
	if !d.IsHoneypot("Administrator") {
		t.Error("default honeypots missing")
	}
	// The Defender must not share the caller's map.
	cfg := DefaultConfig()
	d = New(cfg, nil)
	cfg.Scores[EventBadPassword] = 1000
	if d.rules.Load().points[EventBadPassword] != 5 {
		t.Error("Defender follows changes to the caller's map")
	}
}
