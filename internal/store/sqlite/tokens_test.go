package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

func TestTokenRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	created := time.Date(2025, 2, 1, 8, 0, 0, 5, time.UTC)
	expires := created.Add(24 * time.Hour)
	tok := &store.AdminToken{Name: "ops", Hash: "aa", CreatedAt: created, ExpiresAt: expires}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if tok.ID == 0 {
		t.Fatal("CreateToken did not set ID")
	}
	never := &store.AdminToken{Name: "backup", Hash: "bb"}
	if err := s.CreateToken(ctx, never); err != nil {
		t.Fatal(err)
	}
	if never.CreatedAt.IsZero() {
		t.Error("zero CreatedAt not set to now")
	}

	got, err := s.TokenByHash(ctx, "aa")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tok.ID || got.Name != "ops" || got.Hash != "aa" || !got.CreatedAt.Equal(created) ||
		!got.ExpiresAt.Equal(expires) || !got.LastUsedAt.IsZero() {
		t.Errorf("TokenByHash = %+v, want %+v", got, tok)
	}
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "backup" || list[1].Name != "ops" {
		t.Fatalf("ListTokens = %+v, %v; want backup, ops", list, err)
	}
	if !list[0].ExpiresAt.IsZero() {
		t.Errorf("token without expiry reads back %v", list[0].ExpiresAt)
	}
}

func TestTokenErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.CreateToken(ctx, &store.AdminToken{Name: "ops", Hash: "aa"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"same name", s.CreateToken(ctx, &store.AdminToken{Name: "ops", Hash: "bb"}), store.ErrExists},
		{"same hash", s.CreateToken(ctx, &store.AdminToken{Name: "ops2", Hash: "aa"}), store.ErrExists},
		{"unknown hash", errOfToken(s.TokenByHash(ctx, "zz")), store.ErrNotFound},
		{"delete unknown", s.DeleteToken(ctx, "nobody"), store.ErrNotFound},
		{"touch unknown", s.TouchToken(ctx, "nobody", time.Now()), store.ErrNotFound},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	for _, bad := range []store.AdminToken{
		{Hash: "cc"},
		{Name: "x"},
		{Name: "x", Hash: "cc", ExpiresAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if err := s.CreateToken(ctx, &bad); err == nil {
			t.Errorf("CreateToken(%+v) succeeded", bad)
		}
	}
	if err := s.TouchToken(ctx, "ops", time.Time{}); err == nil {
		t.Error("TouchToken with zero time succeeded")
	}
}

func errOfToken(_ *store.AdminToken, err error) error { return err }

func TestTokenDeleteAndTouch(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.CreateToken(ctx, &store.AdminToken{Name: "ops", Hash: "aa"}); err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := s.TouchToken(ctx, "ops", t1); err != nil {
		t.Fatal(err)
	}
	// An older use reported late does not move the time back.
	if err := s.TouchToken(ctx, "ops", t1.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TokenByHash(ctx, "aa"); !got.LastUsedAt.Equal(t1) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, t1)
	}
	if err := s.TouchToken(ctx, "ops", t1.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.TokenByHash(ctx, "aa"); !got.LastUsedAt.Equal(t1.Add(time.Minute)) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, t1.Add(time.Minute))
	}
	if err := s.DeleteToken(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenByHash(ctx, "aa"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash after delete: %v", err)
	}
	// The name is free again.
	if err := s.CreateToken(ctx, &store.AdminToken{Name: "ops", Hash: "aa2"}); err != nil {
		t.Fatal(err)
	}
}

// TestTokenTwoProcesses: a token the command line creates is seen at once
// by the server's handle on the same file, and its removal too.
func TestTokenTwoProcesses(t *testing.T) {
	ctx := context.Background()
	cli, path := openTemp(t)
	srv, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := cli.CreateToken(ctx, &store.AdminToken{Name: "cli-1", Hash: "h1"}); err != nil {
		t.Fatal(err)
	}
	got, err := srv.TokenByHash(ctx, "h1")
	if err != nil || got.Name != "cli-1" {
		t.Fatalf("server TokenByHash = %+v, %v", got, err)
	}
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	if err := srv.TouchToken(ctx, "cli-1", at); err != nil {
		t.Fatal(err)
	}
	if list, _ := cli.ListTokens(ctx); len(list) != 1 || !list[0].LastUsedAt.Equal(at) {
		t.Errorf("cli ListTokens = %+v", list)
	}
	if err := cli.DeleteToken(ctx, "cli-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.TokenByHash(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("server TokenByHash after delete: %v", err)
	}
}

func TestTokenReadOnly(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for _, tk := range []store.AdminToken{{Name: "grafana", Hash: "r1", ReadOnly: true}, {Name: "ops", Hash: "w1"}} {
		if err := s.CreateToken(ctx, &tk); err != nil {
			t.Fatal(err)
		}
	}
	ro, err := s.TokenByHash(ctx, "r1")
	if err != nil || !ro.ReadOnly {
		t.Fatalf("read-only token reads back %+v, %v", ro, err)
	}
	rw, err := s.TokenByHash(ctx, "w1")
	if err != nil || rw.ReadOnly {
		t.Fatalf("full token reads back %+v, %v", rw, err)
	}
}

// A token made before read-only tokens existed (schema 6) stays a full
// token after the upgrade.
func TestTokenUpgradeFromVersion6(t *testing.T) {
	ctx := context.Background()
	s := upgradeFrom(t, 6, `INSERT INTO admin_tokens (name, hash, created_at) VALUES ('ops', 'h', 1)`)
	tk, err := s.TokenByHash(ctx, "h")
	if err != nil || tk.Name != "ops" || tk.ReadOnly {
		t.Fatalf("old token after the upgrade: %+v, %v", tk, err)
	}
}
