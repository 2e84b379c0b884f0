package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func TestGroupCRUD(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)

	g := &user.Group{Name: "Staff", Comment: "everyone", Perms: user.Rules{
		{Path: "/shared/", Rights: user.RightsRead}, {Path: "/", Rights: user.RightList},
	}}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if g.ID == 0 || g.CreatedAt.IsZero() || !g.CreatedAt.Equal(g.UpdatedAt) {
		t.Fatalf("CreateGroup did not set ID/times: %+v", g)
	}
	got, err := s.GetGroup(ctx, "STAFF")
	if err != nil {
		t.Fatal(err)
	}
	wantPerms := user.Rules{{Path: "/", Rights: user.RightList}, {Path: "/shared", Rights: user.RightsRead}}
	if got.Name != "Staff" || got.Comment != "everyone" || got.ID != g.ID || !slices.Equal(got.Perms, wantPerms) ||
		!got.CreatedAt.Equal(g.CreatedAt) {
		t.Fatalf("GetGroup = %+v", got)
	}

	mustGroup(t, s, "admins")
	for _, name := range []string{"carol", "Bob", "alice"} {
		if err := s.CreateUser(ctx, &user.User{Name: name, Groups: []string{"staff"}}); err != nil {
			t.Fatal(err)
		}
	}
	if m, err := s.GroupMembers(ctx, "staff"); err != nil || !slices.Equal(m, []string{"alice", "Bob", "carol"}) {
		t.Errorf("GroupMembers = %v, %v", m, err)
	}
	if m, err := s.GroupMembers(ctx, "admins"); err != nil || len(m) != 0 {
		t.Errorf("GroupMembers(admins) = %v, %v", m, err)
	}

	// Rename: members follow, perms replaced.
	got.Name, got.Comment, got.Perms = "crew", "renamed", nil
	if err := s.UpdateGroup(ctx, got); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	if u, _ := s.GetUser(ctx, "alice"); !slices.Equal(u.Groups, []string{"crew"}) {
		t.Errorf("member's groups after rename: %v", u.Groups)
	}
	list, err := s.ListGroups(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "admins" || list[1].Name != "crew" ||
		list[1].Comment != "renamed" || len(list[1].Perms) != 0 {
		t.Fatalf("ListGroups = %v, %v", list, err)
	}

	if err := s.DeleteGroup(ctx, "CREW"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	if u, _ := s.GetUser(ctx, "bob"); len(u.Groups) != 0 {
		t.Errorf("membership survived group deletion: %v", u.Groups)
	}
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM group_perms`).Scan(&n)
	if n != 0 {
		t.Errorf("%d group rules survived", n)
	}
}

func TestGroupErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	mustGroup(t, s, "Émigrés")
	other := mustGroup(t, s, "other")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"create same name other case", s.CreateGroup(ctx, &user.Group{Name: "éMIGRÉS"}), store.ErrExists},
		{"rename onto taken", s.UpdateGroup(ctx, &user.Group{ID: other.ID, Name: "émigrés"}), store.ErrExists},
		{"invalid name", s.CreateGroup(ctx, &user.Group{Name: "a/b"}), user.ErrInvalidName},
		{"bad rule", s.CreateGroup(ctx, &user.Group{Name: "x", Perms: user.Rules{{Path: "rel"}}}), user.ErrInvalidPath},
		{"get missing", errOf2(s.GetGroup(ctx, "none")), store.ErrNotFound},
		{"update missing", s.UpdateGroup(ctx, &user.Group{ID: 999, Name: "ghost"}), store.ErrNotFound},
		{"delete missing", s.DeleteGroup(ctx, "none"), store.ErrNotFound},
		{"members of missing", errOf3(s.GroupMembers(ctx, "none")), store.ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want errors.Is %v", tt.name, tt.err, tt.want)
		}
	}
}

func errOf2(_ *user.Group, err error) error { return err }
func errOf3(_ []string, err error) error    { return err }
