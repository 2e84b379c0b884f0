package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// passwordRuleKey is one key of --password-rule: its name, as in
// [password_policy] and in JSON, and where it lives in user.PasswordRules.
type passwordRuleKey struct {
	name string
	// Exactly one of these is set.
	num  func(r *user.PasswordRules) **int
	flag func(r *user.PasswordRules) **bool
	// min and max bound a number.
	min, max int
}

// passwordRuleKeys lists the keys in the order they are shown.
func passwordRuleKeys() []passwordRuleKey {
	return []passwordRuleKey{
		{name: "min_length", num: func(r *user.PasswordRules) **int { return &r.MinLength }, min: 1, max: password.MinLengthLimit},
		{name: "max_length", num: func(r *user.PasswordRules) **int { return &r.MaxLength }, min: 1, max: password.MaxLengthLimit},
		{name: "require_upper", flag: func(r *user.PasswordRules) **bool { return &r.RequireUpper }},
		{name: "require_lower", flag: func(r *user.PasswordRules) **bool { return &r.RequireLower }},
		{name: "require_digit", flag: func(r *user.PasswordRules) **bool { return &r.RequireDigit }},
		{name: "require_symbol", flag: func(r *user.PasswordRules) **bool { return &r.RequireSymbol }},
		{name: "min_score", num: func(r *user.PasswordRules) **int { return &r.MinScore }, max: password.MaxScore},
		{name: "max_age_days", num: func(r *user.PasswordRules) **int { return &r.MaxAgeDays }, max: password.MaxDays},
		{name: "min_age_days", num: func(r *user.PasswordRules) **int { return &r.MinAgeDays }, max: password.MaxDays},
		{name: "warn_days", num: func(r *user.PasswordRules) **int { return &r.WarnDays }, max: password.MaxDays},
		{name: "history", num: func(r *user.PasswordRules) **int { return &r.History }, max: password.HistoryLimit},
	}
}

func passwordRuleNames() string {
	var names []string
	for _, k := range passwordRuleKeys() {
		names = append(names, k.name)
	}
	return strings.Join(names, ", ")
}

// passwordRuleFlags are --password-rule and --clear-password-rules of
// "group add" and "group set".
type passwordRuleFlags struct {
	values []string
	clear  bool
}

func (pf *passwordRuleFlags) register(cmd *cobra.Command, editing bool) {
	f := cmd.Flags()
	f.StringArrayVar(&pf.values, "password-rule", nil, "override the password policy for members, `KEY=VALUE` (repeatable; "+
		"KEY=, with no value, removes one override). Keys: "+passwordRuleNames()+". See docs/passwords.md")
	if editing {
		f.BoolVar(&pf.clear, "clear-password-rules", false, "remove every password override of the group before --password-rule applies")
	}
}

func (pf *passwordRuleFlags) changes() bool { return pf.clear || len(pf.values) > 0 }

// apply edits r: first --clear-password-rules, then each --password-rule
// in order. Errors name the flag and the value.
func (pf *passwordRuleFlags) apply(r user.PasswordRules) (user.PasswordRules, error) {
	if pf.clear {
		r = user.PasswordRules{}
	}
	for _, v := range pf.values {
		if err := setPasswordRule(&r, v); err != nil {
			return r, err
		}
	}
	return r, nil
}

// setPasswordRule applies one KEY=VALUE to r.
func setPasswordRule(r *user.PasswordRules, kv string) error {
	key, value, ok := strings.Cut(kv, "=")
	if !ok {
		return usagef("--password-rule %q: want KEY=VALUE, for example min_length=12", kv)
	}
	key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
	for _, k := range passwordRuleKeys() {
		if k.name != key {
			continue
		}
		if k.flag != nil {
			p := k.flag(r)
			if value == "" {
				*p = nil
				return nil
			}
			b, err := strconv.ParseBool(value)
			if err != nil {
				return usagef("--password-rule %q: %s wants true or false", kv, key)
			}
			*p = &b
			return nil
		}
		p := k.num(r)
		if value == "" {
			*p = nil
			return nil
		}
		n, err := strconv.Atoi(value)
		if err != nil || n < k.min || n > k.max {
			return usagef("--password-rule %q: %s wants a whole number from %d to %d", kv, key, k.min, k.max)
		}
		*p = &n
		return nil
	}
	return usagef("--password-rule %q: unknown key %q; keys are %s", kv, key, passwordRuleNames())
}

// passwordRuleRows lists the overrides set in r as KEY, VALUE rows.
func passwordRuleRows(r user.PasswordRules) [][]string {
	var rows [][]string
	for _, k := range passwordRuleKeys() {
		if k.flag != nil {
			if b := *k.flag(&r); b != nil {
				rows = append(rows, []string{k.name, strconv.FormatBool(*b)})
			}
		} else if n := *k.num(&r); n != nil {
			rows = append(rows, []string{k.name, strconv.Itoa(*n)})
		}
	}
	return rows
}

// passwordRulesSummary is "min_length=12 history=5", or "-" when r sets
// nothing.
func passwordRulesSummary(r user.PasswordRules) string {
	rows := passwordRuleRows(r)
	if len(rows) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(rows))
	for _, row := range rows {
		parts = append(parts, row[0]+"="+row[1])
	}
	return strings.Join(parts, " ")
}
