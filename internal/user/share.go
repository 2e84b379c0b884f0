package user

import "time"

// Group collects users that share rights, shared-folder grants and (in
// later steps) policies.
type Group struct {
	ID      int64
	Name    string
	Perms   Rules
	Comment string
	// PasswordRules override the server's password policy for members.
	PasswordRules PasswordRules
	// Access restricts where from and when members may log in.
	Access    AccessRules
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Limits bound what a user, or a grantee inside a share, may store. Zero
// means unlimited.
type Limits struct {
	MaxBytes    int64 `json:"max_bytes"`     // total bytes
	MaxFiles    int64 `json:"max_files"`     // total files
	MaxFileSize int64 `json:"max_file_size"` // bytes in one file
}

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool { return l == Limits{} }

// Usage is what a home or a share holds.
type Usage struct {
	Bytes int64
	Files int64
	// Known is false until the usage has been counted once.
	Known bool
}

// Share is a named host directory that administrators grant to users and
// groups. Nobody sees it unless granted.
type Share struct {
	ID        int64
	Name      string
	Path      string // host directory
	Comment   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Grant mounts a share for one user or one group (exactly one of User and
// Group is set) at a virtual path with the given rights and limits. The
// limits apply to the share's whole content as seen through this grant.
type Grant struct {
	Share  string
	User   string
	Group  string
	At     string
	Rights Rights
	Limits Limits
}

// Grantee names who the grant is for: "user:alice" or "group:staff".
func (g Grant) Grantee() string {
	if g.User != "" {
		return "user:" + g.User
	}
	return "group:" + g.Group
}

// PasswordRules are a group's overrides of the server's password policy.
// A nil field keeps the server's value. When a user is in several groups
// the strictest value of each field applies (see password.Policy.Apply).
type PasswordRules struct {
	MinLength     *int  `json:"min_length,omitempty"`
	MaxLength     *int  `json:"max_length,omitempty"`
	RequireUpper  *bool `json:"require_upper,omitempty"`
	RequireLower  *bool `json:"require_lower,omitempty"`
	RequireDigit  *bool `json:"require_digit,omitempty"`
	RequireSymbol *bool `json:"require_symbol,omitempty"`
	MinScore      *int  `json:"min_score,omitempty"`
	MaxAgeDays    *int  `json:"max_age_days,omitempty"`
	MinAgeDays    *int  `json:"min_age_days,omitempty"`
	WarnDays      *int  `json:"warn_days,omitempty"`
	History       *int  `json:"history,omitempty"`
}

// IsZero reports whether no override is set.
func (r PasswordRules) IsZero() bool { return r == PasswordRules{} }
