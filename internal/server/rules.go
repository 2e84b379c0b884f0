package server

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/access"
	"github.com/bulwark-ftp/bulwark/internal/auth"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// accessRules evaluates the network and time rules of the server, a
// user's groups and the user, at login and, for sessions already running,
// every accessCheckInterval.
type accessRules struct {
	store store.Store
	now   func() time.Time
	// base holds what the configuration decides; a reload replaces it.
	base atomic.Pointer[accessBase]
}

// accessBase is the server's own level and the zone of every schedule.
type accessBase struct {
	server access.Level
	zone   *time.Location
}

func newAccessRules(st store.Store, server access.Level, zone *time.Location, now func() time.Time) *accessRules {
	r := &accessRules{store: st, now: now}
	r.set(server, zone)
	return r
}

// set replaces the server level and the zone for every check from now on.
func (r *accessRules) set(server access.Level, zone *time.Location) {
	r.base.Store(&accessBase{server: server, zone: zone})
}

// levels builds the levels a user must pass: the server's, each group's,
// and the user's own (with the account's validity dates).
func (r *accessRules) levels(ctx context.Context, u *user.User) ([]access.Level, error) {
	b := r.base.Load()
	levels := []access.Level{b.server}
	for _, name := range u.Groups {
		g, err := r.store.GetGroup(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", name, err)
		}
		l, err := access.BuildLevel("group "+g.Name, g.Access, b.zone)
		if err != nil {
			return nil, err
		}
		levels = append(levels, l)
	}
	l, err := access.BuildLevel("user "+u.Name, u.Access, b.zone)
	if err != nil {
		return nil, err
	}
	l.ValidFrom, l.ValidUntil = u.ValidFrom, u.ValidUntil
	return append(levels, l), nil
}

// check is the login pipeline's access hook.
func (r *accessRules) check(ctx context.Context, u *user.User, a auth.Attempt) (bool, string, string) {
	levels, err := r.levels(ctx, u)
	if err != nil {
		// Rules that cannot be read refuse: failing open would widen
		// access.
		return false, "access rules unreadable: " + err.Error(), "access rules unavailable"
	}
	d := access.Evaluate(levels, a.Remote.Addr().Unmap(), r.now())
	return d.Allowed, d.Reason, d.Explain
}

// accessCheckInterval is how often running sessions are checked against
// their rules; a window that closes ends its sessions within this time.
const accessCheckInterval = time.Second

// enforcer closes sessions whose rules no longer allow them. Its grace
// period is access.grace_period of the running configuration.
type enforcer struct {
	srv   *Server
	rules *accessRules

	mu sync.Mutex
	// refusedSince remembers, per session, when a running transfer was
	// first found outside the rules, for the grace period.
	refusedSince map[string]time.Time
}

func (e *enforcer) loop() {
	t := time.NewTicker(accessCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			e.checkSessions(context.Background())
		case <-e.srv.stop:
			return
		}
	}
}

func (e *enforcer) checkSessions(ctx context.Context) {
	now := e.rules.now()
	grace := e.srv.current().Access.GracePeriod.Duration
	seen := map[string]bool{}
	cache := map[string][]access.Level{}
	for _, info := range e.srv.engine.Sessions() {
		if info.User == "" {
			continue
		}
		seen[info.ID] = true
		levels, ok := cache[lowerName(info.User)]
		if !ok {
			u, err := e.srv.store.GetUser(ctx, info.User)
			if err != nil {
				continue
			}
			if levels, err = e.rules.levels(ctx, u); err != nil {
				e.srv.logger.Warn("access rules unreadable", "user", info.User, "err", err)
				continue
			}
			cache[lowerName(info.User)] = levels
		}
		d := access.Evaluate(levels, info.Remote.Addr().Unmap(), now)
		if d.Allowed {
			e.forget(info.ID)
			continue
		}
		if info.Transferring && grace > 0 {
			if first, ok := e.inGrace(info.ID, now, grace); ok {
				if first {
					e.srv.logger.Info("access ended during a transfer; it may finish within the grace period",
						"session", info.ID, "user", info.User, "grace", grace.String(), "reason", d.Reason)
				}
				continue
			}
		}
		if e.srv.engine.CloseSession(info.ID, closeReason(d)) {
			e.srv.logger.Info("session closed by access rules", "session", info.ID, "user", info.User,
				"client", info.Remote.Addr().String(), "reason", d.Reason)
		}
		e.forget(info.ID)
	}
	e.mu.Lock()
	for id := range e.refusedSince {
		if !seen[id] {
			delete(e.refusedSince, id)
		}
	}
	e.mu.Unlock()
}

// inGrace reports whether a transfer refused since its first sighting may
// still run.
// first is true the first time the transfer is seen outside its rules.
func (e *enforcer) inGrace(id string, now time.Time, grace time.Duration) (first, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	since, seen := e.refusedSince[id]
	if !seen {
		e.refusedSince[id] = now
		return true, true
	}
	return false, now.Sub(since) < grace
}

func (e *enforcer) forget(id string) {
	e.mu.Lock()
	delete(e.refusedSince, id)
	e.mu.Unlock()
}

// closeReason is the 421 text: the session is over, and roughly why.
func closeReason(d access.Decision) string {
	if d.Explain != "" {
		return "Access ended: " + d.Explain
	}
	return "Access ended"
}

// serverIPAllowed applies the server-level IP rules at accept.
func serverIPAllowed(rules access.IPRules, addr netip.Addr) bool {
	if rules.IsZero() {
		return true
	}
	ok, _ := rules.Check(addr)
	return ok
}
