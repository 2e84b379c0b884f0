package server

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"golang.org/x/time/rate"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

func lowerName(s string) string { return strings.ToLower(s) }

// userAccess is one logged-in user's current rights, as all of their sessions
// see them. Every file operation asks for the policy; the store's generation
// (shared by all sessions, at most generationMaxAge old) tells whether an
// administrator changed anything since the last look, and only then is the
// policy rebuilt. So changes made with the CLI, even from another process,
// apply to running sessions within a tenth of a second.
type userAccess struct {
	store  store.Store
	gen0   *generation
	logger *slog.Logger
	name   string

	mu     sync.Mutex
	gen    int64
	user   *user.User
	policy *user.Policy

	up, down *rate.Limiter
}

func newAccess(st store.Store, g *generation, logger *slog.Logger, u *user.User) *userAccess {
	a := &userAccess{
		store:  st,
		gen0:   g,
		logger: logger,
		name:   u.Name,
		gen:    -1,
		up:     rate.NewLimiter(rate.Inf, 0),
		down:   rate.NewLimiter(rate.Inf, 0),
	}
	a.refresh(context.Background(), true)
	return a
}

// Policy returns the user's current policy; it satisfies vfs.Options.Policy.
func (a *userAccess) Policy() *user.Policy {
	a.refresh(context.Background(), false)
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.policy
}

// User returns the account as last loaded.
func (a *userAccess) User() *user.User {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.user
}

// refresh rebuilds the policy if the generation moved; fresh reads the
// generation from the store instead of the shared recent reading.
func (a *userAccess) refresh(ctx context.Context, fresh bool) {
	read := a.gen0.current
	if fresh {
		read = a.gen0.fresh
	}
	gen, err := read(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		// Keep what we have: a store hiccup must not widen rights, and
		// the last policy is the best narrow answer there is.
		a.logger.Warn("reading the account generation failed", "err", err)
		if a.policy == nil {
			a.policy = user.NewPolicy(&user.User{Name: a.name}, nil, nil, nil)
		}
		return
	}
	if gen == a.gen && a.policy != nil {
		return
	}
	u, policy, err := loadPolicy(ctx, a.store, a.name)
	if err != nil {
		a.logger.Warn("loading rights failed; no rights until it works", "user", a.name, "err", err)
		a.policy = user.NewPolicy(&user.User{Name: a.name}, nil, nil, nil)
		return
	}
	if a.policy != nil {
		a.logger.Info("rights reloaded", "user", a.name)
	}
	a.gen, a.user, a.policy = gen, u, policy
	setRate(a.up, u.UploadRate)
	setRate(a.down, u.DownloadRate)
}

// loadPolicy builds a user's policy from the store. A user who is gone or
// disabled gets no rights at all.
func loadPolicy(ctx context.Context, st store.Store, name string) (*user.User, *user.Policy, error) {
	u, err := st.GetUser(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return u, user.NewPolicy(&user.User{Name: u.Name}, nil, nil, nil), nil
	}
	groups := make([]*user.Group, 0, len(u.Groups))
	for _, g := range u.Groups {
		grp, err := st.GetGroup(ctx, g)
		if err != nil {
			return nil, nil, err
		}
		groups = append(groups, grp)
	}
	grants, err := st.GrantsFor(ctx, u.Name, u.Groups)
	if err != nil {
		return nil, nil, err
	}
	var shares []*user.Share
	seen := map[string]bool{}
	for _, gr := range grants {
		if seen[lowerName(gr.Share)] {
			continue
		}
		seen[lowerName(gr.Share)] = true
		sh, err := st.GetShare(ctx, gr.Share)
		if err != nil {
			return nil, nil, err
		}
		shares = append(shares, sh)
	}
	return u, user.NewPolicy(u, groups, shares, grants), nil
}

// setRate applies a bytes-per-second limit; 0 lifts it. The burst bounds
// the chunk a transfer may move at once.
func setRate(l *rate.Limiter, bps int64) {
	if bps <= 0 {
		l.SetLimit(rate.Inf)
		return
	}
	l.SetLimit(rate.Limit(bps))
	l.SetBurst(int(min(max(bps, 16<<10), 4<<20)))
}

// meter returns the usage meter for the home (share "") or a mounted share.
func (a *userAccess) meter(book *usageBook, home string) func(share string) vfs.Meter {
	return func(share string) vfs.Meter {
		ctx := context.Background()
		if share == "" {
			c, err := book.counter(ctx, store.UsageUser, a.name, home)
			if err != nil {
				a.logger.Warn("usage unavailable", "user", a.name, "err", err)
				return nil
			}
			return meterView{c: c, limits: func() user.Limits { return a.User().Limits }}
		}
		m, ok := a.mountOf(share)
		if !ok {
			return nil
		}
		c, err := book.counter(ctx, store.UsageShare, m.Share, m.HostPath)
		if err != nil {
			a.logger.Warn("usage unavailable", "share", share, "err", err)
			return nil
		}
		return meterView{c: c, limits: func() user.Limits {
			if m, ok := a.mountOf(share); ok {
				return m.Limits
			}
			return user.Limits{}
		}}
	}
}

// mountOf finds the current mount of a share.
func (a *userAccess) mountOf(share string) (user.Mount, bool) {
	for _, m := range a.Policy().Mounts() {
		if strings.EqualFold(m.Share, share) {
			return m, true
		}
	}
	return user.Mount{}, false
}
