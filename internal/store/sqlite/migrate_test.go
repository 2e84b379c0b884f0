package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func versions(t *testing.T, db *sql.DB) []int {
	t.Helper()
	rows, err := db.Query(`SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestOpenIsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	for i := range 3 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		if i == 0 {
			if err := s.CreateUser(ctx, &user.User{Name: "keep", PasswordHash: "h"}); err != nil {
				t.Fatal(err)
			}
		}
		if got := versions(t, s.db); len(got) != len(migrations) || got[len(got)-1] != len(migrations) {
			t.Fatalf("Open #%d: versions %v, want 1..%d", i+1, got, len(migrations))
		}
		if n, _ := s.CountUsers(ctx); n != 1 {
			t.Fatalf("Open #%d: data lost, %d users", i+1, n)
		}
		s.Close()
	}
}

func rawDB(t *testing.T) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	if err := createPrivate(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrateAppliesOnlyNewSteps(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	first := []string{`CREATE TABLE a (x INTEGER)`}
	if err := migrate(ctx, db, first); err != nil {
		t.Fatal(err)
	}
	// A later release appends a step of several statements; step 1 must not
	// run again (it would fail: table a exists).
	second := append(first, `CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (42);`)
	if err := migrate(ctx, db, second); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if err := migrate(ctx, db, second); err != nil {
		t.Fatalf("third migrate: %v", err)
	}
	var y int
	if err := db.QueryRow(`SELECT y FROM b`).Scan(&y); err != nil || y != 42 {
		t.Fatalf("step 2 not applied once: y=%d, %v", y, err)
	}
	if got := versions(t, db); len(got) != 2 {
		t.Fatalf("versions %v, want [1 2]", got)
	}
}

func TestMigrateFailedStepRollsBack(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	steps := []string{`CREATE TABLE a (x INTEGER)`, `CREATE TABLE c (z INTEGER); SELECT no_such_function();`}
	if err := migrate(ctx, db, steps); err == nil {
		t.Fatal("broken migration succeeded")
	}
	if got := versions(t, db); len(got) != 1 {
		t.Fatalf("versions %v, want [1]", got)
	}
	var n int
	db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE name = 'c'`).Scan(&n)
	if n != 0 {
		t.Fatal("table from the failed step was kept")
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t)
	if err := migrate(ctx, db, []string{`CREATE TABLE a (x INTEGER)`, `CREATE TABLE b (y INTEGER)`}); err != nil {
		t.Fatal(err)
	}
	err := migrate(ctx, db, []string{`CREATE TABLE a (x INTEGER)`})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("older program accepted a newer schema: %v", err)
	}
}

// TestUpgradeFromVersion1 opens a database that only knows migration 1,
// as the first release left it, and checks that an existing user keeps
// full rights in the home and gets no limits.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	s := upgradeFrom(t, 1, `INSERT INTO users (name, name_key, password_hash, home, created_at, updated_at)
		VALUES ('Veteran', 'veteran', '$argon2id$x', 'vet', 1, 2)`)
	u, err := s.GetUser(ctx, "veteran")
	if err != nil {
		t.Fatal(err)
	}
	want := user.Rules{{Path: "/", Rights: user.RightsAll}}
	if !slices.Equal(u.Perms, want) {
		t.Errorf("upgraded user perms %v, want %v", u.Perms, want)
	}
	if u.Name != "Veteran" || u.Home != "vet" || !u.Limits.IsZero() || u.MaxSessions != 0 ||
		u.UploadRate != 0 || u.DownloadRate != 0 || len(u.Groups) != 0 {
		t.Errorf("upgraded user %+v", u)
	}
	if g, err := s.Generation(ctx); err != nil {
		t.Errorf("Generation after upgrade: %d, %v", g, err)
	}
	var problems int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&problems); err != nil || problems != 0 {
		t.Errorf("foreign key check: %d problems, %v", problems, err)
	}
	// A user created after the upgrade gets only what the caller gives.
	if err := s.CreateUser(ctx, &user.User{Name: "fresh", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.GetUser(ctx, "fresh"); len(u.Perms) != 0 {
		t.Errorf("new user got perms %v", u.Perms)
	}
}

// TestUpgradeFromVersion3 opens a database as the release before bans were
// stored left it: its users and generation survive, the new tables start
// empty and work for an existing user.
func TestUpgradeFromVersion3(t *testing.T) {
	ctx := context.Background()
	s := upgradeFrom(t, 3, `INSERT INTO users (name, name_key, password_hash, created_at, updated_at, password_changed_at)
		VALUES ('Veteran', 'veteran', '$argon2id$x', 1, 2, 3);
		UPDATE generation SET value = 41 WHERE id = 1`)
	if g, err := s.Generation(ctx); err != nil || g != 41 {
		t.Errorf("Generation after upgrade = %d, %v; want 41", g, err)
	}
	if v, err := s.BansVersion(ctx); err != nil || v != 0 {
		t.Errorf("BansVersion after upgrade = %d, %v; want 0", v, err)
	}
	if bans, err := s.ListBans(ctx); err != nil || len(bans) != 0 {
		t.Errorf("ListBans after upgrade = %v, %v", bans, err)
	}
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := s.RecordKnownAddress(ctx, "veteran", "203.0.113.7", at); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.KnownAddress(ctx, "Veteran", "203.0.113.7", at); err != nil || !ok {
		t.Errorf("KnownAddress after upgrade = %v, %v", ok, err)
	}
	if err := s.SetAccountProtection(ctx, "veteran", at); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveBan(ctx, store.Ban{Prefix: "203.0.113.0/24"}); err != nil {
		t.Fatal(err)
	}
	var problems int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&problems); err != nil || problems != 0 {
		t.Errorf("foreign key check: %d problems, %v", problems, err)
	}
}

// upgradeFrom makes a database as the release with the first version
// migrations left it, runs seed in it, and opens it with this program,
// which applies the rest; it checks that every migration ran.
func upgradeFrom(t *testing.T, version int, seed string) *Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	if err := createPrivate(path); err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, old, migrations[:version]); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(seed); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open after upgrade: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if got := versions(t, s.db); len(got) != len(migrations) {
		t.Fatalf("versions %v, want 1..%d", got, len(migrations))
	}
	return s
}
