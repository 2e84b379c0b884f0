package ftp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// session is one control connection. One goroutine (serve) reads and
// dispatches commands; a transfer runs in a goroutine of its own so that
// ABOR, STAT, NOOP and QUIT are answered meanwhile.
type session struct {
	srv      *Server
	cfg      *config
	id       string
	log      *slog.Logger // gains the user at login; serve goroutine only
	baseLog  *slog.Logger // never changes; for the other goroutines
	raw      net.Conn
	implicit bool
	remote   netip.AddrPort
	local    netip.AddrPort
	opened   time.Time
	bind     *tlsBinding // nil when the server offers no TLS

	// ctx ends when the session is closed; it bounds the Authenticator.
	ctx    context.Context
	cancel context.CancelFunc

	// Owned by the serve goroutine.
	conn          net.Conn  // raw, or tlsConn once TLS is on
	tlsConn       *tls.Conn // nil while in clear text
	br            *bufio.Reader
	lr            *LineReader
	loginDeadline time.Time
	loginTimer    *time.Timer // ends the session at loginDeadline
	quit          bool

	pendingUser   string
	loggedIn      bool
	login         *LoginResult
	fs            FileSystem
	loginFailures int
	host          string
	// restricted holds a login to SITE PSWD and the other commands marked
	// allowedRestricted until the password is changed; fs stays nil
	// meanwhile, so that a slip can never reach the files.
	restricted       bool
	restrictedReason string

	cwd        string
	ascii      bool
	rest       int64
	renameFrom string
	prevVerb   string
	protP      bool
	epsvAll    bool
	facts      []string
	hashAlg    string
	data       *dataSetup

	// wmu serializes replies: the transfer goroutine, the serve goroutine
	// and kick all write. Never take wmu while holding mu.
	wmu         sync.Mutex
	handshaking bool        // a TLS handshake runs on the control connection
	muted       atomic.Bool // kick is sending the last reply; nothing else is written

	mu      sync.Mutex
	xfer    *transfer     // the running transfer, nil when idle
	closing bool          // Shutdown asked this session to end
	ended   bool          // the session is over, or kick is closing it
	kicked  chan struct{} // made by kick, closed once its reply is sent
	// What other goroutines may see of the session (Sessions,
	// CloseSessions, the login timer), mirrored from the serve goroutine.
	authed bool   // logged in, restricted or not
	user   string // canonical user name once logged in
	tlsOn  bool   // the control connection is protected
	// tlsVersion and tlsCipher name what it negotiated.
	tlsVersion, tlsCipher string
	loginGen              uint64 // counts login timers, so a stale one does nothing
}

// newSession makes the session of conn with cfg, the settings it keeps to
// its end.
func newSession(srv *Server, cfg *config, conn net.Conn, implicit bool) *session {
	idb := make([]byte, 6)
	rand.Read(idb)
	s := &session{
		srv:      srv,
		cfg:      cfg,
		id:       hex.EncodeToString(idb),
		raw:      conn,
		conn:     conn,
		implicit: implicit,
		remote:   addrPortOf(conn.RemoteAddr()),
		local:    addrPortOf(conn.LocalAddr()),
		opened:   cfg.now(),
		cwd:      "/",
		facts:    DefaultFacts(),
		hashAlg:  defaultHashAlg,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.log = cfg.logger.With("session", s.id, "client", s.remote.Addr().String())
	s.baseLog = s.log
	if cfg.tls != nil {
		s.bind = newTLSBinding(cfg.tls, !cfg.allowUnresumedData)
	}
	s.setReader(conn)
	return s
}

// lineChunkReader hands the LineReader what the connection has sent, but
// never past the first LF, so that the LineReader never holds bytes beyond
// the end of a line: every line ends at an LF, and every chunk ends at the
// first one. After AUTH TLS this shows whether the client sent anything
// before the handshake (a command injection attempt), which br would still
// hold. An LF that does not end a line (a Telnet option byte, say) only ends
// a chunk early.
type lineChunkReader struct{ br *bufio.Reader }

func (r lineChunkReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	// Wait for at least one byte, then take what is already there.
	if _, err := r.br.Peek(1); err != nil {
		return 0, err
	}
	buf, _ := r.br.Peek(min(r.br.Buffered(), len(p)))
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i+1]
	}
	n := copy(p, buf)
	r.br.Discard(n)
	return n, nil
}

func (s *session) setReader(c net.Conn) {
	s.br = bufio.NewReaderSize(c, 4096)
	s.lr = NewLineReader(lineChunkReader{s.br}, s.cfg.maxLine)
}

// serve runs the session to its end.
func (s *session) serve() {
	defer s.finish()
	defer func() {
		if r := recover(); r != nil {
			s.recovered("session", r)
		}
	}()
	s.loginDeadline = time.Now().Add(s.cfg.loginTimeout)
	s.log.Info("connection opened", "local", s.local.String(), "implicit_tls", s.implicit)
	if s.implicit {
		// The handshake is bounded by loginDeadline; the timer starts
		// after it, so a silent client counts as a failed handshake and
		// not also as a login timeout.
		if err := s.startTLS(); err != nil {
			s.handshakeFailed(err)
			return
		}
		// Implicit FTPS protects data by default; clients rarely send PROT.
		s.protP = true
	}
	s.startLoginTimer(s.loginDeadline)
	s.replyLines(codeReady, strings.Split(s.cfg.banner, "\n"))
	for !s.quit {
		line, err := s.readCommand()
		if err != nil {
			s.readFailed(err)
			return
		}
		s.dispatch(line)
	}
}

// readCommand reads the next command line with a deadline: the login
// deadline before login, IdleTimeout after. A timeout while a transfer runs
// is not idleness, so reading simply goes on.
func (s *session) readCommand() (string, error) {
	for {
		s.mu.Lock()
		if s.ended {
			s.mu.Unlock()
			return "", errKicked
		}
		if s.closing {
			s.mu.Unlock()
			return "", errShuttingDown
		}
		dl := s.loginDeadline
		if s.loggedIn {
			dl = time.Now().Add(s.cfg.idleTimeout)
		}
		// Set under mu so that closeIfIdle cannot be overtaken.
		s.conn.SetReadDeadline(dl)
		s.mu.Unlock()
		line, err := s.lr.ReadLine()
		if err == nil {
			return line, nil
		}
		if isTimeout(err) && s.currentTransfer() != nil {
			continue
		}
		return "", err
	}
}

var (
	errShuttingDown = errors.New("server shutting down")
	errKicked       = errors.New("session closed by the server")
)

func (s *session) readFailed(err error) {
	switch {
	case errors.Is(err, errKicked) || s.isEnded():
		// kick has sent the last reply.
	case errors.Is(err, ErrLineTooLong):
		s.log.Warn("command line too long; closing connection", "max", s.cfg.maxLine)
		s.reply(codeSyntaxError, "Command line too long")
	case errors.Is(err, errShuttingDown) || s.isClosing():
		s.reply(codeServiceUnavailable, "Server shutting down; closing control connection")
	case isTimeout(err):
		if s.loggedIn {
			s.log.Info("idle timeout", "timeout", s.cfg.idleTimeout)
			s.reply(codeServiceUnavailable, "Idle timeout; closing control connection")
		} else {
			// The login timer is due at the same moment; whichever comes
			// first ends the session.
			s.loginExpired(s.currentLoginGen())
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
	default:
		s.log.Debug("control connection read failed", "err", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// dispatch runs one command line through the command table. Login, the
// restricted session, the transfer-in-progress rule and the data
// protection policy are enforced here and nowhere else.
func (s *session) dispatch(line string) {
	verb, arg, err := ParseCommand(line)
	switch {
	case errors.Is(err, ErrInvalidUTF8):
		// RFC 2640 §3: pathnames are UTF-8.
		s.reply(codeArgError, "Argument is not valid UTF-8")
		return
	case err != nil:
		s.reply(codeSyntaxError, "Syntax error, command unrecognized")
		return
	}
	if logArg, ok := loggableArg(verb, arg); ok {
		s.log.Debug("command", "verb", verb, "arg", logArg)
	} else {
		s.log.Debug("command", "verb", verb)
	}
	defer func() { s.prevVerb = verb }()

	cmd, ok := s.srv.cmds[verb]
	switch {
	case !ok:
		s.reply(codeSyntaxError, "Command not recognized")
		return
	case !cmd.duringTransfer && s.currentTransfer() != nil:
		// RFC 959 §4.2.1: a 4yz reply says the command may succeed if
		// repeated once the transfer has ended.
		s.reply(codeFileUnavailable, "Transfer in progress; try again when it ends")
		return
	case cmd.needsLogin && !s.loggedIn:
		s.event(EventCommandBeforeLogin)
		s.reply(codeNotLoggedIn, textLoginFirst)
		return
	case s.restricted && !cmd.allowedWhileRestricted(arg):
		s.reply(codeNotLoggedIn, s.restrictedReason)
		return
	case cmd.needsArg && strings.TrimSpace(arg) == "":
		s.reply(codeArgError, verb+" needs an argument")
		return
	}
	if cmd.opensData {
		if !s.dataProtectionOK() {
			s.closeData()
			s.reply(codeProtRefused, "Data connection cannot be opened with this PROT setting: use PBSZ 0 and PROT P")
			return
		}
		if s.data == nil {
			s.reply(codeCantOpenData, "Use PASV, EPSV, PORT or EPRT first")
			return
		}
	}
	cmd.handler(s, arg)
}

// loggableArg returns what the debug log may show of a command's
// argument: nothing of PASS or ACCT, and of SITE PSWD only the subcommand.
// ok is false when the argument must be left out entirely.
func loggableArg(verb, arg string) (string, bool) {
	switch verb {
	case "PASS", "ACCT":
		return "", false
	case "SITE":
		// Any argument that starts like PSWD is hidden, even one the
		// handler will not take for SITE PSWD (a tab after PSWD, say).
		if strings.HasPrefix(strings.ToUpper(strings.TrimLeft(arg, " \t")), "PSWD") {
			return "PSWD ****", true
		}
	}
	return arg, true
}

// tlsRequired reports whether this session may only work over TLS.
func (s *session) tlsRequired() bool {
	return !s.cfg.allowCleartext || (s.login != nil && s.login.RequireTLS)
}

// dataProtectionOK applies the policy to the next data connection.
func (s *session) dataProtectionOK() bool {
	return s.protP || !s.tlsRequired()
}

func (s *session) currentTransfer() *transfer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.xfer
}

func (s *session) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// reply sends a one-line reply.
func (s *session) reply(code int, text string) {
	s.replyLines(code, []string{text})
}

// replyLines sends a reply of one or more lines (RFC 959 §4.2).
func (s *session) replyLines(code int, lines []string) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.writeLocked(formatReply(code, lines))
}

// writeLocked writes raw reply bytes; wmu must be held. A client that
// reads no reply for IdleTimeout is gone. After kick nothing is written.
func (s *session) writeLocked(b []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.cfg.idleTimeout))
	// Checked after setting the deadline: either kick sees this deadline
	// and shortens it, or this sees muted.
	if s.muted.Load() {
		return net.ErrClosed
	}
	_, err := s.conn.Write(b)
	if err != nil {
		s.log.Debug("control connection write failed", "err", err)
	}
	return err
}

// recovered handles a panic in the session or one of its transfers: it is
// counted and logged with its stack, and the client gets a generic 421
// before the connection closes. Other sessions carry on.
func (s *session) recovered(where string, r any) {
	s.srv.panics.Add(1)
	s.log.Error("panic recovered", "in", where, "panic", r, "stack", string(debug.Stack()))
	s.reply(codeServiceUnavailable, "Internal error; closing control connection")
	s.closeNow()
}

// closeNow ends the session at once; it may be called from any goroutine.
func (s *session) closeNow() {
	s.cancel()
	s.raw.Close()
}

// closeIfIdle ends the session unless a transfer runs. The serve goroutine
// is woken by an expired read deadline, says 421 and ends.
func (s *session) closeIfIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.xfer != nil || s.closing {
		return
	}
	s.closing = true
	s.cancel()
	s.raw.SetReadDeadline(time.Unix(1, 0))
}

// finish releases everything the session holds. It runs once, in the serve
// goroutine, when the session ends for any reason.
func (s *session) finish() {
	s.mu.Lock()
	s.ended = true
	kicked := s.kicked
	s.mu.Unlock()
	if kicked != nil {
		// The connection stays open until kick's reply is out.
		<-kicked
	}
	if s.loginTimer != nil {
		s.loginTimer.Stop()
	}
	if x := s.currentTransfer(); x != nil {
		x.abort()
		s.cancel()
		s.raw.Close()
		<-x.done
	}
	s.cancel()
	s.closeData()
	if s.tlsConn != nil {
		s.tlsConn.SetWriteDeadline(time.Now().Add(time.Second))
		s.tlsConn.Close()
	}
	s.raw.Close()
	s.logout()
	// Done comes before the session leaves the registry, so that once
	// ActiveSessions reaches 0 the Gate has heard of every end.
	s.gateDone()
	s.srv.trackSession(s, false)
	s.log.Info("connection closed", "duration", s.cfg.now().Sub(s.opened).Round(time.Millisecond))
}

// logout forgets the login, telling the Authenticator's result once.
func (s *session) logout() {
	if s.login != nil && s.login.Close != nil {
		closeLogin := s.login.Close
		func() {
			// finish runs after the session's own recover, so a panic in
			// the Authenticator's Close is caught here.
			defer func() {
				if r := recover(); r != nil {
					s.srv.panics.Add(1)
					s.log.Error("panic recovered", "in", "login close", "panic", r, "stack", string(debug.Stack()))
				}
			}()
			closeLogin()
		}()
	}
	s.login = nil
	s.loggedIn = false
	s.mu.Lock()
	s.authed = false
	s.user = ""
	s.mu.Unlock()
	s.fs = nil
	s.restricted = false
	s.restrictedReason = ""
	s.pendingUser = ""
}
