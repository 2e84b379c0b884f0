package server

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/auth"
	"github.com/bulwark-ftp/bulwark/internal/defender"
	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/metrics"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// guard connects the login pipeline and the engine's events to the
// defender, and makes its decisions last: bans are stored and end the
// banned source's sessions, account protection is stored for `user show`.
type guard struct {
	def    *defender.Defender
	store  store.Store
	logger *slog.Logger
	now    func() time.Time
	// knownDays is defender.known_address_days; a reload changes it.
	knownDays atomic.Int64
	// closeSessions ends the live sessions of a banned prefix.
	closeSessions func(p netip.Prefix)
	// metrics counts the bans issued; nil counts nothing.
	metrics *metrics.Metrics
}

var _ auth.Guard = (*guard)(nil)

func (g *guard) Admit(ctx context.Context, a auth.Attempt, u *user.User) bool {
	if g.def.IsHoneypot(a.User) {
		return false
	}
	until, ok := g.def.AccountProtected(u.Name)
	if !ok {
		stored, err := g.store.AccountProtection(ctx, u.Name)
		if err == nil && stored.After(g.now()) {
			until, ok = stored, true
			g.def.SetAccountProtection(u.Name, stored)
		}
	}
	if !ok {
		return true
	}
	key := g.def.Key(a.Remote.Addr())
	since := g.now().AddDate(0, 0, -int(g.knownDays.Load()))
	known, err := g.store.KnownAddress(ctx, u.Name, key.String(), since)
	if err != nil {
		g.logger.Warn("known address lookup failed", "user", u.Name, "err", err)
		return false
	}
	if !known {
		g.logger.Warn("login refused: account protected, unknown address",
			"user", u.Name, "client", a.Remote.Addr().String(), "protected_until", until.UTC().Format(time.RFC3339))
	}
	return known
}

func (g *guard) Failed(a auth.Attempt, r auth.Reason) {
	addr := a.Remote.Addr()
	if g.def.IsHoneypot(a.User) {
		g.record(addr, defender.EventHoneypot, a.User)
		return
	}
	switch r {
	case auth.ReasonUnknownUser, auth.ReasonInvalidName:
		g.record(addr, defender.EventUnknownUser, a.User)
	case auth.ReasonBadPassword, auth.ReasonDisabled, auth.ReasonAccountProtected, auth.ReasonAccessDenied:
		g.record(addr, defender.EventBadPassword, a.User)
		if r == auth.ReasonBadPassword {
			g.accountFailure(a.User, addr)
		}
	}
}

func (g *guard) Succeeded(a auth.Attempt, u *user.User) {
	key := g.def.Key(a.Remote.Addr())
	if err := g.store.RecordKnownAddress(context.Background(), u.Name, key.String(), g.now()); err != nil {
		g.logger.Warn("recording known address failed", "user", u.Name, "err", err)
	}
}

// event maps the engine's events to scores.
func (g *guard) event(remote netip.AddrPort, ev ftp.Event) {
	switch ev {
	case ftp.EventTLSHandshakeFailed:
		g.record(remote.Addr(), defender.EventTLSFailure, "")
	case ftp.EventCommandBeforeLogin:
		g.record(remote.Addr(), defender.EventCommandBeforeLogin, "")
	case ftp.EventLoginTimeout:
		g.record(remote.Addr(), defender.EventLoginTimeout, "")
	}
}

// record scores an event and carries out a resulting ban.
func (g *guard) record(addr netip.Addr, ev defender.Event, detail string) {
	b, banned := g.def.Record(addr.Unmap(), ev, detail)
	if !banned {
		return
	}
	g.metrics.BanIssued(banReason(ev))
	g.logger.Warn("address banned", "prefix", b.Prefix.String(), "reason", b.Reason,
		"level", b.Level, "until", formatUntil(b.Until))
	if err := g.store.SaveBan(context.Background(), toStoreBan(*b)); err != nil {
		g.logger.Error("saving ban failed", "prefix", b.Prefix.String(), "err", err)
	}
	if g.closeSessions != nil {
		g.closeSessions(b.Prefix)
	}
}

func (g *guard) accountFailure(name string, addr netip.Addr) {
	until, started := g.def.AccountFailure(name, addr.Unmap())
	if !started {
		return
	}
	g.logger.Warn("account protection started", "user", name,
		"until", until.UTC().Format(time.RFC3339), "note", "only addresses that logged in before may log in")
	if err := g.store.SetAccountProtection(context.Background(), name, until); err != nil {
		g.logger.Debug("storing account protection failed", "user", name, "err", err)
	}
}

func formatUntil(t time.Time) string {
	if t.IsZero() {
		return "permanent"
	}
	return t.UTC().Format(time.RFC3339)
}

func toStoreBan(b defender.Ban) store.Ban {
	return store.Ban{Prefix: b.Prefix.String(), Reason: b.Reason, First: b.First, Last: b.Last,
		Count: b.Count, Level: b.Level, Until: b.Until, Manual: b.Manual}
}

func fromStoreBan(b store.Ban) (defender.Ban, error) {
	p, err := netip.ParsePrefix(b.Prefix)
	if err != nil {
		return defender.Ban{}, err
	}
	return defender.Ban{Prefix: p.Masked(), Reason: b.Reason, First: b.First, Last: b.Last,
		Count: b.Count, Level: b.Level, Until: b.Until, Manual: b.Manual}, nil
}
