// Package ftp is Bulwark's FTP/FTPS protocol engine: the control-connection
// sessions, the command table, data connections and the TLS policy. It asks
// an Authenticator to check logins and serves files from the FileSystem the
// login gives; it knows nothing else of users or disks.
package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// ErrServerClosed is returned by Serve and ServeImplicitTLS after Shutdown
// or Close.
var ErrServerClosed = errors.New("ftp: server closed")

// ErrListenerClosed is returned by Serve and ServeImplicitTLS when
// CloseListener stopped their listener.
var ErrListenerClosed = errors.New("ftp: listener closed")

// Server is an FTP/FTPS server. Its exported fields are settings read when
// the server first serves; the zero value of each is useful, and the zero
// value of the secure ones is the secure choice. Changing them afterwards
// has no effect: Reconfigure replaces the settings of a running server.
// Serve and ServeImplicitTLS may run at the same time on different
// listeners.
type Server struct {
	// Auth checks logins. It is required.
	Auth Authenticator

	// TLSConfig holds the certificate(s) (or GetCertificate), MinVersion and
	// CipherSuites. nil means no TLS is offered at all. It is cloned for
	// every connection; the session tickets a connection issues are bound
	// to it (see AllowUnresumedData).
	TLSConfig *tls.Config
	// AllowCleartext permits logins and transfers without TLS. When false
	// (the default) USER before AUTH TLS is refused and every data
	// connection must be protected (PROT P).
	AllowCleartext bool
	// AllowUnresumedData accepts protected data connections that do not
	// resume the TLS session of their control connection. When false (the
	// default) such a connection is refused, so that a stranger who races
	// the client to a passive port cannot receive or inject data.
	AllowUnresumedData bool

	// PassivePortMin and PassivePortMax bound the ports of passive data
	// listeners. Both 0 means any ephemeral port.
	PassivePortMin, PassivePortMax int
	// PassiveAddress is the IPv4 address announced in PASV replies, for a
	// server behind NAT. The zero value announces the control connection's
	// local address.
	PassiveAddress netip.Addr
	// DisableActive refuses PORT and EPRT.
	DisableActive bool

	// IdleTimeout closes a logged-in control connection that sends nothing
	// for this long while no transfer runs (default 5 minutes).
	IdleTimeout time.Duration
	// DataTimeout bounds waiting for a data connection and every read or
	// write on one (default 1 minute).
	DataTimeout time.Duration
	// LoginTimeout is the total time allowed from connecting to a
	// successful login, TLS handshakes and every command included (default
	// 30 seconds). Activity does not extend it; when it runs out the client
	// gets 421 and the connection is closed.
	LoginTimeout time.Duration
	// MaxLoginFailures closes a connection with 421 after this many failed
	// logins (PASS, or a wrong old password to SITE PSWD), so that one
	// connection cannot try passwords without end (RFC 2577 §5). Default 3.
	MaxLoginFailures int
	// MaxLineLength bounds a command line (default 4096 bytes).
	MaxLineLength int
	// Banner is the text of the 220 greeting (default "Bulwark FTP server
	// ready"). It may hold several lines separated by "\n".
	Banner string
	// Gate admits or refuses connections before anything is sent. nil admits
	// every connection. Admit is called in the accept loop itself, so that
	// a refused connection costs no goroutine: it must be fast and must
	// never block.
	Gate Gate
	// Events, if not nil, is told of what an attack detector may want to
	// count (see Event). It is called synchronously from the session's
	// goroutines, so it must be cheap and must not block.
	Events func(remote netip.AddrPort, ev Event)
	// Observer, if not nil, is told of TLS handshakes and ended transfers
	// (see Observer).
	Observer Observer
	// Logger receives the engine's logs. nil discards them.
	Logger *slog.Logger
	// Now is the clock for listings and logs (default time.Now). Network
	// deadlines always use the system clock.
	Now func() time.Time

	initOnce sync.Once
	// cfg is the settings new connections get; a session keeps the one
	// it started with (see Reconfigure).
	cfg  atomic.Pointer[config]
	cmds map[string]command

	mu sync.Mutex
	// listeners maps each served listener to whether it is implicit TLS.
	listeners  map[*net.Listener]bool
	sessions   map[*session]struct{}
	inShutdown atomic.Bool
	panics     atomic.Int64
	buffers    bufferPool
	batches    sync.Pool                  // *[]byte, see batchConn
	lastRefuse atomic.Pointer[refuseLine] // see refuseLineFor
}

// config is the copy of the settings the server runs with, defaults
// applied. It is never changed once made: Reconfigure stores a new one.
type config struct {
	auth               Authenticator
	tls                *tls.Config
	allowCleartext     bool
	allowUnresumedData bool
	portMin, portMax   int
	passiveAddr        netip.Addr
	disableActive      bool
	idleTimeout        time.Duration
	dataTimeout        time.Duration
	loginTimeout       time.Duration
	maxLoginFailures   int
	maxLine            int
	banner             string
	gate               Gate
	events             func(netip.AddrPort, Event)
	observer           Observer
	logger             *slog.Logger
	now                func() time.Time
}

const (
	defaultIdleTimeout  = 5 * time.Minute
	defaultDataTimeout  = time.Minute
	defaultLoginTimeout = 30 * time.Second
	// defaultMaxLoginFailures follows RFC 2577 §5's advice to limit
	// password attempts per connection.
	defaultMaxLoginFailures = 3
	defaultMaxLine          = 4096
	defaultBanner           = "Bulwark FTP server ready"
)

func (srv *Server) init() {
	srv.initOnce.Do(func() {
		srv.cfg.Store(srv.newConfig())
		srv.cmds = commandTable()
		srv.listeners = make(map[*net.Listener]bool)
		srv.sessions = make(map[*session]struct{})
	})
}

// newConfig copies srv's exported fields and applies the defaults.
func (srv *Server) newConfig() *config {
	c := &config{
		auth:               srv.Auth,
		allowCleartext:     srv.AllowCleartext,
		allowUnresumedData: srv.AllowUnresumedData,
		portMin:            srv.PassivePortMin,
		portMax:            srv.PassivePortMax,
		passiveAddr:        srv.PassiveAddress.Unmap(),
		disableActive:      srv.DisableActive,
		idleTimeout:        srv.IdleTimeout,
		dataTimeout:        srv.DataTimeout,
		loginTimeout:       srv.LoginTimeout,
		maxLoginFailures:   srv.MaxLoginFailures,
		maxLine:            srv.MaxLineLength,
		banner:             srv.Banner,
		gate:               srv.Gate,
		events:             srv.Events,
		observer:           srv.Observer,
		logger:             srv.Logger,
		now:                srv.Now,
	}
	if srv.TLSConfig != nil {
		c.tls = srv.TLSConfig.Clone()
	}
	if c.idleTimeout <= 0 {
		c.idleTimeout = defaultIdleTimeout
	}
	if c.dataTimeout <= 0 {
		c.dataTimeout = defaultDataTimeout
	}
	if c.loginTimeout <= 0 {
		c.loginTimeout = defaultLoginTimeout
	}
	if c.maxLoginFailures <= 0 {
		c.maxLoginFailures = defaultMaxLoginFailures
	}
	if c.maxLine <= 0 {
		c.maxLine = defaultMaxLine
	}
	if c.banner == "" {
		c.banner = defaultBanner
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// settings returns the settings new connections get.
func (srv *Server) settings() *config { return srv.cfg.Load() }

// check reports a configuration under which no client could ever log in.
func (c *config) check() error {
	if c.auth == nil {
		return errors.New("ftp: Server.Auth is nil")
	}
	if c.tls == nil && !c.allowCleartext {
		return errors.New("ftp: TLSConfig is nil and AllowCleartext is false: no client could log in")
	}
	if c.portMin < 0 || c.portMax > 65535 || c.portMin > c.portMax {
		return errors.New("ftp: invalid passive port range")
	}
	return nil
}

// Serve accepts connections on l for plain FTP and explicit FTPS (AUTH TLS)
// until Shutdown or Close, and then returns ErrServerClosed (or until
// CloseListener(l), and then returns ErrListenerClosed). l is closed when
// Serve returns.
func (srv *Server) Serve(l net.Listener) error {
	return srv.serve(l, false)
}

// ServeImplicitTLS accepts connections on l that start with a TLS handshake
// (implicit FTPS). It needs TLSConfig.
func (srv *Server) ServeImplicitTLS(l net.Listener) error {
	srv.init()
	if srv.settings().tls == nil {
		l.Close()
		return errors.New("ftp: ServeImplicitTLS needs a TLSConfig")
	}
	return srv.serve(l, true)
}

func (srv *Server) serve(l net.Listener, implicit bool) error {
	srv.init()
	if err := srv.settings().check(); err != nil {
		l.Close()
		return err
	}
	if !srv.trackListener(&l, implicit, true) {
		l.Close()
		return ErrServerClosed
	}
	defer srv.trackListener(&l, implicit, false)

	var backoff time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if srv.inShutdown.Load() {
				return ErrServerClosed
			}
			if !srv.serving(&l) {
				return ErrListenerClosed
			}
			if isTemporaryAccept(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				srv.settings().logger.Warn("accept failed; retrying", "err", err, "delay", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		// One reading of the settings serves the whole connection, so
		// that the Gate that admitted it is the one told when it ends.
		cfg := srv.settings()
		if !srv.admit(cfg, conn) {
			continue
		}
		go srv.handleConn(cfg, conn, implicit)
	}
}

// handleConn runs the session of an admitted connection.
func (srv *Server) handleConn(cfg *config, conn net.Conn, implicit bool) {
	s := newSession(srv, cfg, conn, implicit)
	// Reconfigure refuses to drop TLS while an implicit listener is
	// served; the first test only covers one that started meanwhile.
	if (implicit && cfg.tls == nil) || !srv.trackSession(s, true) {
		conn.Close()
		s.gateDone()
		return
	}
	s.serve()
}

// isTemporaryAccept reports the accept errors that pass (too many open
// files, a timeout), after which the loop waits and retries instead of
// stopping.
func isTemporaryAccept(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (srv *Server) trackListener(l *net.Listener, implicit, add bool) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if add {
		if srv.inShutdown.Load() {
			return false
		}
		srv.listeners[l] = implicit
		return true
	}
	delete(srv.listeners, l)
	return true
}

// serving reports whether l is still one of the served listeners.
func (srv *Server) serving(l *net.Listener) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	_, ok := srv.listeners[l]
	return ok
}

// CloseListener stops accepting on l, which Serve or ServeImplicitTLS
// serves, and closes it; that Serve then returns ErrListenerClosed. The
// sessions that came in through l go on as if nothing happened: this is
// how a listener moves to another address without dropping anyone. It
// reports false when l was not being served.
func (srv *Server) CloseListener(l net.Listener) bool {
	srv.init()
	srv.mu.Lock()
	var found *net.Listener
	for k := range srv.listeners {
		if *k == l {
			found = k
			break
		}
	}
	if found != nil {
		// Forgotten before the close, so that the accept loop knows the
		// error it gets is this close and not a failure.
		delete(srv.listeners, found)
	}
	srv.mu.Unlock()
	if found == nil {
		return false
	}
	l.Close()
	return true
}

func (srv *Server) trackSession(s *session, add bool) bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if add {
		if srv.inShutdown.Load() {
			return false
		}
		srv.sessions[s] = struct{}{}
		return true
	}
	delete(srv.sessions, s)
	return true
}

// closeListenersLocked closes every listener. Called with srv.mu held.
func (srv *Server) closeListenersLocked() error {
	var first error
	for l := range srv.listeners {
		if err := (*l).Close(); err != nil && first == nil && !errors.Is(err, net.ErrClosed) {
			first = err
		}
		delete(srv.listeners, l)
	}
	return first
}

// Close stops the server at once: listeners and every connection are
// closed, running transfers included.
func (srv *Server) Close() error {
	srv.init()
	srv.inShutdown.Store(true)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	err := srv.closeListenersLocked()
	for s := range srv.sessions {
		s.closeNow()
	}
	return err
}

// Shutdown stops accepting, closes idle sessions with a 421 reply and lets
// running transfers finish; a session is closed as soon as its transfer
// ends. When ctx ends first, the remaining sessions are closed and ctx's
// error is returned.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.init()
	srv.inShutdown.Store(true)
	srv.mu.Lock()
	err := srv.closeListenersLocked()
	srv.mu.Unlock()

	const maxPoll = 500 * time.Millisecond
	poll := time.Millisecond
	timer := time.NewTimer(poll)
	defer timer.Stop()
	for {
		if srv.closeIdleSessions() {
			return err
		}
		select {
		case <-ctx.Done():
			srv.mu.Lock()
			for s := range srv.sessions {
				s.closeNow()
			}
			srv.mu.Unlock()
			return ctx.Err()
		case <-timer.C:
			poll = min(2*poll, maxPoll)
			timer.Reset(poll)
		}
	}
}

// closeIdleSessions closes the sessions without a running transfer and
// reports whether none is left.
func (srv *Server) closeIdleSessions() bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for s := range srv.sessions {
		s.closeIfIdle()
	}
	return len(srv.sessions) == 0
}

// Panics returns how many panics in sessions and transfers were recovered.
func (srv *Server) Panics() int64 { return srv.panics.Load() }

// ActiveSessions returns the number of open control connections.
func (srv *Server) ActiveSessions() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.sessions)
}

// addrPortOf converts a net.Addr to an AddrPort with IPv4-mapped addresses
// unmapped, so that address comparisons are exact.
func addrPortOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
