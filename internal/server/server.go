// Package server wires the protocol engine to the account store, the login
// pipeline and the per-user file systems, and owns the listeners.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/auth"
	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/defender"
	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/password"
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

	// defender is nil when defender.enabled is false.
	defender    *defender.Defender
	bansVersion int64

	mu        sync.Mutex
	listeners []net.Listener
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
	s := &Server{cfg: cfg, store: st, logger: logger, now: time.Now, stop: make(chan struct{}), bansVersion: -1}
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
	pipeline := &auth.Pipeline{
		Store:         st,
		Hasher:        &password.Hasher{Params: cfg.PasswordHash.Params()},
		FailureDelay:  cfg.Auth.FailureDelay.Duration,
		Now:           s.now,
		Logger:        logger,
		Policy:        userPolicy(st, basePolicy),
		RefuseExpired: cfg.PasswordPolicy.RefuseExpired(),
		Cache:         auth.NewVerifyCache(cfg.Auth.PasswordCacheTTL.Duration, 0, s.now),
	}
	zone, err := cfg.Access.Location()
	if err != nil {
		return nil, err
	}
	serverLevel, err := cfg.Access.ServerLevel()
	if err != nil {
		return nil, err
	}
	s.rules = &accessRules{store: st, server: serverLevel, zone: zone, now: s.now}
	pipeline.Access = s.rules.check
	s.enforcer = &enforcer{srv: s, rules: s.rules, grace: cfg.Access.GracePeriod.Duration, refusedSince: map[string]time.Time{}}

	var g *guard
	if cfg.Defender.Enabled {
		dcfg, err := cfg.Defender.Build()
		if err != nil {
			return nil, err
		}
		s.defender = defender.New(dcfg, s.now)
		g = &guard{def: s.defender, store: st, logger: logger, now: s.now,
			knownDays: cfg.Defender.KnownAddressDays, closeSessions: s.closePrefix}
		pipeline.Guard = g
	}
	s.usage = newUsageBook(st, logger)
	s.auth = &authenticator{pipeline: pipeline, cfg: cfg, logger: logger, store: st,
		gen:   newGeneration(st, generationMaxAge),
		usage: s.usage, accesses: map[string]*userAccess{}}
	low, high := cfg.PassiveRange()
	s.engine = &ftp.Server{
		Auth:               s.auth,
		TLSConfig:          tlsConf,
		AllowCleartext:     cfg.TLS.Policy == "optional",
		AllowUnresumedData: !cfg.TLS.RequireSessionResumption,
		PassivePortMin:     low,
		PassivePortMax:     high,
		DisableActive:      !cfg.Active.Enabled,
		IdleTimeout:        cfg.Server.IdleTimeout.Duration,
		DataTimeout:        cfg.Server.DataTimeout.Duration,
		LoginTimeout:       cfg.Server.LoginTimeout.Duration,
		MaxLineLength:      cfg.Server.MaxLineLength,
		Banner:             cfg.Server.Banner,
		Logger:             logger,
		Now:                s.now,
		MaxLoginFailures:   cfg.Defender.MaxLoginFailures,
	}
	var onLimit func(netip.Addr)
	if g != nil {
		s.engine.Events = g.event
		onLimit = func(a netip.Addr) { g.record(a, defender.EventConnLimit, "") }
	}
	gt := newGate(s.defender, cfg.Defender.RefuseReply,
		cfg.Defender.MaxConnections, cfg.Defender.MaxConnectionsPerIP, onLimit)
	gt.serverIP = serverLevel.IP
	s.engine.Gate = gt
	if addr := cfg.Passive.PublicAddress; addr != "" {
		ip, err := resolvePublic(addr)
		if err != nil {
			return nil, fmt.Errorf("passive.public_address: %w", err)
		}
		s.engine.PassiveAddress = ip
	}
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
	type bind struct {
		addr     string
		implicit bool
	}
	binds := []bind{{s.cfg.Server.Listen, false}, {s.cfg.Server.ImplicitListen, true}}
	for _, b := range binds {
		if b.addr == "" {
			continue
		}
		l, err := net.Listen("tcp", b.addr)
		if err != nil {
			s.closeListeners()
			key := "server.listen"
			if b.implicit {
				key = "server.implicit_listen"
			}
			return fmt.Errorf("%s: %w", key, err)
		}
		s.mu.Lock()
		s.listeners = append(s.listeners, l)
		s.mu.Unlock()
		mode := "explicit FTPS (AUTH TLS)"
		serve := s.engine.Serve
		if b.implicit {
			mode = "implicit FTPS"
			serve = s.engine.ServeImplicitTLS
		}
		s.logger.Info("listening", "addr", l.Addr().String(), "mode", mode)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := serve(l); err != nil && !errors.Is(err, ftp.ErrServerClosed) {
				s.logger.Error("listener stopped", "addr", l.Addr().String(), "err", err)
			}
		}()
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
		out = append(out, l.Addr())
	}
	return out
}

// Reload applies what can change without a restart: the certificate, read
// again from the (possibly changed) files named in cfg. On error the current
// certificate stays in use.
func (s *Server) Reload(cfg *config.Config) error {
	if err := s.certs.Use(cfg.TLSDir(), cfg.TLS.CertFile, cfg.TLS.KeyFile); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	s.logger.Info("tls certificate reloaded", "sha256", certs.Fingerprint(s.certs.Current()))
	return nil
}

// Shutdown stops accepting, lets running transfers finish until ctx ends,
// then closes the remaining sessions.
func (s *Server) Shutdown(ctx context.Context) error {
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

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		l.Close()
	}
	s.listeners = nil
}
