package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bulwark.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestCRUD(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)

	u := &user.User{Name: "Alice", PasswordHash: "$argon2id$x", Home: "alice", RequireTLS: true, Comment: "admin"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if u.ID == 0 || u.CreatedAt.IsZero() || !u.CreatedAt.Equal(u.UpdatedAt) {
		t.Fatalf("CreateUser did not set ID/times: %+v", u)
	}
	if u.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt not UTC: %v", u.CreatedAt.Location())
	}

	for _, name := range []string{"Alice", "alice", "ALICE"} {
		got, err := s.GetUser(ctx, name)
		if err != nil {
			t.Fatalf("GetUser(%q): %v", name, err)
		}
		if got.Name != "Alice" || got.ID != u.ID || got.PasswordHash != u.PasswordHash || got.Home != "alice" ||
			!got.RequireTLS || got.Disabled || got.Comment != "admin" || !got.LastLogin.IsZero() ||
			!got.CreatedAt.Equal(u.CreatedAt) || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("GetUser(%q) = %+v, want %+v", name, got, u)
		}
	}

	got, _ := s.GetUser(ctx, "alice")
	got.Name, got.Disabled, got.Comment, got.Home = "alice2", true, "renamed", "/srv/a"
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	again, err := s.GetUser(ctx, "ALICE2")
	if err != nil || !again.Disabled || again.Comment != "renamed" || again.Home != "/srv/a" ||
		!again.CreatedAt.Equal(u.CreatedAt) || again.UpdatedAt.Before(u.UpdatedAt) {
		t.Fatalf("after update: %+v, %v", again, err)
	}
	if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old name still found: %v", err)
	}

	if err := s.SetPasswordHash(ctx, "Alice2", "$argon2id$new"); err != nil {
		t.Fatalf("SetPasswordHash: %v", err)
	}
	at := time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.FixedZone("x", 3600))
	if err := s.RecordLogin(ctx, "alice2", at); err != nil {
		t.Fatalf("RecordLogin: %v", err)
	}
	again, _ = s.GetUser(ctx, "alice2")
	if again.PasswordHash != "$argon2id$new" || !again.LastLogin.Equal(at) || again.LastLogin.Location() != time.UTC {
		t.Fatalf("hash/login not stored: %+v", again)
	}

	if err := s.CreateUser(ctx, &user.User{Name: "bob", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "alice2" || list[1].Name != "bob" {
		t.Fatalf("ListUsers = %v, %v", list, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 2 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}

	if err := s.DeleteUser(ctx, "BOB"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if n, _ := s.CountUsers(ctx); n != 1 {
		t.Fatalf("CountUsers after delete = %d", n)
	}
}

func TestSentinelErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if err := s.CreateUser(ctx, &user.User{Name: "Émile", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &user.User{Name: "carol", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	carol, _ := s.GetUser(ctx, "carol")

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"create same name", s.CreateUser(ctx, &user.User{Name: "Émile", PasswordHash: "h"}), store.ErrExists},
		{"create other case, non-ASCII", s.CreateUser(ctx, &user.User{Name: "éMILE", PasswordHash: "h"}), store.ErrExists},
		{"rename onto taken name", s.UpdateUser(ctx, &user.User{ID: carol.ID, Name: "émile", PasswordHash: "h"}), store.ErrExists},
		{"create invalid name", s.CreateUser(ctx, &user.User{Name: "a b", PasswordHash: "h"}), user.ErrInvalidName},
		{"get missing", errOf(s.GetUser(ctx, "nobody")), store.ErrNotFound},
		{"update missing id", s.UpdateUser(ctx, &user.User{ID: 9999, Name: "ghost"}), store.ErrNotFound},
		{"set hash missing", s.SetPasswordHash(ctx, "nobody", "h"), store.ErrNotFound},
		{"record login missing", s.RecordLogin(ctx, "nobody", time.Now()), store.ErrNotFound},
		{"delete missing", s.DeleteUser(ctx, "nobody"), store.ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want errors.Is %v", tt.name, tt.err, tt.want)
		}
	}
	if n, _ := s.CountUsers(ctx); n != 2 {
		t.Errorf("failed operations changed the count: %d", n)
	}
}

func errOf(_ *user.User, err error) error { return err }

func TestFileModeAndPragmas(t *testing.T) {
	s, path := openTemp(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("database mode %v, want no group/other bits", perm)
	}
	ctx := context.Background()
	checks := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "5000"}
	for pragma, want := range checks {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
}

func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?#%20")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "db?x#y.sqlite")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.CreateUser(context.Background(), &user.User{Name: "x", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
}

func TestConcurrentStores(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	const writers, perWriter = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter*2)
	for w := range writers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for i := range perWriter {
				name := fmt.Sprintf("u%d-%d", w, i)
				if err := s.CreateUser(ctx, &user.User{Name: name, PasswordHash: "h"}); err != nil {
					errs <- err
					continue
				}
				// Both stores update a shared row to make them contend.
				if err := s.RecordLogin(ctx, "u0-0", time.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	for _, s := range []*Store{a, b} {
		if n, err := s.CountUsers(ctx); err != nil || n != writers*perWriter {
			t.Errorf("CountUsers = %d, %v; want %d", n, err, writers*perWriter)
		}
	}
	// A change made through one store is seen at once through the other.
	if err := a.SetPasswordHash(ctx, "u1-1", "changed"); err != nil {
		t.Fatal(err)
	}
	if u, err := b.GetUser(ctx, "u1-1"); err != nil || u.PasswordHash != "changed" {
		t.Errorf("other store sees %+v, %v", u, err)
	}
}
