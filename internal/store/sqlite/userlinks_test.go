package sqlite

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func mustGroup(t *testing.T, s *Store, name string, perms ...user.PathRule) *user.Group {
	t.Helper()
	g := &user.Group{Name: name, Perms: perms}
	if err := s.CreateGroup(context.Background(), g); err != nil {
		t.Fatalf("CreateGroup(%q): %v", name, err)
	}
	return g
}

func TestUserFieldsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	mustGroup(t, s, "Staff")
	mustGroup(t, s, "audit")

	u := &user.User{
		Name: "dana", PasswordHash: "h",
		Groups: []string{"staff", "AUDIT", "Staff"},
		Perms: user.Rules{
			{Path: "/out/", Rights: user.RightsRead},
			{Path: "/", Rights: user.RightsAll},
			{Path: "/in", Rights: user.RightUpload | user.RightMkdir},
		},
		Limits:      user.Limits{MaxBytes: 1 << 30, MaxFiles: 1000, MaxFileSize: 1 << 20},
		MaxSessions: 3, UploadRate: 1 << 20, DownloadRate: 2 << 20,
	}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	got, err := s.GetUser(ctx, "DANA")
	if err != nil {
		t.Fatal(err)
	}
	wantPerms := user.Rules{
		{Path: "/", Rights: user.RightsAll},
		{Path: "/in", Rights: user.RightUpload | user.RightMkdir},
		{Path: "/out", Rights: user.RightsRead},
	}
	if !slices.Equal(got.Perms, wantPerms) {
		t.Errorf("Perms = %v, want %v", got.Perms, wantPerms)
	}
	if want := []string{"audit", "Staff"}; !slices.Equal(got.Groups, want) {
		t.Errorf("Groups = %v, want %v (sorted, stored spelling)", got.Groups, want)
	}
	if got.Limits != u.Limits || got.MaxSessions != 3 || got.UploadRate != 1<<20 || got.DownloadRate != 2<<20 {
		t.Errorf("limits/rates = %+v", got)
	}

	got.Perms = user.Rules{{Path: "/", Rights: user.RightsRead}}
	got.Groups = []string{"audit"}
	got.Limits, got.MaxSessions, got.UploadRate, got.DownloadRate = user.Limits{}, 0, 0, 0
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListUsers = %v, %v", list, err)
	}
	again := list[0]
	if !slices.Equal(again.Perms, got.Perms) || !slices.Equal(again.Groups, []string{"audit"}) ||
		!again.Limits.IsZero() || again.MaxSessions != 0 || again.UploadRate != 0 || again.DownloadRate != 0 {
		t.Errorf("after update: %+v", again)
	}
	if m, _ := s.GroupMembers(ctx, "staff"); len(m) != 0 {
		t.Errorf("staff still has members %v", m)
	}
}

func TestUserValidation(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	mustGroup(t, s, "staff")
	tests := []struct {
		name    string
		u       user.User
		want    error  // errors.Is target, if any
		mention string // text the error must contain
	}{
		{"missing group", user.User{Name: "a", Groups: []string{"staff", "ghosts"}}, store.ErrNotFound, `"ghosts"`},
		{"relative rule path", user.User{Name: "a", Perms: user.Rules{{Path: "in", Rights: user.RightList}}}, user.ErrInvalidPath, ""},
		{"dotdot rule path", user.User{Name: "a", Perms: user.Rules{{Path: "/a/../b", Rights: user.RightList}}}, user.ErrInvalidPath, ""},
		{"duplicate rule", user.User{Name: "a", Perms: user.Rules{{Path: "/x/"}, {Path: "/x"}}}, nil, "two rules"},
		{"unknown rights", user.User{Name: "a", Perms: user.Rules{{Path: "/", Rights: 1 << 15}}}, nil, "unknown rights"},
		{"negative limit", user.User{Name: "a", Limits: user.Limits{MaxFiles: -1}}, nil, "negative"},
		{"negative sessions", user.User{Name: "a", MaxSessions: -1}, nil, "negative"},
		{"negative rate", user.User{Name: "a", DownloadRate: -5}, nil, "negative"},
	}
	for _, tt := range tests {
		u := tt.u
		err := s.CreateUser(ctx, &u)
		if err == nil {
			t.Errorf("%s: CreateUser succeeded", tt.name)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want errors.Is %v", tt.name, err, tt.want)
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: %v does not mention %s", tt.name, err, tt.mention)
		}
	}
	// Nothing of a failed create may remain.
	if n, _ := s.CountUsers(ctx); n != 0 {
		t.Fatalf("failed creates left %d users", n)
	}
	var rows int
	s.db.QueryRow(`SELECT (SELECT COUNT(*) FROM user_perms) + (SELECT COUNT(*) FROM user_groups)`).Scan(&rows)
	if rows != 0 {
		t.Errorf("failed creates left %d rule/membership rows", rows)
	}

	// A failed update leaves the user as it was.
	u := &user.User{Name: "b", Groups: []string{"staff"}, Perms: user.Rules{{Path: "/", Rights: user.RightsAll}}}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	bad := *u
	bad.Comment, bad.Groups, bad.Perms = "changed", []string{"nope"}, nil
	if err := s.UpdateUser(ctx, &bad); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update with missing group: %v", err)
	}
	got, _ := s.GetUser(ctx, "b")
	if got.Comment != "" || !slices.Equal(got.Groups, []string{"staff"}) || len(got.Perms) != 1 {
		t.Errorf("failed update changed the user: %+v", got)
	}
}

func TestDeleteUserCascades(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	mustGroup(t, s, "staff")
	mustShare(t, s, "docs", "/srv/docs")
	u := &user.User{Name: "erin", Groups: []string{"staff"}, Perms: user.Rules{{Path: "/", Rights: user.RightsAll}}}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.SetGrant(ctx, user.Grant{Share: "docs", User: "erin", At: "/docs", Rights: user.RightsRead}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUsage(ctx, store.UsageUser, "erin", user.Usage{Bytes: 5, Files: 1, Known: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "Erin"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"user_perms", "user_groups", "grants", "usage"} {
		var n int
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s has %d rows after DeleteUser (%v)", table, n, err)
		}
	}
	// A new user of the same name starts clean.
	if err := s.CreateUser(ctx, &user.User{Name: "erin"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUser(ctx, "erin"); len(got.Groups) != 0 || len(got.Perms) != 0 {
		t.Errorf("recreated user inherited %+v", got)
	}
	if us, _ := s.GetUsage(ctx, store.UsageUser, "erin"); us.Known {
		t.Errorf("recreated user inherited usage %+v", us)
	}
}
