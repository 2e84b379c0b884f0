package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func TestUsage(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	u := &user.User{Name: "Una", Home: "una"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	sh := mustShare(t, s, "Docs", "/srv/docs")

	if got, err := s.GetUsage(ctx, store.UsageUser, "una"); err != nil || got.Known {
		t.Fatalf("fresh usage = %+v, %v", got, err)
	}
	want := user.Usage{Bytes: 1234, Files: 7, Known: true}
	if err := s.SetUsage(ctx, store.UsageUser, "UNA", want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetUsage(ctx, store.UsageUser, "una"); err != nil || got != want {
		t.Fatalf("GetUsage = %+v, %v; want %+v", got, err, want)
	}
	want.Bytes = 99
	if err := s.SetUsage(ctx, store.UsageUser, "una", want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUsage(ctx, store.UsageUser, "una"); got != want {
		t.Fatalf("overwritten usage = %+v", got)
	}
	// The share's usage is kept apart from the user's.
	if got, _ := s.GetUsage(ctx, store.UsageShare, "una"); got.Known {
		t.Fatalf("share usage mixed with user usage: %+v", got)
	}
	if err := s.SetUsage(ctx, store.UsageShare, "docs", user.Usage{Bytes: 1, Files: 1, Known: true}); err != nil {
		t.Fatal(err)
	}

	// A rename carries usage along; a new home forgets it.
	u.Name = "una2"
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUsage(ctx, store.UsageUser, "una2"); got != want {
		t.Errorf("usage after rename = %+v", got)
	}
	u.Home = "elsewhere"
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUsage(ctx, store.UsageUser, "una2"); got.Known {
		t.Errorf("usage kept after home moved: %+v", got)
	}
	sh.Name = "papers"
	if err := s.UpdateShare(ctx, sh); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUsage(ctx, store.UsageShare, "papers"); !got.Known {
		t.Errorf("share usage lost on rename")
	}
	// Known false forgets.
	if err := s.SetUsage(ctx, store.UsageShare, "papers", user.Usage{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetUsage(ctx, store.UsageShare, "papers"); got.Known {
		t.Errorf("usage not forgotten: %+v", got)
	}
	if err := s.SetUsage(ctx, store.UsageShare, "papers", user.Usage{Files: 3, Known: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteShare(ctx, "papers"); err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM usage WHERE kind = 'share'`).Scan(&n)
	if n != 0 {
		t.Errorf("share usage survived DeleteShare")
	}
}

func TestUsageErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.CreateUser(ctx, &user.User{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUsage(ctx, store.UsageUser, "ghost", user.Usage{Known: true}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("usage of missing user: %v", err)
	}
	if err := s.SetUsage(ctx, store.UsageShare, "x", user.Usage{Known: true}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("usage of missing share: %v", err)
	}
	if err := s.SetUsage(ctx, "disk", "x", user.Usage{Known: true}); err == nil {
		t.Error("unknown kind accepted by SetUsage")
	}
	if _, err := s.GetUsage(ctx, "disk", "x"); err == nil {
		t.Error("unknown kind accepted by GetUsage")
	}
	if err := s.SetUsage(ctx, store.UsageUser, "x", user.Usage{Bytes: -1, Known: true}); err == nil {
		t.Error("negative usage accepted")
	}
}
