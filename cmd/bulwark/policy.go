package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// policies computes the password policy in force for any user: the
// server's [password_policy] with the overrides of the user's groups.
type policies struct {
	base   password.Policy
	groups map[string]*user.Group // by lower-case name
}

// loadPolicies reads the server's policy and every group's overrides.
func loadPolicies(ctx context.Context, cfg *config.Config, st store.Store) (*policies, error) {
	base, err := cfg.PasswordPolicy.Build(cfg)
	if err != nil {
		return nil, err
	}
	groups, err := st.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	p := &policies{base: base, groups: make(map[string]*user.Group, len(groups))}
	for _, g := range groups {
		p.groups[strings.ToLower(g.Name)] = g
	}
	return p, nil
}

// forUser is the policy for u, from the groups u.Groups names (which need
// not be stored yet: "user add --group" asks before the user exists). The
// password package decides how several groups combine.
func (p *policies) forUser(u *user.User) password.Policy {
	var rules []user.PasswordRules
	for _, name := range u.Groups {
		if g := p.groups[strings.ToLower(name)]; g != nil && !g.PasswordRules.IsZero() {
			rules = append(rules, g.PasswordRules)
		}
	}
	return p.base.Apply(rules...)
}

// userPolicy is the password policy in force for u.
func userPolicy(ctx context.Context, cfg *config.Config, st store.Store, u *user.User) (password.Policy, error) {
	p, err := loadPolicies(ctx, cfg, st)
	if err != nil {
		return password.Policy{}, err
	}
	return p.forUser(u), nil
}

// checkPolicy checks pw against pol and lists every rule it breaks, one
// per indented line, so the administrator fixes them all at once.
func checkPolicy(pol password.Policy, pw, userName string) error {
	err := pol.Check(pw, userName)
	if err == nil {
		return nil
	}
	var pe *password.PolicyError
	if !errors.As(err, &pe) || len(pe.Failures) == 0 {
		return fmt.Errorf("password refused: %w", err)
	}
	var b strings.Builder
	b.WriteString("password refused:")
	for _, f := range pe.Failures {
		b.WriteString("\n  - " + f)
	}
	return errors.New(b.String())
}

// passwordAge is what aging says about one user's password at a moment.
func passwordAge(pol password.Policy, u *user.User, now time.Time) password.AgeStatus {
	return pol.Age(u.PasswordChangedAt, now, u.AgingExempt)
}

// expiresAt is when u's password expires, or nil when it never does.
func expiresAt(u *user.User, age password.AgeStatus) *time.Time {
	if u.AgingExempt || age.Never || age.ExpiresAt.IsZero() {
		return nil
	}
	t := age.ExpiresAt.UTC()
	return &t
}

// formatExpiry says when u's password expires, for "user show" and
// "user list --expiring".
func formatExpiry(u *user.User, age password.AgeStatus, now time.Time) string {
	switch {
	case u.AgingExempt:
		return "exempt"
	case age.Never || age.ExpiresAt.IsZero():
		return "never"
	}
	return formatTime(age.ExpiresAt) + " (" + expiryDistance(age, now) + ")"
}

// expiryDistance is "in 12 days" or "expired 3 days ago". Days left are
// rounded up, as in the warning users get at login.
func expiryDistance(age password.AgeStatus, now time.Time) string {
	if age.Expired || !age.ExpiresAt.After(now) {
		days := int(now.Sub(age.ExpiresAt) / (24 * time.Hour))
		if days == 0 {
			return "expired today"
		}
		return "expired " + plural(int64(days), "day") + " ago"
	}
	s := "in " + plural(int64(age.DaysLeft), "day")
	if age.Warn {
		s += ", warned at login"
	}
	return s
}

// parseValidUntil turns a --valid-until date into the stored instant: the
// last second of that day in UTC, so the account works through the whole
// day named wherever the server runs. "never" is the zero time.
func parseValidUntil(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "never") {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usagef("%s %q: want a date YYYY-MM-DD or never", flag, s)
	}
	return d.Add(24*time.Hour - time.Second), nil
}

// formatValidUntil shows a stored ValidUntil as the date it was given as.
func formatValidUntil(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.DateOnly) + " (until 23:59:59 UTC)"
}
