package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// TestGeneration runs each kind of change through one Store and watches the
// generation through a second Store on the same file, as a server watches
// changes made by the command-line tool.
func TestGeneration(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	var u *user.User
	var g *user.Group
	var sh *user.Share
	steps := []struct {
		name string
		do   func() error
		bump bool
	}{
		{"create group", func() error { g = &user.Group{Name: "staff"}; return a.CreateGroup(ctx, g) }, true},
		{"create user", func() error {
			u = &user.User{Name: "alice", Groups: []string{"staff"}}
			return a.CreateUser(ctx, u)
		}, true},
		{"update user", func() error { u.Perms = user.Rules{{Path: "/", Rights: user.RightsAll}}; return a.UpdateUser(ctx, u) }, true},
		{"leave group", func() error { u.Groups = nil; return a.UpdateUser(ctx, u) }, true},
		{"set password hash", func() error { return a.SetPasswordHash(ctx, "alice", "h2") }, true},
		{"set password", func() error { return a.SetPassword(ctx, "alice", "h3", time.Now(), true, 3) }, true},
		{"clear password history", func() error { return a.SetPassword(ctx, "alice", "h4", time.Now(), false, 0) }, true},
		{"read password history", func() error { _, err := a.PasswordHistory(ctx, "alice", 3); return err }, false},
		{"group password rules", func() error {
			days := 30
			g.PasswordRules.MaxAgeDays = &days
			return a.UpdateGroup(ctx, g)
		}, true},
		{"update group", func() error { g.Perms = user.Rules{{Path: "/x", Rights: user.RightList}}; return a.UpdateGroup(ctx, g) }, true},
		{"create share", func() error { sh = &user.Share{Name: "docs", Path: "/srv/docs"}; return a.CreateShare(ctx, sh) }, true},
		{"update share", func() error { sh.Path = "/srv/docs2"; return a.UpdateShare(ctx, sh) }, true},
		{"set grant", func() error {
			return a.SetGrant(ctx, user.Grant{Share: "docs", User: "alice", At: "/docs", Rights: user.RightsRead})
		}, true},
		{"remove grant", func() error { return a.RemoveGrant(ctx, "docs", "alice", "", "") }, true},
		{"record login", func() error { return a.RecordLogin(ctx, "alice", time.Now()) }, false},
		{"set usage", func() error {
			return a.SetUsage(ctx, store.UsageUser, "alice", user.Usage{Bytes: 1, Known: true})
		}, false},
		{"reads", func() error {
			_, err := a.ListUsers(ctx)
			a.GrantsFor(ctx, "alice", []string{"staff"})
			a.GetUsage(ctx, store.UsageUser, "alice")
			return err
		}, false},
		{"failed create (exists)", func() error { a.CreateUser(ctx, &user.User{Name: "ALICE"}); return nil }, false},
		{"failed remove grant", func() error { a.RemoveGrant(ctx, "docs", "alice", "", ""); return nil }, false},
		{"delete share", func() error { return a.DeleteShare(ctx, "docs") }, true},
		{"delete user", func() error { return a.DeleteUser(ctx, "alice") }, true},
		{"delete group", func() error { return a.DeleteGroup(ctx, "staff") }, true},
	}
	before, err := b.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		after, err := b.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.bump && after <= before {
			t.Errorf("%s: generation %d -> %d, want an increase seen by the other store", st.name, before, after)
		}
		if !st.bump && after != before {
			t.Errorf("%s: generation %d -> %d, want no change", st.name, before, after)
		}
		before = after
	}
}

// Reads use deferred transactions: they must not wait for a writer that
// holds the write lock (if they did, they would fail with SQLITE_BUSY after
// the busy timeout).
func TestReadsDoNotWaitForWriter(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	if err := a.CreateUser(ctx, &user.User{Name: "r"}); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tx, err := b.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE users SET comment = 'pending'`); err != nil {
		t.Fatal(err)
	}
	readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if u, err := a.GetUser(readCtx, "r"); err != nil || u.Comment != "" {
		t.Errorf("GetUser during a write = %+v, %v", u, err)
	}
	if _, err := a.ListUsers(readCtx); err != nil {
		t.Errorf("ListUsers during a write: %v", err)
	}
	if _, err := a.Generation(readCtx); err != nil {
		t.Errorf("Generation during a write: %v", err)
	}
}

// BenchmarkGeneration measures the per-call cost of noticing changes.
func BenchmarkGeneration(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		if _, err := s.Generation(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
