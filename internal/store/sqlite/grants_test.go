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

// grantFixture makes users Alice (in Staff) and bob, groups Staff and ops,
// shares Projects and logs.
func grantFixture(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, _ := openTemp(t)
	mustGroup(t, s, "Staff")
	mustGroup(t, s, "ops")
	mustShare(t, s, "Projects", "/srv/projects")
	mustShare(t, s, "logs", "/var/log/app")
	for _, u := range []*user.User{{Name: "Alice", Groups: []string{"staff"}}, {Name: "bob"}} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestGrants(t *testing.T) {
	ctx := context.Background()
	s := grantFixture(t)
	lim := user.Limits{MaxBytes: 100, MaxFiles: 10, MaxFileSize: 5}
	set := []user.Grant{
		{Share: "projects", User: "alice", At: "/projects/", Rights: user.RightsRead},
		{Share: "PROJECTS", Group: "staff", At: "/projects", Rights: user.RightsAll, Limits: lim},
		{Share: "logs", Group: "OPS", At: "/logs", Rights: user.RightsRead},
		{Share: "logs", User: "bob", At: "/logs", Rights: user.RightList},
		{Share: "logs", User: "bob", At: "/other/logs", Rights: user.RightList},
	}
	for _, g := range set {
		if err := s.SetGrant(ctx, g); err != nil {
			t.Fatalf("SetGrant(%+v): %v", g, err)
		}
	}
	// Same share, grantee and mount point: replaced, not added.
	if err := s.SetGrant(ctx, user.Grant{Share: "Projects", User: "ALICE", At: "/projects", Rights: user.RightsAll, Limits: lim}); err != nil {
		t.Fatal(err)
	}

	all, err := s.ListGrants(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []user.Grant{
		{Share: "logs", User: "bob", At: "/logs", Rights: user.RightList},
		{Share: "logs", User: "bob", At: "/other/logs", Rights: user.RightList},
		{Share: "logs", Group: "ops", At: "/logs", Rights: user.RightsRead},
		{Share: "Projects", User: "Alice", At: "/projects", Rights: user.RightsAll, Limits: lim},
		{Share: "Projects", Group: "Staff", At: "/projects", Rights: user.RightsAll, Limits: lim},
	}
	if !slices.Equal(all, want) {
		t.Fatalf("ListGrants =\n%v\nwant\n%v", all, want)
	}
	if got, err := s.ListGrants(ctx, "PROJECTS"); err != nil || !slices.Equal(got, want[3:]) {
		t.Errorf("ListGrants(projects) = %v, %v", got, err)
	}
	if _, err := s.ListGrants(ctx, "none"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ListGrants(unknown share) = %v", err)
	}

	got, err := s.GrantsFor(ctx, "ALICE", []string{"STAFF", "nosuchgroup"})
	if err != nil || !slices.Equal(got, want[3:]) {
		t.Errorf("GrantsFor(alice) = %v, %v", got, err)
	}
	got, err = s.GrantsFor(ctx, "bob", nil)
	if err != nil || !slices.Equal(got, want[:2]) {
		t.Errorf("GrantsFor(bob) = %v, %v", got, err)
	}
	got, err = s.GrantsFor(ctx, "nobody", []string{"ops"})
	if err != nil || !slices.Equal(got, want[2:3]) {
		t.Errorf("GrantsFor(nobody, ops) = %v, %v", got, err)
	}

	// RemoveGrant at one mount point, then at every one.
	if err := s.RemoveGrant(ctx, "LOGS", "Bob", "", "/logs/"); err != nil {
		t.Fatalf("RemoveGrant at: %v", err)
	}
	if err := s.RemoveGrant(ctx, "logs", "bob", "", "/logs"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second RemoveGrant = %v, want ErrNotFound", err)
	}
	if err := s.SetGrant(ctx, user.Grant{Share: "logs", User: "bob", At: "/third", Rights: user.RightList}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveGrant(ctx, "logs", "bob", "", ""); err != nil {
		t.Fatalf("RemoveGrant everywhere: %v", err)
	}
	if got, _ := s.GrantsFor(ctx, "bob", nil); len(got) != 0 {
		t.Errorf("bob still has %v", got)
	}
	if err := s.RemoveGrant(ctx, "logs", "", "ops", ""); err != nil {
		t.Fatalf("RemoveGrant group: %v", err)
	}
}

func TestGrantErrors(t *testing.T) {
	ctx := context.Background()
	s := grantFixture(t)
	tests := []struct {
		name    string
		err     error
		want    error
		mention string
	}{
		{"unknown share", s.SetGrant(ctx, user.Grant{Share: "nope", User: "alice", At: "/x"}), store.ErrNotFound, `share "nope"`},
		{"unknown user", s.SetGrant(ctx, user.Grant{Share: "logs", User: "zed", At: "/x"}), store.ErrNotFound, `user "zed"`},
		{"unknown group", s.SetGrant(ctx, user.Grant{Share: "logs", Group: "zed", At: "/x"}), store.ErrNotFound, `group "zed"`},
		{"no grantee", s.SetGrant(ctx, user.Grant{Share: "logs", At: "/x"}), errGrantee, ""},
		{"two grantees", s.SetGrant(ctx, user.Grant{Share: "logs", User: "bob", Group: "ops", At: "/x"}), errGrantee, ""},
		{"bad mount point", s.SetGrant(ctx, user.Grant{Share: "logs", User: "bob", At: "x/../y"}), user.ErrInvalidPath, ""},
		{"negative limit", s.SetGrant(ctx, user.Grant{Share: "logs", User: "bob", At: "/x", Limits: user.Limits{MaxBytes: -1}}), nil, "negative"},
		{"remove none", s.RemoveGrant(ctx, "logs", "bob", "", ""), store.ErrNotFound, ""},
		{"remove unknown share", s.RemoveGrant(ctx, "nope", "bob", "", ""), store.ErrNotFound, ""},
		{"remove no grantee", s.RemoveGrant(ctx, "logs", "", "", ""), errGrantee, ""},
	}
	for _, tt := range tests {
		if tt.err == nil {
			t.Errorf("%s: succeeded", tt.name)
			continue
		}
		if tt.want != nil && !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want errors.Is %v", tt.name, tt.err, tt.want)
		}
		if !strings.Contains(tt.err.Error(), tt.mention) {
			t.Errorf("%s: %v does not mention %s", tt.name, tt.err, tt.mention)
		}
	}
	if got, _ := s.ListGrants(ctx, ""); len(got) != 0 {
		t.Errorf("failed SetGrant calls stored %v", got)
	}
}

func TestGrantCascades(t *testing.T) {
	ctx := context.Background()
	s := grantFixture(t)
	for _, g := range []user.Grant{
		{Share: "projects", User: "alice", At: "/p"},
		{Share: "projects", Group: "staff", At: "/p"},
		{Share: "logs", Group: "ops", At: "/l"},
		{Share: "logs", User: "bob", At: "/l"},
	} {
		if err := s.SetGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		got, err := s.ListGrants(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if err := s.DeleteShare(ctx, "projects"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("after DeleteShare: %d grants, want 2", n)
	}
	if err := s.DeleteGroup(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("after DeleteGroup: %d grants, want 1", n)
	}
	if err := s.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("after DeleteUser: %d grants, want 0", n)
	}
}

// The schema itself refuses a grant with no grantee or two, even if code
// skipped the check.
func TestGrantCheckConstraint(t *testing.T) {
	s := grantFixture(t)
	for _, q := range []string{
		`INSERT INTO grants (share_id, at, rights) SELECT id, '/x', 0 FROM shares LIMIT 1`,
		`INSERT INTO grants (share_id, user_id, group_id, at, rights)
			SELECT (SELECT id FROM shares LIMIT 1), (SELECT id FROM users LIMIT 1), (SELECT id FROM groups LIMIT 1), '/x', 0`,
	} {
		if _, err := s.db.Exec(q); err == nil {
			t.Errorf("schema accepted %s", q)
		}
	}
}
