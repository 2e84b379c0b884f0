package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/password"
)

func build(t *testing.T, cfg *Config) password.Policy {
	t.Helper()
	p, err := cfg.PasswordPolicy.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPasswordPolicyDefault(t *testing.T) {
	cfg := Default()
	if got := build(t, cfg); !reflect.DeepEqual(got, password.DefaultPolicy()) {
		t.Errorf("Build = %+v\nwant %+v", got, password.DefaultPolicy())
	}
	pp := cfg.PasswordPolicy
	if pp.Preset != PresetDefault || pp.Expired != ExpiredRestrict || pp.RefuseExpired() ||
		pp.ChangeAtFirstLogin || pp.ChangeAfterReset || pp.BlocklistFile != "" {
		t.Errorf("defaults: %+v", pp)
	}
}

func TestPasswordPolicyPresets(t *testing.T) {
	d := 24 * time.Hour
	tests := []struct {
		name, text string
		want       func() password.Policy
	}{
		{"empty file", "", password.DefaultPolicy},
		{"preset default", "[password_policy]\npreset = \"default\"\n", password.DefaultPolicy},
		{"preset nist", "[password_policy]\npreset = \"nist\"\n", password.NISTPolicy},
		{"nist with explicit keys", `
[password_policy]
preset = "nist"
min_length = 20
max_age_days = 365
warn_days = 30
require_symbol = true
`, func() password.Policy {
			p := password.NISTPolicy()
			p.MinLength, p.MaxAge, p.WarnPeriod, p.RequireSymbol = 20, 365*d, 30*d, true
			return p
		}},
		// A key set to the default preset's own value still overrides nist.
		{"nist with a default value set", "[password_policy]\npreset = \"nist\"\nrequire_upper = true\nhistory = 5\n",
			func() password.Policy {
				p := password.NISTPolicy()
				p.RequireUpper, p.History = true, 5
				return p
			}},
		{"default with explicit keys", "[password_policy]\nmin_score = 4\nmax_age_days = 0\nmin_age_days = 0\n",
			func() password.Policy {
				p := password.DefaultPolicy()
				p.MinScore, p.MaxAge, p.MinAge = 4, 0, 0
				return p
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(writeFile(t, tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := build(t, cfg), tt.want(); !reflect.DeepEqual(got, want) {
				t.Errorf("Build = %+v\nwant %+v", got, want)
			}
		})
	}
}

// Keys outside the policy proper are not the preset's business beyond
// their defaults, and explicit values survive a preset.
func TestPasswordPolicyOtherKeys(t *testing.T) {
	cfg, err := Load(writeFile(t, `
[password_policy]
preset = "nist"
expired = "refuse"
change_at_first_login = true
change_after_reset = true
`))
	if err != nil {
		t.Fatal(err)
	}
	pp := cfg.PasswordPolicy
	if !pp.RefuseExpired() || !pp.ChangeAtFirstLogin || !pp.ChangeAfterReset || pp.Preset != PresetNIST {
		t.Errorf("got %+v", pp)
	}
	cfg, err = Load(writeFile(t, "[password_policy]\npreset = \"nist\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pp := cfg.PasswordPolicy; pp.RefuseExpired() || pp.ChangeAtFirstLogin || pp.ChangeAfterReset {
		t.Errorf("nist preset: %+v", pp)
	}
}

func TestPasswordPolicyInvalidValuesNameTheirKey(t *testing.T) {
	tests := []struct {
		key    string
		mutate func(*PasswordPolicy)
	}{
		{"preset", func(p *PasswordPolicy) { p.Preset = "strict" }},
		{"preset", func(p *PasswordPolicy) { p.Preset = "" }},
		{"min_length", func(p *PasswordPolicy) { p.MinLength = 0 }},
		{"min_length", func(p *PasswordPolicy) { p.MinLength, p.MaxLength = 1025, 2000 }},
		{"max_length", func(p *PasswordPolicy) { p.MaxLength = 7 }},
		{"max_length", func(p *PasswordPolicy) { p.MaxLength = 4097 }},
		{"min_score", func(p *PasswordPolicy) { p.MinScore = -1 }},
		{"min_score", func(p *PasswordPolicy) { p.MinScore = 5 }},
		{"max_age_days", func(p *PasswordPolicy) { p.MaxAgeDays = -1 }},
		{"max_age_days", func(p *PasswordPolicy) { p.MaxAgeDays = 3651 }},
		{"min_age_days", func(p *PasswordPolicy) { p.MinAgeDays = -1 }},
		{"min_age_days", func(p *PasswordPolicy) { p.MinAgeDays = 90 }},
		{"warn_days", func(p *PasswordPolicy) { p.WarnDays = -1 }},
		{"warn_days", func(p *PasswordPolicy) { p.WarnDays = 90 }},
		{"history", func(p *PasswordPolicy) { p.History = -1 }},
		{"history", func(p *PasswordPolicy) { p.History = 25 }},
		{"expired", func(p *PasswordPolicy) { p.Expired = "lock" }},
	}
	for _, tt := range tests {
		cfg := Default()
		tt.mutate(&cfg.PasswordPolicy)
		err := cfg.Validate()
		if err == nil {
			t.Errorf("%s: invalid value accepted", tt.key)
			continue
		}
		if !strings.Contains(err.Error(), "password_policy."+tt.key+":") {
			t.Errorf("%s: error %q does not name the key", tt.key, err)
		}
		if _, err := cfg.PasswordPolicy.Build(cfg); err == nil {
			t.Errorf("%s: Build accepted an invalid section", tt.key)
		}
	}
	valid := []func(*PasswordPolicy){
		func(p *PasswordPolicy) { p.MaxAgeDays, p.WarnDays, p.MinAgeDays = 0, 400, 400 },
		func(p *PasswordPolicy) { p.MinLength, p.MaxLength = 64, 64 },
		func(p *PasswordPolicy) { p.MinScore, p.History = 0, 24 },
		func(p *PasswordPolicy) { p.MaxAgeDays, p.WarnDays, p.MinAgeDays = 2, 1, 1 },
	}
	for i, mutate := range valid {
		cfg := Default()
		mutate(&cfg.PasswordPolicy)
		if err := cfg.Validate(); err != nil {
			t.Errorf("valid case %d: %v", i, err)
		}
	}
}

func TestPasswordPolicyLoadErrors(t *testing.T) {
	for text, want := range map[string]string{
		"[password_policy]\npreset = \"nsit\"\n":                  "password_policy.preset",
		"[password_policy]\nmin_lenght = 9\n":                     "password_policy.min_lenght",
		"[password_policy]\nmin_length = \"9\"\n":                 "password_policy.min_length",
		"[password_policy]\npreset = \"nist\"\nmax_length = 10\n": "password_policy.max_length",
	} {
		if _, err := Load(writeFile(t, text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", text, err, want)
		}
	}
}

func TestPasswordPolicyBlocklist(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "forbidden.txt"), []byte("# ours\nAcme-Widgets-2025\nacme\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.DataDir = dir
	cfg.PasswordPolicy.BlocklistFile = "forbidden.txt" // relative to data_dir
	p := build(t, cfg)
	if p.Blocklist.Len() != 2 || !p.Blocklist.Contains("acme-widgets-2025") {
		t.Errorf("blocklist: %d words", p.Blocklist.Len())
	}
	if err := p.Check("Acme-Widgets-2025", "bob"); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("Check = %v", err)
	}

	cfg.DataDir = t.TempDir()
	cfg.PasswordPolicy.BlocklistFile = filepath.Join(dir, "forbidden.txt") // absolute
	if p := build(t, cfg); p.Blocklist.Len() != 2 {
		t.Errorf("absolute path: %d words", p.Blocklist.Len())
	}

	cfg.PasswordPolicy.BlocklistFile = "missing.txt"
	_, err := cfg.PasswordPolicy.Build(cfg)
	if err == nil || !strings.Contains(err.Error(), "password_policy.blocklist_file:") ||
		!strings.Contains(err.Error(), filepath.Join(cfg.DataDir, "missing.txt")) {
		t.Errorf("missing file: %v", err)
	}
}

var commentedKey = regexp.MustCompile(`(?m)^# ([a-z_]+ = .*)$`)

// The example's commented [password_policy] keys show the default preset's
// values, and switching the example to "nist" gives the NIST policy.
func TestExamplePolicyComments(t *testing.T) {
	text := Example()
	i := strings.Index(text, "[password_policy]")
	j := strings.Index(text, "[users]")
	if i < 0 || j < i {
		t.Fatal("[password_policy] section not found before [users]")
	}
	section := text[i:j]
	uncommented := text[:i] + commentedKey.ReplaceAllString(section, "$1") + text[j:]
	if strings.Count(uncommented, "\n") != strings.Count(text, "\n") || uncommented == text {
		t.Fatal("uncommenting failed")
	}
	cfg, err := Load(writeFile(t, uncommented))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("commented values differ from the default preset:\n%+v\n%+v", cfg.PasswordPolicy, Default().PasswordPolicy)
	}

	nist := strings.Replace(text, `preset = "default"`, `preset = "nist"`, 1)
	cfg, err = Load(writeFile(t, nist))
	if err != nil {
		t.Fatal(err)
	}
	if got := build(t, cfg); !reflect.DeepEqual(got, password.NISTPolicy()) {
		t.Errorf("example with preset nist: %+v", got)
	}
}
