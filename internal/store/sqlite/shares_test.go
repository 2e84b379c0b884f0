package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func mustShare(t *testing.T, s *Store, name, path string) *user.Share {
	t.Helper()
	sh := &user.Share{Name: name, Path: path}
	if err := s.CreateShare(context.Background(), sh); err != nil {
		t.Fatalf("CreateShare(%q): %v", name, err)
	}
	return sh
}

func TestShareCRUD(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	sh := &user.Share{Name: "Projects", Path: "/srv/projects/", Comment: "team work"}
	if err := s.CreateShare(ctx, sh); err != nil {
		t.Fatalf("CreateShare: %v", err)
	}
	if sh.ID == 0 || sh.CreatedAt.IsZero() {
		t.Fatalf("CreateShare did not set ID/times: %+v", sh)
	}
	got, err := s.GetShare(ctx, "projects")
	if err != nil || got.Name != "Projects" || got.Path != "/srv/projects" || got.Comment != "team work" ||
		!got.CreatedAt.Equal(sh.CreatedAt) {
		t.Fatalf("GetShare = %+v, %v", got, err)
	}
	mustShare(t, s, "archive", "/srv/archive")

	got.Name, got.Path = "work", "/srv/work"
	if err := s.UpdateShare(ctx, got); err != nil {
		t.Fatalf("UpdateShare: %v", err)
	}
	list, err := s.ListShares(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "archive" || list[1].Name != "work" || list[1].Path != "/srv/work" {
		t.Fatalf("ListShares = %v, %v", list, err)
	}
	if err := s.DeleteShare(ctx, "WORK"); err != nil {
		t.Fatalf("DeleteShare: %v", err)
	}
	if _, err := s.GetShare(ctx, "work"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted share found: %v", err)
	}
}

func TestShareErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	mustShare(t, s, "Docs", "/srv/docs")
	other := mustShare(t, s, "other", "/srv/other")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"create same name other case", s.CreateShare(ctx, &user.Share{Name: "DOCS", Path: "/x"}), store.ErrExists},
		{"rename onto taken", s.UpdateShare(ctx, &user.Share{ID: other.ID, Name: "docs", Path: "/x"}), store.ErrExists},
		{"invalid name", s.CreateShare(ctx, &user.Share{Name: "a b", Path: "/x"}), user.ErrInvalidName},
		{"get missing", errOf4(s.GetShare(ctx, "none")), store.ErrNotFound},
		{"update missing", s.UpdateShare(ctx, &user.Share{ID: 999, Name: "ghost", Path: "/x"}), store.ErrNotFound},
		{"delete missing", s.DeleteShare(ctx, "none"), store.ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want errors.Is %v", tt.name, tt.err, tt.want)
		}
	}
	for _, p := range []string{"", "srv/docs", "./docs"} {
		if err := s.CreateShare(ctx, &user.Share{Name: "rel", Path: p}); err == nil {
			t.Errorf("share with path %q accepted", p)
		}
	}
}

func errOf4(_ *user.Share, err error) error { return err }
