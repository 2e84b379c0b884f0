// Package user holds the account values the rest of Bulwark works with:
// users and, in later steps, groups, shares and permissions. It does no I/O.
package user

import (
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is one account.
type User struct {
	ID   int64
	Name string
	// PasswordHash is a PHC-style string ($argon2id$..., $2b$..., $6$...).
	PasswordHash string
	// Home is the user's home directory on the host. Relative paths are
	// resolved against the server's data directory.
	Home string
	// Disabled accounts cannot log in.
	Disabled bool
	// RequireTLS refuses this user on clear-text connections even when the
	// server allows them.
	RequireTLS bool
	// Comment is free text for administrators.
	Comment   string
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastLogin is zero until the first successful login.
	LastLogin time.Time

	// Groups names the groups the user belongs to.
	Groups []string
	// Perms are the user's own rights per virtual path. A new user gets
	// "/=all": full rights in their own home.
	Perms Rules
	// Limits bound what the user may store in their home.
	Limits Limits
	// MaxSessions limits simultaneous sessions; 0 is unlimited.
	MaxSessions int
	// UploadRate and DownloadRate limit bandwidth in bytes per second per
	// user (all sessions together); 0 is unlimited.
	UploadRate   int64
	DownloadRate int64

	// PasswordChangedAt is when the password was last set; aging counts
	// from it.
	PasswordChangedAt time.Time
	// MustChangePassword puts the next login into a restricted session in
	// which only a password change is possible.
	MustChangePassword bool
	// AgingExempt exempts the account (a machine account, say) from
	// password expiry.
	AgingExempt bool
	// ValidUntil, when not zero, is the end of the account's validity:
	// logins after it are refused.
	ValidUntil time.Time
	// ValidFrom, when not zero, is the start of the account's validity:
	// logins before it are refused.
	ValidFrom time.Time

	// Access holds the user's own network and time rules.
	Access AccessRules
}

// AccessRules restrict where from and when an account (or every member of a
// group) may log in. Empty lists mean no restriction at that level.
type AccessRules struct {
	// AllowIPs and DenyIPs hold addresses or CIDRs in text form
	// ("203.0.113.0/24", "2001:db8::1"). Deny wins over allow; an empty
	// allow list allows any address.
	AllowIPs []string `json:"allow_ips"`
	DenyIPs  []string `json:"deny_ips"`
	// Schedule holds weekly windows such as "Mon-Fri 06:00-18:00"; empty
	// means any time.
	Schedule []string `json:"schedule"`
	// TimeZone is an IANA zone name for the schedule ("America/New_York");
	// empty means the server's zone.
	TimeZone string `json:"time_zone,omitempty"`
}

// IsZero reports whether no rule is set.
func (r AccessRules) IsZero() bool {
	return len(r.AllowIPs) == 0 && len(r.DenyIPs) == 0 && len(r.Schedule) == 0 && r.TimeZone == ""
}

// MaxNameLen bounds user names.
const MaxNameLen = 64

// ErrInvalidName is returned by ValidateName.
var ErrInvalidName = errors.New("invalid user name")

// ValidateName checks that name is usable as a login name: 1 to 64
// characters, letters, digits and . _ - @ only, not starting with '-' or '.'.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return fmt.Errorf("%w: longer than %d characters", ErrInvalidName, MaxNameLen)
	}
	if name[0] == '-' || name[0] == '.' {
		return fmt.Errorf("%w: must not start with %q", ErrInvalidName, name[0])
	}
	for _, r := range name {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r):
		case r == '.', r == '_', r == '-', r == '@':
		default:
			return fmt.Errorf("%w: character %q not allowed", ErrInvalidName, r)
		}
	}
	return nil
}
