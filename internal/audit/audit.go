// Package audit records administrative changes (who, what, before and
// after, when) in the store, from the command line and the admin API
// alike, and never records a secret.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os/user"
	"reflect"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	bw "github.com/bulwark-ftp/bulwark/internal/user"
)

// Record appends one entry to the store's audit trail. before and after
// are the state of the target (nil: none, as before a creation or after a
// deletion), turned into JSON; pass the views below (User, Group, ...)
// rather than store values, so that no secret is written.
func Record(ctx context.Context, st store.Store, at time.Time, actor, action, target string, before, after any) error {
	e := &store.AuditEntry{Time: at, Actor: actor, Action: action, Target: target}
	var err error
	if e.Before, err = encode(before); err != nil {
		return err
	}
	if e.After, err = encode(after); err != nil {
		return err
	}
	if err := st.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// encode turns a state into JSON; nil, also a nil pointer such as a
// *UserView of a user that did not exist, is no state at all ("").
func encode(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit: %w", err)
	}
	return string(b), nil
}

// LocalActor names the person at the command line: "cli:<login name>".
func LocalActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return "cli:" + name
}

// TokenActor names an admin API client by its token's name.
func TokenActor(tokenName string) string { return "token:" + tokenName }

// PasswordChanged is the only thing recorded of a new password.
var PasswordChanged = map[string]string{"password": "changed"}

// UserView is what the audit trail (and the admin API) shows of a user:
// every setting, no password hash.
type UserView struct {
	Name               string         `json:"name"`
	Home               string         `json:"home"`
	Disabled           bool           `json:"disabled"`
	RequireTLS         bool           `json:"require_tls"`
	Comment            string         `json:"comment,omitempty"`
	Groups             []string       `json:"groups"`
	Perms              []string       `json:"perms"`
	Limits             bw.Limits      `json:"limits"`
	MaxSessions        int            `json:"max_sessions"`
	UploadRate         int64          `json:"upload_rate"`
	DownloadRate       int64          `json:"download_rate"`
	MustChangePassword bool           `json:"must_change_password"`
	AgingExempt        bool           `json:"aging_exempt"`
	PasswordChangedAt  *time.Time     `json:"password_changed_at,omitempty"`
	ValidFrom          *time.Time     `json:"valid_from,omitempty"`
	ValidUntil         *time.Time     `json:"valid_until,omitempty"`
	LastLogin          *time.Time     `json:"last_login,omitempty"`
	CreatedAt          *time.Time     `json:"created_at,omitempty"`
	Access             bw.AccessRules `json:"access"`
}

// User returns the view of u (nil for nil).
func User(u *bw.User) *UserView {
	if u == nil {
		return nil
	}
	return &UserView{
		Name: u.Name, Home: u.Home, Disabled: u.Disabled, RequireTLS: u.RequireTLS, Comment: u.Comment,
		Groups: nonNil(u.Groups), Perms: ruleStrings(u.Perms), Limits: u.Limits, MaxSessions: u.MaxSessions,
		UploadRate: u.UploadRate, DownloadRate: u.DownloadRate, MustChangePassword: u.MustChangePassword,
		AgingExempt: u.AgingExempt, PasswordChangedAt: timePtr(u.PasswordChangedAt),
		ValidFrom: timePtr(u.ValidFrom), ValidUntil: timePtr(u.ValidUntil), LastLogin: timePtr(u.LastLogin),
		CreatedAt: timePtr(u.CreatedAt), Access: u.Access,
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
