package config

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/bulwark-ftp/bulwark/internal/password"
)

// PasswordPolicy is the [password_policy] section: which passwords are
// accepted, how long they last, and what happens when one has expired.
// Load fills the keys the file does not set from the chosen preset.
type PasswordPolicy struct {
	// Preset is "default" or "nist" (NIST SP 800-63B-4).
	Preset         string `toml:"preset"`
	MinLength      int    `toml:"min_length"`
	MaxLength      int    `toml:"max_length"`
	RequireUpper   bool   `toml:"require_upper"`
	RequireLower   bool   `toml:"require_lower"`
	RequireDigit   bool   `toml:"require_digit"`
	RequireSymbol  bool   `toml:"require_symbol"`
	RejectUserName bool   `toml:"reject_user_name"`
	// MinScore is the zxcvbn score (0 to 4) a password must reach; 0
	// turns the estimator off.
	MinScore int `toml:"min_score"`
	// BlocklistFile lists forbidden passwords, one a line, relative to
	// data_dir; "" means none.
	BlocklistFile string `toml:"blocklist_file"`
	MaxAgeDays    int    `toml:"max_age_days"`
	MinAgeDays    int    `toml:"min_age_days"`
	WarnDays      int    `toml:"warn_days"`
	History       int    `toml:"history"`
	// Expired is "restrict" (log in to a session where only SITE PSWD
	// works) or "refuse" (refuse the login).
	Expired string `toml:"expired"`
	// ChangeAtFirstLogin makes users created with "bulwark user add"
	// change their password at their first login.
	ChangeAtFirstLogin bool `toml:"change_at_first_login"`
	// ChangeAfterReset makes a password set with "bulwark user passwd"
	// be changed at the next login.
	ChangeAfterReset bool `toml:"change_after_reset"`
}

// Password policy presets and password_policy.expired values.
const (
	PresetDefault   = "default"
	PresetNIST      = "nist"
	ExpiredRestrict = "restrict"
	ExpiredRefuse   = "refuse"
)

// PasswordPolicyPreset returns the section as a preset sets it: the
// password package's DefaultPolicy or NISTPolicy, no blocklist file,
// expired passwords restricted to a password change, no forced changes.
func PasswordPolicyPreset(preset string) (PasswordPolicy, error) {
	var p password.Policy
	switch preset {
	case PresetDefault:
		p = password.DefaultPolicy()
	case PresetNIST:
		p = password.NISTPolicy()
	default:
		return PasswordPolicy{}, fmt.Errorf("password_policy.preset: %q: must be %q or %q", preset, PresetDefault, PresetNIST)
	}
	return PasswordPolicy{
		Preset:         preset,
		MinLength:      p.MinLength,
		MaxLength:      p.MaxLength,
		RequireUpper:   p.RequireUpper,
		RequireLower:   p.RequireLower,
		RequireDigit:   p.RequireDigit,
		RequireSymbol:  p.RequireSymbol,
		RejectUserName: p.RejectUserName,
		MinScore:       p.MinScore,
		MaxAgeDays:     int(p.MaxAge / day),
		MinAgeDays:     int(p.MinAge / day),
		WarnDays:       int(p.WarnPeriod / day),
		History:        p.History,
		Expired:        ExpiredRestrict,
	}, nil
}

const day = 24 * time.Hour

func defaultPasswordPolicy() PasswordPolicy {
	p, _ := PasswordPolicyPreset(PresetDefault)
	return p
}

// applyPreset gives every [password_policy] key the file did not set the
// value of the preset the file chose. Keys are found by their toml tags, so
// a key added to the section later is covered without a change here.
func (p *PasswordPolicy) applyPreset(md toml.MetaData) {
	preset, err := PasswordPolicyPreset(p.Preset)
	if err != nil {
		return // Validate reports it
	}
	dst := reflect.ValueOf(p).Elem()
	src := reflect.ValueOf(preset)
	for _, f := range reflect.VisibleFields(dst.Type()) {
		key := f.Tag.Get("toml")
		if key == "" || key == "preset" || md.IsDefined("password_policy", key) {
			continue
		}
		dst.FieldByIndex(f.Index).Set(src.FieldByIndex(f.Index))
	}
}

// Validate checks the [password_policy] section. Whether blocklist_file
// can be read is checked by Build.
func (p PasswordPolicy) Validate() error {
	var errs []error
	bad := func(key string, format string, a ...any) {
		errs = append(errs, fmt.Errorf("password_policy."+key+": "+format, a...))
	}
	if _, err := PasswordPolicyPreset(p.Preset); err != nil {
		errs = append(errs, err)
	}
	if p.MinLength < 1 || p.MinLength > password.MinLengthLimit {
		bad("min_length", "%d: must be between 1 and %d", p.MinLength, password.MinLengthLimit)
	}
	if p.MaxLength < p.MinLength || p.MaxLength > password.MaxLengthLimit {
		bad("max_length", "%d: must be between min_length (%d) and %d", p.MaxLength, p.MinLength, password.MaxLengthLimit)
	}
	if p.MinScore < 0 || p.MinScore > password.MaxScore {
		bad("min_score", "%d: must be between 0 and %d", p.MinScore, password.MaxScore)
	}
	for _, d := range []struct {
		key string
		n   int
	}{{"max_age_days", p.MaxAgeDays}, {"min_age_days", p.MinAgeDays}, {"warn_days", p.WarnDays}} {
		if d.n < 0 || d.n > password.MaxDays {
			bad(d.key, "%d: must be between 0 and %d", d.n, password.MaxDays)
		}
	}
	if p.MaxAgeDays > 0 && p.WarnDays >= p.MaxAgeDays {
		bad("warn_days", "%d: must be less than max_age_days (%d)", p.WarnDays, p.MaxAgeDays)
	}
	if p.MaxAgeDays > 0 && p.MinAgeDays >= p.MaxAgeDays {
		bad("min_age_days", "%d: must be less than max_age_days (%d)", p.MinAgeDays, p.MaxAgeDays)
	}
	if p.History < 0 || p.History > password.HistoryLimit {
		bad("history", "%d: must be between 0 and %d", p.History, password.HistoryLimit)
	}
	if p.Expired != ExpiredRestrict && p.Expired != ExpiredRefuse {
		bad("expired", "%q: must be %q or %q", p.Expired, ExpiredRestrict, ExpiredRefuse)
	}
	return errors.Join(errs...)
}

// Build returns the policy the section describes, with the blocklist file
// (resolved like log.file, relative to data_dir) loaded.
func (p PasswordPolicy) Build(cfg *Config) (password.Policy, error) {
	if err := p.Validate(); err != nil {
		return password.Policy{}, err
	}
	pol := password.Policy{
		MinLength:      p.MinLength,
		MaxLength:      p.MaxLength,
		RequireUpper:   p.RequireUpper,
		RequireLower:   p.RequireLower,
		RequireDigit:   p.RequireDigit,
		RequireSymbol:  p.RequireSymbol,
		RejectUserName: p.RejectUserName,
		MinScore:       p.MinScore,
		MaxAge:         time.Duration(p.MaxAgeDays) * day,
		MinAge:         time.Duration(p.MinAgeDays) * day,
		WarnPeriod:     time.Duration(p.WarnDays) * day,
		History:        p.History,
	}
	if p.BlocklistFile != "" {
		bl, err := password.LoadBlocklist(cfg.Resolve(p.BlocklistFile))
		if err != nil {
			return password.Policy{}, fmt.Errorf("password_policy.blocklist_file: %w", err)
		}
		pol.Blocklist = bl
	}
	if err := pol.Validate(); err != nil {
		return password.Policy{}, fmt.Errorf("password_policy: %w", err)
	}
	return pol, nil
}

// RefuseExpired reports whether a login with an expired password is
// refused rather than let into a session restricted to SITE PSWD.
func (p PasswordPolicy) RefuseExpired() bool { return p.Expired == ExpiredRefuse }
