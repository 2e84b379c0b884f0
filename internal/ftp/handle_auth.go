package ftp

import (
	"context"
	"errors"
	"strings"
	"time"
)

// handleUSER starts a login (RFC 959 §4.1.1).
func (s *session) handleUSER(arg string) {
	if s.loggedIn {
		s.reply(codeBadSequence, "Already logged in")
		return
	}
	if !s.cfg.allowCleartext && s.tlsConn == nil {
		// RFC 4217 §4 ("Server Wants a Secured Session"): the server
		// refuses commands until the client has secured the control
		// connection.
		s.reply(codeNotLoggedIn, "TLS required: send AUTH TLS before USER")
		return
	}
	// Every name gets 331, so that valid names cannot be guessed (RFC 2577
	// §7).
	s.pendingUser = arg
	s.reply(codeNeedPassword, "Password required")
}

// handlePASS completes a login (RFC 959 §4.1.1). Every failure gets the
// same 530 so the client cannot tell an unknown user from a bad password.
func (s *session) handlePASS(arg string) {
	if s.loggedIn {
		s.reply(codeBadSequence, "Already logged in")
		return
	}
	if s.pendingUser == "" {
		s.reply(codeBadSequence, "Send USER first")
		return
	}
	user := s.pendingUser
	s.pendingUser = ""
	info := LoginInfo{
		SessionID: s.id,
		Remote:    s.remote,
		Local:     s.local,
		User:      user,
		Password:  arg,
		TLS:       s.tlsState(),
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.loginTimeout)
	res, err := s.cfg.auth.Login(ctx, info)
	cancel()
	if err == nil && (res == nil || res.FS == nil) {
		if res != nil && res.Close != nil {
			res.Close()
		}
		err = errors.New("authenticator returned no file system")
	}
	if err == nil && res.RequireTLS && s.tlsConn == nil {
		if res.Close != nil {
			res.Close()
		}
		s.log.Warn("login failed", append([]any{"user", user, "reason", "account requires TLS"}, s.tlsLogAttrs()...)...)
		s.reply(codeNotLoggedIn, "This account requires TLS: send AUTH TLS first")
		return
	}
	if err != nil {
		s.loginFailures++
		reason := "invalid credentials"
		level := "warn"
		var lf *LoginFailure
		var pubReason PublicError
		if errors.As(err, &lf) {
			reason = lf.Reason
		} else if errors.As(err, &pubReason) {
			reason = pubReason.Reply()
		} else if !errors.Is(err, ErrLoginFailed) {
			reason = err.Error()
			level = "error"
		}
		attrs := append([]any{"user", user, "reason", reason}, s.tlsLogAttrs()...)
		if level == "error" {
			s.log.Error("login failed", attrs...)
		} else {
			s.log.Warn("login failed", attrs...)
		}
		var pub PublicError
		if errors.As(err, &pub) {
			// The authenticator chose words the client may read (a
			// session limit, say).
			s.reply(errorReply(err, codeNotLoggedIn))
		} else {
			s.reply(codeNotLoggedIn, "Login incorrect")
		}
		s.closeIfTooManyFailures()
		return
	}
	name := res.User
	if name == "" {
		name = user
	}
	if !s.markAuthed(name) {
		// The login time limit ran out while the Authenticator worked:
		// the session is already closing.
		if res.Close != nil {
			res.Close()
		}
		s.quit = true
		return
	}
	s.login = res
	s.loggedIn = true
	s.cwd = "/"
	s.log = s.log.With("user", name)
	lines := []string{}
	if res.Message != "" {
		lines = append(lines, strings.Split(strings.TrimRight(res.Message, "\n"), "\n")...)
	}
	if res.Restricted {
		// The login succeeds so that the user can change the password
		// with SITE PSWD; the dispatcher refuses everything else.
		s.restricted = true
		s.restrictedReason = oneLine(res.RestrictedReason, textRestricted)
		s.log.Info("login succeeded", append(s.tlsLogAttrs(), "restricted", true)...)
		lines = append(lines, s.restrictedReason, "User logged in with restricted access")
	} else {
		s.fs = res.FS
		s.log.Info("login succeeded", s.tlsLogAttrs()...)
		lines = append(lines, "User logged in, proceed")
	}
	s.replyLines(codeLoggedIn, lines)
}

// closeIfTooManyFailures ends the session once wrong passwords, given to
// PASS or as the old password of SITE PSWD, reach MaxLoginFailures.
func (s *session) closeIfTooManyFailures() {
	if s.loginFailures < s.cfg.maxLoginFailures {
		return
	}
	s.log.Warn("too many failed logins; closing connection", "failures", s.loginFailures)
	s.event(EventTooManyLoginFailures)
	s.reply(codeServiceUnavailable, "Too many failed logins; closing control connection")
	s.quit = true
}

// handleACCT: accounts are not used (RFC 959 §5.4 allows 202).
func (s *session) handleACCT(string) {
	s.reply(codeSuperfluous, "ACCT not needed")
}

// handleAUTH upgrades the control connection to TLS (RFC 2228 §3; RFC
// 4217 §4). "TLS-C" and "SSL" are old names for the same; "TLS-P" also
// protects data connections, as some old clients expect.
func (s *session) handleAUTH(arg string) {
	if s.bind == nil {
		s.reply(codeNotImplemented, "TLS is not available on this server")
		return
	}
	mech := strings.ToUpper(strings.TrimSpace(arg))
	switch mech {
	case "TLS", "TLS-C", "SSL", "TLS-P":
	default:
		s.reply(codeParamNotImpl, "Security mechanism not understood; use AUTH TLS")
		return
	}
	if s.tlsConn != nil {
		s.reply(codeBadSequence, "TLS is already active")
		return
	}
	if s.br.Buffered() > 0 {
		// Anything sent after AUTH but before the handshake would be read
		// as if it had come through TLS: a command injection.
		s.log.Warn("data sent before TLS handshake; closing connection")
		s.reply(codeBadSequence, "Data received before the TLS handshake; closing control connection")
		s.quit = true
		return
	}
	s.reply(codeAuthOK, "AUTH "+mech+" OK; starting TLS")
	if err := s.startTLS(); err != nil {
		s.handshakeFailed(err)
		s.quit = true
		return
	}
	// RFC 2228 §3 (AUTH): a new security state resets the login, so the
	// user logs in again over TLS. Having logged in once, the user gets a
	// fresh login time limit for it.
	wasLoggedIn := s.loggedIn
	s.logout()
	if wasLoggedIn {
		s.startLoginTimer(time.Now().Add(s.cfg.loginTimeout))
	}
	s.cwd = "/"
	s.rest = 0
	s.renameFrom = ""
	s.closeData()
	s.protP = mech == "TLS-P"
}

// handlePBSZ: TLS needs no buffer size, so PBSZ 0 is the only answer (RFC
// 2228 §3; RFC 4217, "Data Connection Behaviour").
func (s *session) handlePBSZ(arg string) {
	if s.tlsConn == nil {
		s.reply(codeBadSequence, "PBSZ needs AUTH TLS first")
		return
	}
	for _, c := range strings.TrimSpace(arg) {
		if c < '0' || c > '9' {
			s.reply(codeArgError, "PBSZ needs a decimal number")
			return
		}
	}
	s.reply(codeOK, "PBSZ=0")
}

// handlePROT sets the data channel protection level (RFC 2228 §3; RFC
// 4217, "Data Connection Behaviour"). Only C and P exist under TLS. RFC
// 2228 wants PBSZ first; that is not enforced, as PBSZ means nothing under
// TLS and some clients skip it.
func (s *session) handlePROT(arg string) {
	if s.tlsConn == nil {
		s.reply(codeBadSequence, "PROT needs AUTH TLS first")
		return
	}
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "P":
		s.protP = true
		s.reply(codeOK, "Protection level set to Private")
	case "C":
		if s.tlsRequired() {
			s.reply(codePolicyDenied, "Policy requires protected data connections: use PROT P")
			return
		}
		s.protP = false
		s.reply(codeOK, "Protection level set to Clear")
	case "S", "E":
		s.reply(codeProtNotSupported, "PROT level not supported by TLS; use PROT P")
	default:
		s.reply(codeParamNotImpl, "Unknown protection level")
	}
}

// handleCCC refuses to drop TLS from the control connection: the rest of
// the session would be open to tampering (RFC 2228 §4: 534).
func (s *session) handleCCC(string) {
	s.reply(codePolicyDenied, "CCC refused: the control connection stays protected")
}

// handleHOST records the host name the client asked for (RFC 7151 §3). No
// virtual hosts exist, so any name is accepted. It must come before login.
func (s *session) handleHOST(arg string) {
	if s.loggedIn || s.pendingUser != "" {
		s.reply(codeBadSequence, "HOST must come before USER")
		return
	}
	s.host = strings.TrimSpace(arg)
	s.log.Debug("host requested", "host", s.host)
	s.reply(codeReady, "Host accepted")
}
