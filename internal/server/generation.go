package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

// generationMaxAge bounds how stale the account generation may be when a
// file operation asks for rights: a change made with the CLI applies to
// running sessions within this time.
const generationMaxAge = 100 * time.Millisecond

// generation shares one reading of the store's account generation among
// all sessions. Every file operation asks for the user's rights; without
// this, each would run a SQL query, which dominated the cost of short
// commands. A reading younger than maxAge is answered from memory with two
// atomic loads; an older one is refreshed by one caller while the others
// wait for its result.
type generation struct {
	store  store.Store
	maxAge time.Duration
	// elapsed is a monotonic clock (time since the generation was made);
	// it is not the server's clock, which tests may stop.
	elapsed func() time.Duration

	value  atomic.Int64
	readAt atomic.Int64 // elapsed() at the last successful read; -1: never
	mu     sync.Mutex   // one refresh at a time
}

func newGeneration(st store.Store, maxAge time.Duration) *generation {
	start := time.Now()
	g := &generation{store: st, maxAge: maxAge, elapsed: func() time.Duration { return time.Since(start) }}
	g.readAt.Store(-1)
	return g
}

// current returns the generation, read from the store if the last reading
// is older than maxAge.
func (g *generation) current(ctx context.Context) (int64, error) {
	if at := g.readAt.Load(); at >= 0 && g.elapsed()-time.Duration(at) < g.maxAge {
		return g.value.Load(), nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if at := g.readAt.Load(); at >= 0 && g.elapsed()-time.Duration(at) < g.maxAge {
		return g.value.Load(), nil
	}
	return g.readLocked(ctx)
}

// fresh reads the generation from the store now; logins use it, so that a
// new session always starts from the current rights.
func (g *generation) fresh(ctx context.Context) (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.readLocked(ctx)
}

func (g *generation) readLocked(ctx context.Context) (int64, error) {
	before := g.elapsed()
	v, err := g.store.Generation(ctx)
	if err != nil {
		return 0, err
	}
	g.value.Store(v)
	// The reading is as old as the moment the query started.
	g.readAt.Store(int64(before))
	return v, nil
}
