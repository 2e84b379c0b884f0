package password

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Policy says which passwords are acceptable and how long they last.
// Lengths count characters (Unicode code points), not bytes. A Policy is a
// plain value: copy it freely; the Blocklist it points to is never changed
// after it is built, so a Policy is safe for concurrent use.
type Policy struct {
	MinLength, MaxLength                                    int
	RequireUpper, RequireLower, RequireDigit, RequireSymbol bool
	// RejectUserName refuses passwords that contain the user name (names
	// of three characters or more, compared without regard to case).
	RejectUserName bool
	// MinScore is the zxcvbn score, 0 to 4, a password must reach; 0
	// disables the estimator.
	MinScore int
	// Blocklist is the administrator's list of forbidden passwords; nil
	// means none.
	Blocklist *Blocklist
	// MaxAge is how long a password lasts, MinAge how long a user must
	// keep a new password before changing it again, WarnPeriod how long
	// before expiry the user is warned. 0 disables each.
	MaxAge, MinAge, WarnPeriod time.Duration
	// History is how many previous passwords may not be reused.
	History int
}

// Bounds a Policy must keep (see Validate).
const (
	MinLengthLimit = 1024 // largest MinLength
	MaxLengthLimit = 4096 // largest MaxLength
	MaxScore       = 4    // largest MinScore (zxcvbn's scale)
	HistoryLimit   = 24   // largest History
	MaxDays        = 3650 // largest age, in days, a group rule may set
)

const day = 24 * time.Hour

// DefaultPolicy is Bulwark's built-in policy: 8 to 128 characters with an
// upper-case letter, a lower-case letter and a digit, no user name, a
// zxcvbn score of at least 3, expiry after 90 days with a warning 14 days
// before, at most one change a day, and the last 5 passwords not reused.
func DefaultPolicy() Policy {
	return Policy{
		MinLength:      8,
		MaxLength:      128,
		RequireUpper:   true,
		RequireLower:   true,
		RequireDigit:   true,
		RejectUserName: true,
		MinScore:       3,
		MaxAge:         90 * day,
		MinAge:         day,
		WarnPeriod:     14 * day,
		History:        5,
	}
}

// NISTPolicy follows NIST SP 800-63B-4 (2025), section 3.1.1.2 "Password
// Verifiers", for passwords used as a single factor:
//   - at least 15 characters; a maximum of at least 64 must be permitted
//     (128 here), each code point counted as one character;
//   - no composition rules (SHALL NOT);
//   - candidates compared against a blocklist of commonly used, expected or
//     compromised values, including context-specific words such as the user
//     name: the estimator's dictionaries (common passwords, words, names,
//     keyboard patterns, sequences) with MinScore 3, RejectUserName, and the
//     administrator's Blocklist when one is configured (nil here);
//   - no periodic change (SHALL NOT); a change is forced only on evidence
//     of compromise, which an administrator does by resetting the password.
//
// MinAge and History are 0: 800-63B-4 asks for neither.
func NISTPolicy() Policy {
	return Policy{
		MinLength:      15,
		MaxLength:      128,
		RejectUserName: true,
		MinScore:       3,
	}
}

// Validate reports every value that is out of bounds.
func (p Policy) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("password policy: "+format, a...)) }
	if p.MinLength < 1 || p.MinLength > MinLengthLimit {
		bad("minimum length %d: must be 1 to %d", p.MinLength, MinLengthLimit)
	}
	if p.MaxLength < p.MinLength || p.MaxLength > MaxLengthLimit {
		bad("maximum length %d: must be between the minimum length (%d) and %d", p.MaxLength, p.MinLength, MaxLengthLimit)
	}
	if p.MinScore < 0 || p.MinScore > MaxScore {
		bad("minimum score %d: must be 0 to %d", p.MinScore, MaxScore)
	}
	if p.MaxAge < 0 || p.MinAge < 0 || p.WarnPeriod < 0 {
		bad("ages must not be negative")
	}
	if p.MaxAge > 0 && p.WarnPeriod >= p.MaxAge {
		bad("warning period %v: must be shorter than the maximum age %v", p.WarnPeriod, p.MaxAge)
	}
	if p.MaxAge > 0 && p.MinAge >= p.MaxAge {
		bad("minimum age %v: must be shorter than the maximum age %v", p.MinAge, p.MaxAge)
	}
	if p.History < 0 || p.History > HistoryLimit {
		bad("history %d: must be 0 to %d", p.History, HistoryLimit)
	}
	return errors.Join(errs...)
}

// Apply returns p with the overrides of the groups a user belongs to. A
// field no group sets keeps p's value. A field one group sets takes that
// group's value, even when it is less strict than p's: groups exist to
// adjust the server's policy both ways. When several groups set a field,
// the strictest of their values wins:
//   - MinLength, MinScore, MinAge, WarnPeriod, History: the largest;
//   - Require*: true if any group sets true;
//   - MaxAge: the smallest non-zero value (0, never expire, is the least
//     strict), or 0 when every group sets 0;
//   - MaxLength: the smallest value that is at least the resulting
//     MinLength, or the resulting MinLength when every value is below it.
//
// Whatever the groups say, MaxLength is raised to MinLength if it fell
// below it, MinScore is kept within 0 to MaxScore and day counts within 0
// to MaxDays, so that no group can make every password impossible.
func (p Policy) Apply(groups ...user.PasswordRules) Policy {
	ints := func(get func(user.PasswordRules) *int) []int {
		var vals []int
		for _, g := range groups {
			if v := get(g); v != nil {
				vals = append(vals, *v)
			}
		}
		return vals
	}
	anyTrue := func(cur bool, get func(user.PasswordRules) *bool) bool {
		set := false
		for _, g := range groups {
			if v := get(g); v != nil {
				if *v {
					return true
				}
				set = true
			}
		}
		if set {
			return false
		}
		return cur
	}
	days := func(d int) time.Duration { return time.Duration(min(max(d, 0), MaxDays)) * day }

	if v := ints(func(r user.PasswordRules) *int { return r.MinLength }); v != nil {
		p.MinLength = max(slicesMax(v), 1)
	}
	if v := ints(func(r user.PasswordRules) *int { return r.MaxLength }); v != nil {
		best := 0
		for _, n := range v {
			if n >= p.MinLength && (best == 0 || n < best) {
				best = n
			}
		}
		p.MaxLength = best
	}
	if p.MaxLength < p.MinLength {
		p.MaxLength = p.MinLength
	}
	p.RequireUpper = anyTrue(p.RequireUpper, func(r user.PasswordRules) *bool { return r.RequireUpper })
	p.RequireLower = anyTrue(p.RequireLower, func(r user.PasswordRules) *bool { return r.RequireLower })
	p.RequireDigit = anyTrue(p.RequireDigit, func(r user.PasswordRules) *bool { return r.RequireDigit })
	p.RequireSymbol = anyTrue(p.RequireSymbol, func(r user.PasswordRules) *bool { return r.RequireSymbol })
	if v := ints(func(r user.PasswordRules) *int { return r.MinScore }); v != nil {
		p.MinScore = min(max(slicesMax(v), 0), MaxScore)
	}
	if v := ints(func(r user.PasswordRules) *int { return r.MaxAgeDays }); v != nil {
		p.MaxAge = 0
		for _, n := range v {
			if d := days(n); d > 0 && (p.MaxAge == 0 || d < p.MaxAge) {
				p.MaxAge = d
			}
		}
	}
	if v := ints(func(r user.PasswordRules) *int { return r.MinAgeDays }); v != nil {
		p.MinAge = days(slicesMax(v))
	}
	if v := ints(func(r user.PasswordRules) *int { return r.WarnDays }); v != nil {
		p.WarnPeriod = days(slicesMax(v))
	}
	if v := ints(func(r user.PasswordRules) *int { return r.History }); v != nil {
		p.History = min(max(slicesMax(v), 0), HistoryLimit)
	}
	return p
}

func slicesMax(v []int) int {
	m := v[0]
	for _, n := range v[1:] {
		m = max(m, n)
	}
	return m
}

// PolicyError lists every rule a password broke, in plain words meant for
// the user ("needs a digit").
type PolicyError struct {
	Failures []string
}

func (e *PolicyError) Error() string {
	return "password refused: " + strings.Join(e.Failures, "; ")
}

// Check returns nil when pw is acceptable for the account userName, or a
// *PolicyError listing every rule it breaks.
func (p Policy) Check(pw, userName string) error {
	var fail []string
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		fail = append(fail, fmt.Sprintf("must be at least %d characters", p.MinLength))
	}
	tooLong := p.MaxLength > 0 && n > p.MaxLength
	if tooLong {
		fail = append(fail, fmt.Sprintf("must be at most %d characters", p.MaxLength))
	}
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			symbol = true
		}
	}
	for _, rule := range []struct {
		required, present bool
		text              string
	}{
		{p.RequireUpper, upper, "needs an uppercase letter"},
		{p.RequireLower, lower, "needs a lowercase letter"},
		{p.RequireDigit, digit, "needs a digit"},
		{p.RequireSymbol, symbol, "needs a symbol"},
	} {
		if rule.required && !rule.present {
			fail = append(fail, rule.text)
		}
	}
	if p.RejectUserName && containsName(pw, userName) {
		fail = append(fail, "must not contain the user name")
	}
	if p.Blocklist.Contains(pw) {
		fail = append(fail, "is on the list of forbidden passwords")
	}
	// The estimator's cost grows steeply with length; a password already
	// refused as too long is not worth it.
	if p.MinScore > 0 && !tooLong {
		if score, reason := estimate(pw, userName); score < p.MinScore {
			fail = append(fail, "too easy to guess: "+reason)
		}
	}
	if len(fail) == 0 {
		return nil
	}
	return &PolicyError{Failures: fail}
}

// minNameLen is the shortest user name the user-name rule looks for: a
// shorter one would refuse too many good passwords by chance.
const minNameLen = 3

func containsName(pw, name string) bool {
	if utf8.RuneCountInString(name) < minNameLen {
		return false
	}
	return strings.Contains(strings.ToLower(pw), strings.ToLower(name))
}
