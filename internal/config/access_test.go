package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/access"
)

func TestAccessDefaults(t *testing.T) {
	a := Default().Access
	if err := a.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	loc, err := a.Location()
	if err != nil || loc != time.Local {
		t.Errorf("Location() = %v, %v; want Local", loc, err)
	}
	if a.ExplainDenials || a.GracePeriod.Duration != 0 {
		t.Errorf("defaults: explain_denials %v, grace_period %v", a.ExplainDenials, a.GracePeriod)
	}
	lvl, err := a.ServerLevel()
	if err != nil {
		t.Fatal(err)
	}
	if lvl.Name != "server" {
		t.Errorf("Name = %q", lvl.Name)
	}
	// The default rules allow anyone at any time.
	d := access.Evaluate([]access.Level{lvl}, netip.MustParseAddr("198.51.100.9"), time.Date(2026, 3, 7, 3, 0, 0, 0, time.UTC))
	if !d.Allowed {
		t.Errorf("default server level refuses: %+v", d)
	}
}

// Each bad value names its key and quotes the exact token at fault.
func TestAccessInvalidValues(t *testing.T) {
	tests := []struct {
		key, token string
		mutate     func(*Access)
	}{
		{"access.allow_ips", "203.0.113.0/33", func(a *Access) { a.AllowIPs = []string{"192.0.2.1", "203.0.113.0/33"} }},
		{"access.allow_ips", "example.com", func(a *Access) { a.AllowIPs = []string{"example.com"} }},
		{"access.deny_ips", "10.0.0.300/8", func(a *Access) { a.DenyIPs = []string{"10.0.0.300/8"} }},
		{"access.schedule", "Mon-Fri 06:00-25:00", func(a *Access) { a.Schedule = []string{"Mon-Fri 06:00-25:00"} }},
		{"access.schedule", "Funday 06:00-18:00", func(a *Access) { a.Schedule = []string{"Sat 08:00-12:00", "Funday 06:00-18:00"} }},
		{"access.timezone", "Mars/Olympus_Mons", func(a *Access) { a.TimeZone = "Mars/Olympus_Mons" }},
		{"access.grace_period", "-1s", func(a *Access) { a.GracePeriod.Duration = -time.Second }},
		{"access.grace_period", "48h0m0s", func(a *Access) { a.GracePeriod.Duration = 48 * time.Hour }},
	}
	for _, tt := range tests {
		cfg := Default()
		tt.mutate(&cfg.Access)
		err := cfg.Validate()
		if err == nil {
			t.Errorf("%s %q: accepted", tt.key, tt.token)
			continue
		}
		if !strings.Contains(err.Error(), tt.key+": ") || !strings.Contains(err.Error(), `"`+tt.token+`"`) {
			t.Errorf("%s %q: error %q does not name the key and the token", tt.key, tt.token, err)
		}
		if _, lerr := cfg.Access.ServerLevel(); lerr == nil {
			t.Errorf("%s %q: ServerLevel accepted it", tt.key, tt.token)
		}
	}
}

func TestAccessDenyIPMessage(t *testing.T) {
	a := Default().Access
	a.DenyIPs = []string{"10.0.0.300/8"}
	err := a.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), `access.deny_ips: `) || !strings.Contains(err.Error(), `"10.0.0.300/8"`) {
		t.Errorf("error = %v", err)
	}
}

// All bad entries are reported at once, not only the first.
func TestAccessReportsEveryProblem(t *testing.T) {
	a := Default().Access
	a.AllowIPs = []string{"1.2.3", "192.0.2.0/24", "::g"}
	a.Schedule = []string{"Mon 10:00"}
	err := a.Validate()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`"1.2.3"`, `"::g"`, `"Mon 10:00"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %s", err, want)
		}
	}
}

func TestAccessValidValues(t *testing.T) {
	a := Access{
		AllowIPs:       []string{"203.0.113.0/24", "2001:db8::/48", "192.0.2.7"},
		DenyIPs:        []string{"203.0.113.66"},
		Schedule:       []string{"Mon-Fri 06:00-18:00", "Fri 22:00-02:00", "Mon-Sun 00:00-24:00"},
		TimeZone:       "America/New_York",
		ExplainDenials: true,
		GracePeriod:    Duration{5 * time.Minute},
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, zone := range []string{"UTC", "Local", "", "Europe/Berlin", "Asia/Kolkata"} {
		a.TimeZone = zone
		if _, err := a.Location(); err != nil {
			t.Errorf("timezone %q: %v", zone, err)
		}
	}
}

// The server level applies its IP rules and its schedule in its zone.
func TestAccessServerLevel(t *testing.T) {
	a := Default().Access
	a.AllowIPs = []string{"203.0.113.0/24"}
	a.DenyIPs = []string{"203.0.113.66"}
	a.Schedule = []string{"Mon-Fri 06:00-18:00"}
	a.TimeZone = "America/New_York"
	lvl, err := a.ServerLevel()
	if err != nil {
		t.Fatal(err)
	}
	ny, err := a.Location()
	if err != nil || ny.String() != "America/New_York" {
		t.Fatalf("Location() = %v, %v", ny, err)
	}
	weekday := time.Date(2026, 3, 4, 9, 0, 0, 0, ny)     // Wednesday 09:00 New York
	early := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC) // 04:00 New York
	saturday := time.Date(2026, 3, 7, 9, 0, 0, 0, ny)
	tests := []struct {
		addr string
		at   time.Time
		want bool
	}{
		{"203.0.113.5", weekday, true},
		{"203.0.113.66", weekday, false},
		{"198.51.100.5", weekday, false},
		{"203.0.113.5", early, false},
		{"203.0.113.5", saturday, false},
	}
	for _, tt := range tests {
		d := access.Evaluate([]access.Level{lvl}, netip.MustParseAddr(tt.addr), tt.at)
		if d.Allowed != tt.want {
			t.Errorf("%s at %v: allowed %v, want %v (%s)", tt.addr, tt.at, d.Allowed, tt.want, d.Reason)
		}
	}
}

func TestAccessLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bulwark.toml")
	text := "[access]\nallow_ips = [\"192.0.2.0/24\"]\nschedule = [\"Sat-Sun 08:00-12:00\"]\n" +
		"timezone = \"Europe/Berlin\"\nexplain_denials = true\ngrace_period = \"2m\"\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Access
	if len(a.AllowIPs) != 1 || len(a.DenyIPs) != 0 || a.TimeZone != "Europe/Berlin" || !a.ExplainDenials ||
		a.GracePeriod.Duration != 2*time.Minute || len(a.Schedule) != 1 {
		t.Errorf("loaded %+v", a)
	}

	bad := "[access]\ndeny_ips = [\"10.0.0.300/8\"]\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), `access.deny_ips: `) ||
		!strings.Contains(err.Error(), `"10.0.0.300/8"`) {
		t.Errorf("Load bad deny_ips: %v", err)
	}
}
