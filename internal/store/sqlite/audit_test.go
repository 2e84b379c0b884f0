package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

func auditActions(es []store.AuditEntry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func TestAuditRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	at := time.Date(2025, 3, 1, 12, 0, 0, 123, time.FixedZone("x", 3600))
	e := &store.AuditEntry{Time: at, Actor: "cli:root", Action: "user.update", Target: "alice",
		Before: `{"disabled":false}`, After: `{"disabled":true}`}
	if err := s.AppendAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.ID == 0 {
		t.Fatal("AppendAudit did not set ID")
	}
	got, err := s.ListAudit(ctx, time.Time{}, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("ListAudit = %v, %v", got, err)
	}
	g := got[0]
	if g.ID != e.ID || !g.Time.Equal(at) || g.Time.Location() != time.UTC || g.Actor != e.Actor ||
		g.Action != e.Action || g.Target != e.Target || g.Before != e.Before || g.After != e.After {
		t.Errorf("read back %+v, want %+v", g, *e)
	}
}

func TestAuditZeroTimeIsNow(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	before := time.Now()
	e := &store.AuditEntry{Actor: "cli:root", Action: "ban.add", Target: "203.0.113.7/32", After: `{}`}
	if err := s.AppendAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.Time.Before(before.Add(-time.Second)) || e.Time.After(time.Now().Add(time.Second)) {
		t.Errorf("Time = %v, want about now", e.Time)
	}
}

func TestAuditInvalid(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for _, e := range []store.AuditEntry{
		{Action: "user.create"},
		{Actor: "cli:root"},
		{Actor: "cli:root", Action: "user.create", Before: "not json"},
		{Actor: "cli:root", Action: "user.create", After: "{"},
		{Actor: "cli:root", Action: "user.create", Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if err := s.AppendAudit(ctx, &e); err == nil {
			t.Errorf("AppendAudit(%+v) succeeded", e)
		}
	}
	if n := countRows(t, s, "audit_log"); n != 0 {
		t.Errorf("%d rows stored after refusals", n)
	}
}

func TestListAuditSinceAndLimit(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// Appended out of time order, two sharing a time: the list follows time,
	// then the order of appending.
	for _, c := range []struct {
		min    int
		action string
	}{{0, "a"}, {20, "d"}, {10, "b"}, {10, "c"}, {30, "e"}} {
		e := &store.AuditEntry{Time: base.Add(time.Duration(c.min) * time.Minute), Actor: "cli:x", Action: c.action}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		since time.Time
		limit int
		want  string
	}{
		{time.Time{}, 0, "[a b c d e]"},
		{time.Time{}, -1, "[a b c d e]"},
		{time.Time{}, 2, "[d e]"},
		{time.Time{}, 10, "[a b c d e]"},
		{base.Add(10 * time.Minute), 0, "[b c d e]"},
		{base.Add(10 * time.Minute), 3, "[c d e]"},
		{base.Add(11 * time.Minute), 0, "[d e]"},
		{base.Add(time.Hour), 0, "[]"},
		{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 0, "[]"},
		{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), 1, "[e]"},
	} {
		got, err := s.ListAudit(ctx, c.since, c.limit)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(auditActions(got)); s != c.want {
			t.Errorf("ListAudit(%v, %d) = %s, want %s", c.since, c.limit, s, c.want)
		}
	}
}

// TestAuditTwoProcesses: the command line and the server write to one
// file through separate handles; each sees the other's entries.
func TestAuditTwoProcesses(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.AppendAudit(ctx, &store.AuditEntry{Actor: "cli:root", Action: "user.create", Target: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := b.AppendAudit(ctx, &store.AuditEntry{Actor: "token:ops", Action: "session.kill", Target: "7"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		got, err := s.ListAudit(ctx, time.Time{}, 0)
		if err != nil || len(got) != 2 || got[0].Actor != "cli:root" || got[1].Actor != "token:ops" {
			t.Errorf("ListAudit = %+v, %v", got, err)
		}
	}
}

func TestAuditDoesNotBumpGeneration(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	g0, _ := s.Generation(ctx)
	if err := s.AppendAudit(ctx, &store.AuditEntry{Actor: "cli:root", Action: "user.create"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, &store.AdminToken{Name: "ops", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	if g1, _ := s.Generation(ctx); g1 != g0 {
		t.Errorf("Generation moved from %d to %d", g0, g1)
	}
}

// TestUpgradeFromVersion5 opens a database as the release before the audit
// trail left it: the new tables are there and empty, old data intact.
func TestUpgradeFromVersion5(t *testing.T) {
	ctx := context.Background()
	s := upgradeFrom(t, 5, `INSERT INTO users (name, name_key, password_hash, created_at, updated_at, password_changed_at)
		VALUES ('Veteran', 'veteran', '$argon2id$x', 1, 2, 3)`)
	if _, err := s.GetUser(ctx, "veteran"); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s, "audit_log") + countRows(t, s, "admin_tokens"); n != 0 {
		t.Errorf("%d rows in new tables", n)
	}
	if err := s.AppendAudit(ctx, &store.AuditEntry{Actor: "cli:root", Action: "user.update", Target: "veteran"}); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteAuditBefore(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, action := range []string{"a.old", "b.edge", "c.new"} {
		if err := s.AppendAudit(ctx, &store.AuditEntry{Time: t0.Add(time.Duration(i) * time.Hour), Actor: "cli:root", Action: action}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteAuditBefore(ctx, time.Time{}); err != nil || n != 0 {
		t.Fatalf("zero time deleted %d, %v", n, err)
	}
	n, err := s.DeleteAuditBefore(ctx, t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d, %v; want 1", n, err)
	}
	left, err := s.ListAudit(ctx, time.Time{}, 0)
	if err != nil || strings.Join(auditActions(left), ",") != "b.edge,c.new" {
		t.Fatalf("left %v, %v", auditActions(left), err)
	}
}
