package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/defender"
	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/metrics"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/xferlog"
)

// observeOptions are the optional sinks of what the server sees.
type observeOptions struct {
	metrics *metrics.Metrics
	xferlog *xferlog.Writer
}

// WithMetrics makes the server count connections, logins, bans, TLS
// handshakes and transfers in m, and report its gauges (sessions, bans,
// password expiries) to it. Serving m.Handler() is the caller's business.
func WithMetrics(m *metrics.Metrics) Option {
	return func(s *Server) { s.obs.metrics = m }
}

// WithTransferLog makes the server write one xferlog(5) line per file
// transfer to w. The caller owns w: it reopens it on SIGUSR1 and closes it
// after Shutdown.
func WithTransferLog(w *xferlog.Writer) Option {
	return func(s *Server) { s.obs.xferlog = w }
}

// Metrics returns the metrics given with WithMetrics, or nil.
func (s *Server) Metrics() *metrics.Metrics { return s.obs.metrics }

// observer is the engine's Observer: it feeds the metrics and the transfer
// log, either of which may be nil.
type observer struct {
	metrics *metrics.Metrics
	xferlog *xferlog.Writer
}

var _ ftp.Observer = (*observer)(nil)

func (o *observer) TLSEstablished(_ netip.AddrPort, st tls.ConnectionState) {
	o.metrics.TLSEstablished(tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
}

func (o *observer) TransferDone(t ftp.TransferInfo) {
	o.metrics.TransferDone(t)
	if o.xferlog != nil {
		o.xferlog.Log(t)
	}
}

// wireObservers connects the metrics and the transfer log, when given, to
// the parts New built: the engine, the gate, the guard (nil when the
// defender is off) and the authenticator. A reload keeps them: it carries
// the engine's Observer over and changes these parts in place.
func (s *Server) wireObservers(g *guard, gt *gate) {
	m := s.obs.metrics
	if m == nil && s.obs.xferlog == nil {
		return
	}
	s.engine.Observer = &observer{metrics: m, xferlog: s.obs.xferlog}
	if m == nil {
		return
	}
	gt.metrics = m
	if g != nil {
		g.metrics = m
	}
	s.auth.metrics = m
	expiries := &expiryCache{store: s.store, now: s.now, logger: s.logger, ttl: expiryCacheTTL,
		policy: func() (password.Policy, error) { return agingPolicy(s.current()) }}
	m.SetGauges(metrics.Gauges{
		Sessions:         s.engine.ActiveSessions,
		LoggedIn:         s.loggedInSessions,
		BansActive:       s.activeBans,
		PasswordExpiries: expiries.get,
	})
}

func (s *Server) loggedInSessions() int {
	n := 0
	for _, si := range s.engine.Sessions() {
		if si.User != "" {
			n++
		}
	}
	return n
}

func (s *Server) activeBans() int {
	if s.defender == nil {
		return 0
	}
	return len(s.defender.Bans())
}

// loginReason is the label of a login's outcome: "" for a success, the
// stable token of the failure otherwise.
func loginReason(err error) string {
	var (
		lf *ftp.LoginFailure
		ef *explainedFailure
		le *limitError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &lf):
		return lf.Reason
	case errors.As(err, &ef):
		return ef.reason
	case errors.As(err, &le):
		return "too_many_sessions"
	}
	return "error"
}

// banReason is the label of an automatic ban: the event that completed the
// score. The ban's own Reason is free text with user names in it.
func banReason(ev defender.Event) string { return ev.String() }

// expiryCacheTTL keeps scrapes from reading every user from the store more
// than once a minute.
const expiryCacheTTL = time.Minute

// agingPolicy is the server's password policy as far as aging goes. The
// blocklist is left out: aging does not use it, and reading its file at
// every refresh would be waste.
func agingPolicy(cfg *config.Config) (password.Policy, error) {
	pp := cfg.PasswordPolicy
	pp.BlocklistFile = ""
	return pp.Build(cfg)
}

// expiryCache counts password expiries the way "bulwark user list
// --expiring" finds them, and keeps the counts for ttl.
type expiryCache struct {
	store store.Store
	// policy is the server's policy in force (it changes on reload).
	policy func() (password.Policy, error)
	now    func() time.Time
	logger *slog.Logger
	ttl    time.Duration

	mu                 sync.Mutex
	at                 time.Time
	valid              bool
	in7, in30, expired int
}

// get returns the counts, computing them again when they are older than
// ttl. When the store fails, the last counts stay (zeros before the first
// success) and the next try waits for ttl too.
func (c *expiryCache) get() (within7d, within30d, expired int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	// A clock that went back also refreshes.
	if c.valid && !now.Before(c.at) && now.Sub(c.at) < c.ttl {
		return c.in7, c.in30, c.expired
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.at, c.valid = now, true
	base, err := c.policy()
	if err != nil {
		c.logger.Warn("counting password expiries failed", "err", err)
		return c.in7, c.in30, c.expired
	}
	in7, in30, exp, err := countExpiries(ctx, c.store, base, now)
	if err != nil {
		c.logger.Warn("counting password expiries failed", "err", err)
		return c.in7, c.in30, c.expired
	}
	c.in7, c.in30, c.expired = in7, in30, exp
	return in7, in30, exp
}

// countExpiries counts the users whose password expires within 7 days and
// within 30 days (not yet expired), and those whose password has expired,
// with each user's policy (the server's with their groups' overrides).
// Exempt users and passwords without a maximum age never count.
func countExpiries(ctx context.Context, st store.Store, base password.Policy, now time.Time) (in7, in30, expired int, err error) {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	groups, err := st.ListGroups(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	byName := make(map[string]*user.Group, len(groups))
	for _, g := range groups {
		byName[strings.ToLower(g.Name)] = g
	}
	const day = 24 * time.Hour
	for _, u := range users {
		var rules []user.PasswordRules
		for _, name := range u.Groups {
			if g := byName[strings.ToLower(name)]; g != nil && !g.PasswordRules.IsZero() {
				rules = append(rules, g.PasswordRules)
			}
		}
		age := base.Apply(rules...).Age(u.PasswordChangedAt, now, u.AgingExempt)
		switch left := age.ExpiresAt.Sub(now); {
		case age.Never:
		case age.Expired:
			expired++
		case left <= 7*day:
			in7++
			in30++
		case left <= 30*day:
			in30++
		}
	}
	return in7, in30, expired, nil
}
