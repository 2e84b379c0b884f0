package server

import (
	"context"
	"crypto/tls"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/admin"
	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// accountCheckInterval is how often the server looks for account changes
// that end live sessions (a user disabled or deleted, a share withdrawn)
// when they were made by another process; the admin API asks at once.
const accountCheckInterval = 200 * time.Millisecond

// Reasons given to clients whose session an account change ends (RFC 959
// §4.2: 421 closes the control connection).
const (
	reasonRemoved  = "Your account has been removed"
	reasonDisabled = "Your account has been disabled"
	reasonShare    = "A shared folder you were using has been withdrawn"
)

// accountWatch ends the sessions an account change no longer allows. It
// remembers, per logged-in user, the shares they had mounted, so that a
// withdrawn share (deleted, or its grant revoked, directly or through a
// group) is noticed even when a file operation already reloaded the rights.
type accountWatch struct {
	mu     sync.Mutex
	gen    int64                      // store generation at the last check; -1: none yet
	mounts map[string]map[string]bool // lower-case user → mount keys
}

func mountKeys(p *user.Policy) map[string]bool {
	keys := map[string]bool{}
	for _, m := range p.Mounts() {
		keys[m.Share+"\x00"+m.At] = true
	}
	return keys
}

// checkAccounts compares every logged-in user with the store, when the
// store changed since the last check or a user is new to the watch.
func (s *Server) checkAccounts(ctx context.Context) {
	w := &s.accounts
	w.mu.Lock()
	defer w.mu.Unlock()
	gen, err := s.auth.gen.fresh(ctx)
	if err != nil {
		s.logger.Warn("reading the account generation failed", "err", err)
		return
	}
	changed := gen != w.gen
	live := map[string]string{} // lower-case → canonical name
	for _, si := range s.engine.Sessions() {
		if si.User != "" {
			live[lowerName(si.User)] = si.User
		}
	}
	for key := range w.mounts {
		if _, ok := live[key]; !ok {
			delete(w.mounts, key)
		}
	}
	for key, name := range live {
		before, known := w.mounts[key]
		if known && !changed {
			continue
		}
		u, policy, err := loadPolicy(ctx, s.store, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.endUserSessions(name, reasonRemoved, "account removed")
			delete(w.mounts, key)
			continue
		case err != nil:
			s.logger.Warn("checking a logged-in account failed", "user", name, "err", err)
			continue
		case u.Disabled:
			s.endUserSessions(name, reasonDisabled, "account disabled")
			delete(w.mounts, key)
			continue
		}
		now := mountKeys(policy)
		if known {
			for k := range before {
				if !now[k] {
					s.endUserSessions(name, reasonShare, "share withdrawn")
					break
				}
			}
		}
		w.mounts[key] = now
	}
	w.gen = gen
}

// endUserSessions closes every session of the user (names compare without
// case, as logins do).
func (s *Server) endUserSessions(name, reason, why string) {
	key := lowerName(name)
	n := s.engine.CloseSessions(func(_ netip.AddrPort, u string) bool {
		return u != "" && lowerName(u) == key
	}, reason)
	if n > 0 {
		s.logger.Warn("sessions closed after an account change", "user", name, "reason", why, "count", n)
	}
}

func (s *Server) watchAccountsLoop() {
	t := time.NewTicker(accountCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.checkAccounts(context.Background())
		case <-s.stop:
			return
		}
	}
}

// The methods below make a Server the admin API's view of it
// (admin.Live).

// Sessions lists the open control connections, oldest first.
func (s *Server) Sessions() []ftp.SessionInfo { return s.engine.Sessions() }

// CloseSession ends one session: the client gets 421 with reason.
func (s *Server) CloseSession(id, reason string) bool {
	if reason == "" {
		reason = "Session closed by the administrator"
	}
	return s.engine.CloseSession(id, reason)
}

// Refresh acts at once on changes made to the store: bans are applied or
// lifted, and sessions of removed or disabled users, or that lost a
// share, are closed. It returns when that is done.
func (s *Server) Refresh(ctx context.Context) {
	if s.defender != nil {
		if err := s.syncBans(ctx); err != nil {
			s.logger.Warn("reading bans failed", "err", err)
		}
	}
	s.checkAccounts(ctx)
}

// Status summarises the running server for the admin API.
func (s *Server) Status() admin.Status {
	st := admin.Status{Version: s.version, Started: s.started}
	for _, a := range s.Addrs() {
		st.Listeners = append(st.Listeners, a.String())
	}
	slices.Sort(st.Listeners)
	if s.defender != nil {
		st.BansActive = len(s.defender.Bans())
	}
	return st
}

// WithBeforeServe makes Start call f once the listeners are bound and
// before the first connection is accepted; an error from f stops Start.
// serve uses it to give up root between the two, so that no client is
// ever served with root's rights.
func WithBeforeServe(f func() error) Option {
	return func(s *Server) { s.beforeServe = f }
}

// WithVersion sets the version the admin API reports.
func WithVersion(v string) Option {
	return func(s *Server) { s.version = v }
}

var _ admin.Live = (*Server)(nil)

// CertificateConfig serves the FTP listeners' current certificate (it
// follows reloads); the admin API uses it off loopback.
func (s *Server) CertificateConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.certs.Current(), nil
		},
	}
}

// Ready reports whether the server can serve: it listens, is not shutting
// down, and its store answers.
func (s *Server) Ready(ctx context.Context) error {
	if s.draining.Load() {
		return errors.New("shutting down")
	}
	select {
	case <-s.stop:
		return errors.New("shutting down")
	default:
	}
	if len(s.Addrs()) == 0 {
		return errors.New("not listening")
	}
	if _, err := s.store.Generation(ctx); err != nil {
		return errors.New("account store unavailable")
	}
	return nil
}
