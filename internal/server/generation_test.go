package server

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// countingStore counts Generation queries.
type countingStore struct {
	store.Store
	n atomic.Int64
}

func (c *countingStore) Generation(ctx context.Context) (int64, error) {
	c.n.Add(1)
	return c.Store.Generation(ctx)
}

func openStore(tb testing.TB) *sqlite.Store {
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func TestGenerationShared(t *testing.T) {
	cs := &countingStore{Store: openStore(t)}
	g := newGeneration(cs, time.Minute)
	var now time.Duration
	g.elapsed = func() time.Duration { return now }
	ctx := context.Background()
	for range 10 {
		if _, err := g.current(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := cs.n.Load(); n != 1 {
		t.Fatalf("10 reads within maxAge ran %d queries, want 1", n)
	}
	now += time.Minute
	g.current(ctx)
	if n := cs.n.Load(); n != 2 {
		t.Fatalf("read after maxAge ran %d queries in all, want 2", n)
	}
	g.fresh(ctx)
	if n := cs.n.Load(); n != 3 {
		t.Fatalf("fresh read did not query: %d", n)
	}
}

func TestGenerationSeesChange(t *testing.T) {
	st := openStore(t)
	g := newGeneration(st, time.Minute)
	var now time.Duration
	g.elapsed = func() time.Duration { return now }
	ctx := context.Background()
	before, _ := g.current(ctx)
	if err := st.CreateUser(ctx, &user.User{Name: "alice", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := g.current(ctx); v != before {
		t.Fatalf("change seen before maxAge passed: %d -> %d", before, v)
	}
	now += time.Minute
	if v, _ := g.current(ctx); v == before {
		t.Fatal("change not seen after maxAge")
	}
}

// BenchmarkPolicy measures the per-operation cost of asking for a user's
// rights: maxAge 0 queries the store every time (the former behaviour).
func BenchmarkPolicy(b *testing.B) {
	for _, bc := range []struct {
		name   string
		maxAge time.Duration
	}{{"shared", generationMaxAge}, {"query-each", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			st := openStore(b)
			u := &user.User{Name: "alice", PasswordHash: "x"}
			if err := st.CreateUser(context.Background(), u); err != nil {
				b.Fatal(err)
			}
			acc := newAccess(st, newGeneration(st, bc.maxAge), slog.New(slog.DiscardHandler), u)
			for b.Loop() {
				acc.Policy()
			}
		})
	}
}
