package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/access"
	"github.com/bulwark-ftp/bulwark/internal/auth"
	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/defender"
	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// A reload happens in two steps. prepare does everything that can fail
// (reading the certificate, building rules, resolving the public address,
// binding new listeners) and changes nothing anyone can see. commit then
// swaps each part at once, in steps that cannot fail; the only step between
// them that could, the engine's Reconfigure, comes first and is undone by
// closing the new listeners. So a reload is applied whole or not at all.
//
// Every part is swapped atomically on its own (an atomic pointer, or the
// engine's and the defender's own locks), so a connection or login sees
// either the old or the new value of each setting, never a torn one.
// Sessions keep what the engine gave them when they started: their TLS
// state, timeouts, passive range and cleartext policy. Login checks, access
// rules, bans and the defender's thresholds are asked anew every time, so
// their new values reach running sessions too (a server-level deny closes
// the logged-in sessions it now refuses, as a closing access window does).

// reloadState is the part of Server that reloads change.
type reloadState struct {
	mu sync.Mutex // serialises reloads
	// live is the configuration in force since the last reload; nil
	// until then, when Server.cfg is.
	live atomic.Pointer[config.Config]
}

// current returns the configuration in force.
func (s *Server) current() *config.Config {
	if c := s.reload.live.Load(); c != nil {
		return c
	}
	return s.cfg
}

// The listeners, in the order Addrs lists them.
const (
	explicitListener = iota
	implicitListener
	numListeners
)

// listenKey is the configuration key of a listener.
func listenKey(kind int) string {
	if kind == implicitListener {
		return "server.implicit_listen"
	}
	return "server.listen"
}

func listenAddr(cfg *config.Config, kind int) string {
	if kind == implicitListener {
		return cfg.Server.ImplicitListen
	}
	return cfg.Server.Listen
}

// bind opens a listener; the error names its key.
func bind(kind int, addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", listenKey(kind), err)
	}
	return l, nil
}

// serveListener makes l the listener of kind and serves it in the
// background.
func (s *Server) serveListener(kind int, l net.Listener) {
	mode, serve := "explicit FTPS (AUTH TLS)", s.engine.Serve
	if kind == implicitListener {
		mode, serve = "implicit FTPS", s.engine.ServeImplicitTLS
	}
	s.mu.Lock()
	s.listeners[kind] = l
	s.mu.Unlock()
	s.logger.Info("listening", "addr", l.Addr().String(), "mode", mode)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := serve(l)
		stopped := errors.Is(err, ftp.ErrServerClosed) || errors.Is(err, ftp.ErrListenerClosed) ||
			errors.Is(err, net.ErrClosed) // closed by a reload before its loop began
		if err != nil && !stopped {
			s.logger.Error("listener stopped", "addr", l.Addr().String(), "err", err)
		}
	}()
}

// applyEngineConfig sets the engine settings the configuration decides.
func applyEngineConfig(e *ftp.Server, cfg *config.Config, tlsConf *tls.Config) error {
	low, high := cfg.PassiveRange()
	e.TLSConfig = tlsConf
	e.AllowCleartext = cfg.TLS.Policy == config.PolicyOptional
	e.AllowUnresumedData = !cfg.TLS.RequireSessionResumption
	e.PassivePortMin, e.PassivePortMax = low, high
	e.DisableActive = !cfg.Active.Enabled
	e.IdleTimeout = cfg.Server.IdleTimeout.Duration
	e.DataTimeout = cfg.Server.DataTimeout.Duration
	e.LoginTimeout = cfg.Server.LoginTimeout.Duration
	e.MaxLineLength = cfg.Server.MaxLineLength
	e.Banner = cfg.Server.Banner
	e.MaxLoginFailures = cfg.Defender.MaxLoginFailures
	e.PassiveAddress = netip.Addr{}
	if addr := cfg.Passive.PublicAddress; addr != "" {
		ip, err := resolvePublic(addr)
		if err != nil {
			return fmt.Errorf("passive.public_address: %w", err)
		}
		e.PassiveAddress = ip
	}
	return nil
}

// applyPipelineConfig sets the login settings the configuration decides.
func applyPipelineConfig(p *auth.Pipeline, cfg *config.Config, base password.Policy, st store.Store, now func() time.Time) {
	p.Hasher = cfg.PasswordHash.Hasher()
	p.FailureDelay = cfg.Auth.FailureDelay.Duration
	p.Policy = userPolicy(st, base)
	p.RefuseExpired = cfg.PasswordPolicy.RefuseExpired()
	p.Cache = auth.NewVerifyCache(cfg.Auth.PasswordCacheTTL.Duration, 0, now)
}

// gateLimits are the gate's settings.
type gateLimits struct {
	// serverIP holds the server-level allow and deny lists.
	serverIP         access.IPRules
	reply            string
	maxAll, maxPerIP int
}

func gateLimitsOf(cfg *config.Config, serverIP access.IPRules) *gateLimits {
	return &gateLimits{serverIP: serverIP, reply: cfg.Defender.RefuseReply,
		maxAll: cfg.Defender.MaxConnections, maxPerIP: cfg.Defender.MaxConnectionsPerIP}
}

// reloadPlan is a prepared reload: everything built, nothing swapped.
type reloadPlan struct {
	cfg      *config.Config
	cert     *tls.Certificate
	engine   *ftp.Server
	pipeline *auth.Pipeline
	server   access.Level
	zone     *time.Location
	limits   *gateLimits
	defender *defender.Config // nil when the defender is off
	// moved marks the listeners whose address changed; bound holds the
	// new ones (nil for a listener turned off).
	moved [numListeners]bool
	bound [numListeners]net.Listener
}

// release closes the listeners a plan bound, when it is not committed.
func (p *reloadPlan) release() {
	for _, l := range p.bound {
		if l != nil {
			l.Close()
		}
	}
}

// Reload applies cfg, a validated configuration, to the running server
// without dropping any session. What can change at runtime changes:
// listeners move (the new address is bound before the old one stops
// accepting; sessions that came in through the old one go on), and the
// certificate, TLS settings, engine settings, login settings, access rules
// and defender rules apply to what comes next. data_dir and
// defender.enabled keep their running values (the caller reports them);
// log.* is the caller's.
//
// On error nothing has changed: the error names the key at fault (a port
// in use, a certificate that cannot be read, ...). Reload is for a server
// that Start started; reloads are serialised.
func (s *Server) Reload(cfg *config.Config) error {
	s.reload.mu.Lock()
	defer s.reload.mu.Unlock()
	select {
	case <-s.stop:
		return errors.New("the server is stopping")
	default:
	}
	old := s.current()
	// Only a restart moves the data or turns the defender on or off.
	c := *cfg
	c.DataDir, c.Defender.Enabled = old.DataDir, old.Defender.Enabled
	p, err := s.prepare(old, &c)
	if err != nil {
		return err
	}
	if err := s.engine.Reconfigure(p.engine); err != nil {
		p.release()
		return err
	}
	s.commit(p)
	return nil
}

// prepare builds everything cfg asks for. Its only lasting effects are
// the listeners it binds, which release undoes, and the self-signed
// certificate it creates when none exists yet, as start-up does.
func (s *Server) prepare(old, cfg *config.Config) (*reloadPlan, error) {
	p := &reloadPlan{cfg: cfg}
	cert, _, err := certs.LoadOrCreate(cfg.TLSDir(), cfg.TLS.CertFile, cfg.TLS.KeyFile, s.now)
	if err != nil {
		if cfg.TLS.CertFile != "" {
			return nil, fmt.Errorf("tls.cert_file: %w", err)
		}
		return nil, fmt.Errorf("tls: %w", err)
	}
	p.cert = cert
	tlsConf, err := certs.TLSConfig(cfg.TLS.MinVersion, cfg.TLS.CipherSuites, s.certs)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	p.engine = &ftp.Server{
		// The wiring stays; only what the configuration decides changes.
		Auth:     s.engine.Auth,
		Gate:     s.engine.Gate,
		Events:   s.engine.Events,
		Observer: s.engine.Observer,
		Logger:   s.engine.Logger,
		Now:      s.engine.Now,
	}
	if err := applyEngineConfig(p.engine, cfg, tlsConf); err != nil {
		return nil, err
	}

	base, err := cfg.PasswordPolicy.Build(cfg)
	if err != nil {
		return nil, err
	}
	cur := s.auth.pipeline.Load()
	next := *cur
	applyPipelineConfig(&next, cfg, base, s.store, s.now)
	if cfg.PasswordHash == old.PasswordHash {
		next.Hasher = cur.Hasher
	}
	if cfg.Auth.PasswordCacheTTL == old.Auth.PasswordCacheTTL {
		// Keeps repeated logins cheap across the reload.
		next.Cache = cur.Cache
	}
	p.pipeline = &next

	if p.zone, err = cfg.Access.Location(); err != nil {
		return nil, err
	}
	if p.server, err = cfg.Access.ServerLevel(); err != nil {
		return nil, err
	}
	p.limits = gateLimitsOf(cfg, p.server.IP)
	if s.defender != nil {
		dcfg, err := cfg.Defender.Build()
		if err != nil {
			return nil, err
		}
		p.defender = &dcfg
	}

	// Last, as it is the one step with something to undo.
	for kind := range numListeners {
		addr := listenAddr(cfg, kind)
		if addr == listenAddr(old, kind) {
			continue
		}
		p.moved[kind] = true
		if addr == "" {
			continue
		}
		l, err := bind(kind, addr)
		if err != nil {
			p.release()
			return nil, err
		}
		p.bound[kind] = l
	}
	return p, nil
}

// commit swaps in what prepare built; nothing in it can fail.
func (s *Server) commit(p *reloadPlan) {
	cfg := p.cfg
	s.certs.Set(cfg.TLSDir(), cfg.TLS.CertFile, cfg.TLS.KeyFile, p.cert)
	s.rules.set(p.server, p.zone)
	if gt, ok := s.engine.Gate.(*gate); ok {
		gt.limits.Store(p.limits)
	}
	if g, ok := p.pipeline.Guard.(*guard); ok {
		g.knownDays.Store(int64(cfg.Defender.KnownAddressDays))
	}
	if p.defender != nil {
		s.defender.SetConfig(*p.defender)
	}
	s.auth.cfg.Store(cfg)
	s.auth.pipeline.Store(p.pipeline)
	s.reload.live.Store(cfg)

	for kind := range numListeners {
		if !p.moved[kind] {
			continue
		}
		// The new listener serves before the old one stops, so that
		// there is no moment when neither accepts.
		s.mu.Lock()
		prev := s.listeners[kind]
		s.listeners[kind] = nil
		s.mu.Unlock()
		if l := p.bound[kind]; l != nil {
			s.serveListener(kind, l)
		}
		if prev != nil {
			if !s.engine.CloseListener(prev) {
				// Its accept loop has not begun yet (a reload right
				// after Start); closing it ends that loop at once.
				prev.Close()
			}
			s.logger.Info("stopped listening; its sessions go on", "key", listenKey(kind),
				"addr", prev.Addr().String())
		}
	}
	s.logger.Info("tls certificate reloaded", "sha256", certs.Fingerprint(p.cert))
}
