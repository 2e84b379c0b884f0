package audit

import (
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	bw "github.com/bulwark-ftp/bulwark/internal/user"
)

func ruleStrings(rs bw.Rules) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.String())
	}
	return out
}

// GroupView is what the audit trail and the admin API show of a group.
type GroupView struct {
	Name          string           `json:"name"`
	Perms         []string         `json:"perms"`
	Comment       string           `json:"comment,omitempty"`
	PasswordRules bw.PasswordRules `json:"password_rules"`
	Access        bw.AccessRules   `json:"access"`
}

// Group returns the view of g (nil for nil).
func Group(g *bw.Group) *GroupView {
	if g == nil {
		return nil
	}
	return &GroupView{Name: g.Name, Perms: ruleStrings(g.Perms), Comment: g.Comment,
		PasswordRules: g.PasswordRules, Access: g.Access}
}

// ShareView is what the audit trail and the admin API show of a share.
type ShareView struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Comment string `json:"comment,omitempty"`
}

// Share returns the view of s (nil for nil).
func Share(s *bw.Share) *ShareView {
	if s == nil {
		return nil
	}
	return &ShareView{Name: s.Name, Path: s.Path, Comment: s.Comment}
}

// GrantView is what the audit trail and the admin API show of a grant.
type GrantView struct {
	Share   string    `json:"share"`
	Grantee string    `json:"grantee"` // "user:alice" or "group:staff"
	At      string    `json:"at"`
	Rights  string    `json:"rights"`
	Limits  bw.Limits `json:"limits"`
}

// Grant returns the view of g.
func Grant(g bw.Grant) *GrantView {
	return &GrantView{Share: g.Share, Grantee: g.Grantee(), At: g.At, Rights: g.Rights.String(), Limits: g.Limits}
}

// BanView is what the audit trail and the admin API show of a ban.
type BanView struct {
	Prefix string     `json:"prefix"`
	Reason string     `json:"reason"`
	Manual bool       `json:"manual"`
	Level  int        `json:"level"`
	Count  int        `json:"count"`
	First  *time.Time `json:"first,omitempty"`
	Last   *time.Time `json:"last,omitempty"`
	Until  *time.Time `json:"until,omitempty"` // absent: permanent
}

// Ban returns the view of b.
func Ban(b store.Ban) *BanView {
	return &BanView{Prefix: b.Prefix, Reason: b.Reason, Manual: b.Manual, Level: b.Level, Count: b.Count,
		First: timePtr(b.First), Last: timePtr(b.Last), Until: timePtr(b.Until)}
}
