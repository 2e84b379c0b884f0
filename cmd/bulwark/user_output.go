package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// userJSON is the stable JSON form of a user. It never carries the
// password hash, only which algorithm made it.
type userJSON struct {
	Name              string `json:"name"`
	Home              string `json:"home"`
	Disabled          bool   `json:"disabled"`
	RequireTLS        bool   `json:"require_tls"`
	Comment           string `json:"comment"`
	PasswordSet       bool   `json:"password_set"`
	PasswordAlgorithm string `json:"password_algorithm"`
	// PasswordChangedAt is null when unknown; PasswordExpiresAt is null
	// when the password never expires (no max age, or aging_exempt).
	PasswordChangedAt  *time.Time `json:"password_changed_at"`
	PasswordExpiresAt  *time.Time `json:"password_expires_at"`
	MustChangePassword bool       `json:"must_change_password"`
	AgingExempt        bool       `json:"aging_exempt"`
	ValidUntil         *time.Time `json:"valid_until"`
	// ValidFrom is null when the account has no start date.
	ValidFrom *time.Time `json:"valid_from"`
	accessJSON
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastLogin    *time.Time `json:"last_login"`
	Groups       []string   `json:"groups"`
	Perms        []ruleJSON `json:"perms"`
	Limits       limitsJSON `json:"limits"`
	MaxSessions  int        `json:"max_sessions"`
	UploadRate   int64      `json:"upload_rate"`   // bytes per second, 0 unlimited
	DownloadRate int64      `json:"download_rate"` // bytes per second, 0 unlimited
}

// toJSON turns u into JSON; age is what aging says of its password.
func toJSON(u *user.User, age password.AgeStatus) userJSON {
	j := userJSON{
		Name:               u.Name,
		Home:               u.Home,
		Disabled:           u.Disabled,
		RequireTLS:         u.RequireTLS,
		Comment:            u.Comment,
		PasswordSet:        u.PasswordHash != "",
		PasswordAlgorithm:  hashAlgorithm(u.PasswordHash),
		PasswordChangedAt:  utcOrNil(u.PasswordChangedAt),
		PasswordExpiresAt:  expiresAt(u, age),
		MustChangePassword: u.MustChangePassword,
		AgingExempt:        u.AgingExempt,
		ValidUntil:         utcOrNil(u.ValidUntil),
		ValidFrom:          utcOrNil(u.ValidFrom),
		accessJSON:         toAccessJSON(u.Access),
		CreatedAt:          u.CreatedAt.UTC(),
		UpdatedAt:          u.UpdatedAt.UTC(),
		Groups:             append([]string{}, u.Groups...),
		Perms:              rulesJSON(u.Perms),
		Limits:             toLimitsJSON(u.Limits),
		MaxSessions:        u.MaxSessions,
		UploadRate:         u.UploadRate,
		DownloadRate:       u.DownloadRate,
	}
	j.LastLogin = utcOrNil(u.LastLogin)
	return j
}

// utcOrNil is t in UTC, or nil (JSON null) for the zero time.
func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// hashAlgorithm names the scheme of a stored hash from its prefix.
func hashAlgorithm(hash string) string {
	switch {
	case hash == "":
		return "none"
	case strings.HasPrefix(hash, "$argon2id$"):
		return "argon2id"
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		return "bcrypt"
	case strings.HasPrefix(hash, "$6$"):
		return "sha512-crypt"
	}
	return "unknown"
}

func writeUsersJSON(w io.Writer, rows []userRow) error {
	out := make([]userJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, toJSON(r.u, r.age))
	}
	return writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func status(u *user.User) string {
	if u.Disabled {
		return "disabled"
	}
	return "enabled"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.RFC3339)
}

func writeUsersTable(w io.Writer, rows []userRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "no users")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tGROUPS\tREQUIRE TLS\tLAST LOGIN\tHOME")
	for _, r := range rows {
		u := r.u
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, status(u), listOrDash(u.Groups),
			yesNo(u.RequireTLS), formatTime(u.LastLogin), u.Home)
	}
	return tw.Flush()
}
