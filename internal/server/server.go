// Package server wires the protocol engine to the account store, the login
// pipeline and the per-user file systems, and owns the listeners.
package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/auth"
	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/defender"
	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// Server is a running Bulwark instance: an FTP engine, its listeners and the
// parts behind them.
type Server struct {
	cfg    *config.Config
	store  store.Store
	logger *slog.Logger
	now    func() time.Time

	certs    *certs.Reloader
	engine   *ftp.Server
	auth     *authenticator
	usage    *usageBook
	stop     chan struct{}
	stopOnce sync.Once

	rules    *accessRules
	enforcer *enforcer
	obs      observeOptions // metrics and transfer log, see observe.go
	accounts accountWatch
	draining atomic.Bool
	// beforeServe runs in Start once the listeners are bound and before
	// any connection is accepted (see WithBeforeServe).
	beforeServe func() error
	version     string
	started     time.Time

	// defender is nil when defender.enabled is false.
	defender    *defender.Defender
	bansMu      sync.Mutex // serialises syncBans
	bansVersion int64

	reload reloadState // see reload.go

	mu sync.Mutex
	// listeners are the explicit and the implicit listener, nil when off.
	listeners [numListeners]net.Listener
	wg        sync.WaitGroup
}

// Option adjusts a Server being built by New.
type Option func(*Server)

// WithClock makes every rule that depends on time (password aging, access
// windows, bans) read now instead of the system clock; tests use it to
// move time without waiting.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// New builds a server from a validated configuration. It loads or creates
// the TLS certificate but binds nothing; call Start.
func New(cfg *config.Config, st store.Store, logger *slog.Logger, opts ...Option) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, store: st, logger: logger, now: time.Now, stop: make(chan struct{}), bansVersion: -1,
		accounts: accountWatch{gen: -1, mounts: map[string]map[string]bool{}}}
	for _, o := range opts {
		o(s)
	}

	reloader, err := certs.NewReloader(cfg.TLSDir(), cfg.TLS.CertFile, cfg.TLS.KeyFile, s.now)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	s.certs = reloader
	tlsConf, err := certs.TLSConfig(cfg.TLS.MinVersion, cfg.TLS.CipherSuites, reloader)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}

	basePolicy, err := cfg.PasswordPolicy.Build(cfg)
	if err != nil {
		return nil, err
	}
	pipeline := &auth.Pipeline{Store: st, Now: s.now, Logger: logger}
	applyPipelineConfig(pipeline, cfg, basePolicy, st, s.now)
	zone, err := cfg.Access.Location()
	if err != nil {
		return nil, err
	}
	serverLevel, err := cfg.Access.ServerLevel()
	if err != nil {
		return nil, err
	}
	s.rules = newAccessRules(st, serverLevel, zone, s.now)
	pipeline.Access = s.rules.check
	s.enforcer = &enforcer{srv: s, rules: s.rules, refusedSince: map[string]time.Time{}}

	var g *guard
	if cfg.Defender.Enabled {
		dcfg, err := cfg.Defender.Build()
		if err != nil {
			return nil, err
		}
		s.defender = defender.New(dcfg, s.now)
		g = &guard{def: s.defender, store: st, logger: logger, now: s.now, closeSessions: s.closePrefix}
		g.knownDays.Store(int64(cfg.Defender.KnownAddressDays))
		pipeline.Guard = g
	}
	s.usage = newUsageBook(st, logger)
	s.auth = &authenticator{logger: logger, store: st,
		gen:   newGeneration(st, generationMaxAge),
		usage: s.usage, accesses: map[string]*userAccess{}}
	s.auth.pipeline.Store(pipeline)
	s.auth.cfg.Store(cfg)
	s.engine = &ftp.Server{Auth: s.auth, Logger: logger, Now: s.now}
	if err := applyEngineConfig(s.engine, cfg, tlsConf); err != nil {
		return nil, err
	}
	var onLimit func(netip.Addr)
	if g != nil {
		s.engine.Events = g.event
		onLimit = func(a netip.Addr) { g.record(a, defender.EventConnLimit, "") }
	}
	gt := newGate(s.defender, gateLimitsOf(cfg, serverLevel.IP), onLimit)
	s.engine.Gate = gt
	s.wireObservers(g, gt)
	return s, nil
}

// resolvePublic turns the configured public address (an IP or a host name)
// into the IPv4 address announced in PASV replies.
func resolvePublic(host string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", host)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("cannot resolve %q to an IPv4 address", host)
	}
	return ips[0].Unmap(), nil
}

// Certificate returns the certificate currently served.
func (s *Server) Certificate() *tls.Certificate { return s.certs.Current() }

// Start binds the configured listeners and serves them in the background.
func (s *Server) Start() error {
	if s.defender != nil {
		if err := s.syncBans(context.Background()); err != nil {
			return fmt.Errorf("loading bans: %w", err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.syncBansLoop()
		}()
	}
	// Both are bound before either serves, so that a failure leaves
	// nothing half open.
	var bound [numListeners]net.Listener
	for kind := range numListeners {
		addr := listenAddr(s.cfg, kind)
		if addr == "" {
			continue
		}
		l, err := bind(kind, addr)
		if err != nil {
			for _, l := range bound {
				if l != nil {
					l.Close()
				}
			}
			return err
		}
		bound[kind] = l
	}
	if s.beforeServe != nil {
		if err := s.beforeServe(); err != nil {
			for _, l := range bound {
				if l != nil {
					l.Close()
				}
			}
			return err
		}
	}
	for kind, l := range bound {
		if l != nil {
			s.serveListener(kind, l)
		}
	}
	s.logger.Info("tls certificate", "sha256", certs.Fingerprint(s.certs.Current()))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.cleanStaleUploads()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.flushUsageLoop()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.enforcer.loop()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.watchAccountsLoop()
	}()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.housekeepingLoop()
	}()
	s.started = s.now()
	return nil
}

// usageFlushInterval is how often changed usage is saved for the CLI to
// show; the running server itself always uses the live counters.
const usageFlushInterval = 5 * time.Second

func (s *Server) flushUsageLoop() {
	t := time.NewTicker(usageFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.usage.flush(context.Background())
		case <-s.stop:
			s.usage.flush(context.Background())
			return
		}
	}
}

// Addrs returns the bound listener addresses: the explicit one first.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, 0, len(s.listeners))
	for _, l := range s.listeners {
		if l != nil {
			out = append(out, l.Addr())
		}
	}
	return out
}

// Shutdown stops accepting, lets running transfers finish until ctx ends,
// then closes the remaining sessions.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true) // /readyz answers 503 from now on
	err := s.engine.Shutdown(ctx)
	s.stopBackground()
	s.wg.Wait()
	return err
}

func (s *Server) stopBackground() {
	s.stopOnce.Do(func() { close(s.stop) })
}

// Close closes everything at once.
func (s *Server) Close() error {
	err := s.engine.Close()
	s.stopBackground()
	s.wg.Wait()
	return err
}
