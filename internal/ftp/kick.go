package ftp

import (
	"runtime/debug"
	"time"
	"unicode/utf8"
)

// This file holds what ends a session from outside its serve goroutine
// (the login time limit, CloseSessions) and what tells the rest of the
// program about a session (Events, the Gate's Done).

// kickWriteTimeout bounds the wait for the last reply kick sends, and for
// a reply already stuck on a client that does not read.
const kickWriteTimeout = 2 * time.Second

const textLoginTimeLimit = "Login time limit exceeded"

// kick ends the session from any goroutine: a running transfer is
// aborted, the client gets "421 text" as its last reply, and the
// connection is closed. No reply is sent while a TLS handshake runs on the
// control connection, as the client could not read it. cond, if not nil,
// is checked under mu and may veto. kick reports whether it closed the
// session; a session that is already ending is left alone.
func (s *session) kick(text string, cond func() bool) bool {
	s.mu.Lock()
	if s.ended || (cond != nil && !cond()) {
		s.mu.Unlock()
		return false
	}
	s.ended = true
	s.kicked = make(chan struct{})
	defer close(s.kicked)
	x := s.xfer
	s.mu.Unlock()

	s.cancel() // ends an Authenticator call or a handshake
	if x != nil {
		x.abort()
	}
	// From here no other reply is written (writeLocked checks muted after
	// setting its own deadline), and one already being written gives up
	// in time, so wmu is free soon.
	s.muted.Store(true)
	s.raw.SetWriteDeadline(time.Now().Add(kickWriteTimeout))
	s.wmu.Lock()
	if !s.handshaking {
		s.raw.SetWriteDeadline(time.Now().Add(kickWriteTimeout))
		s.conn.Write(formatReply(codeServiceUnavailable, []string{text}))
	}
	s.wmu.Unlock()
	s.raw.Close()
	return true
}

// startLoginTimer arms the login time limit: at dl a session that has not
// logged in is closed, whatever it is doing. It runs on the serve
// goroutine.
func (s *session) startLoginTimer(dl time.Time) {
	s.loginDeadline = dl
	if s.loginTimer != nil {
		s.loginTimer.Stop()
	}
	s.mu.Lock()
	s.loginGen++
	gen := s.loginGen
	s.mu.Unlock()
	s.loginTimer = time.AfterFunc(time.Until(dl), func() { s.loginExpired(gen) })
}

// loginExpired closes the session unless it logged in meanwhile, or gen
// is the number of a timer that was replaced.
func (s *session) loginExpired(gen uint64) {
	if !s.kick(textLoginTimeLimit, func() bool { return !s.authed && s.loginGen == gen }) {
		return
	}
	s.baseLog.Info("login time limit exceeded", "limit", s.cfg.loginTimeout)
	s.event(EventLoginTimeout)
}

func (s *session) currentLoginGen() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loginGen
}

// markAuthed records a successful login for the other goroutines and
// stops the login timer. It fails when the session is already ending (the
// time limit ran out while the Authenticator worked).
func (s *session) markAuthed(user string) bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.authed = true
	s.user = user
	s.mu.Unlock()
	if s.loginTimer != nil {
		s.loginTimer.Stop()
	}
	return true
}

func (s *session) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// handshakeFailed reports a failed TLS handshake on the control
// connection, unless the session itself was being closed.
func (s *session) handshakeFailed(err error) {
	if s.ctx.Err() != nil {
		return
	}
	s.log.Warn("tls handshake failed", "err", shortError(err))
	s.event(EventTLSHandshakeFailed)
}

// maxLoggedError bounds error text in logs: a failed handshake's error can
// carry the whole list of cipher suites a scanner offered.
const maxLoggedError = 200

func shortError(err error) string {
	text := err.Error()
	if len(text) <= maxLoggedError {
		return text
	}
	cut := maxLoggedError
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// event tells Server.Events about ev. A panic there is logged and
// counted, never passed on.
func (s *session) event(ev Event) {
	f := s.cfg.events
	if f == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.srv.panics.Add(1)
			s.baseLog.Error("panic recovered", "in", "events", "event", ev.String(),
				"panic", r, "stack", string(debug.Stack()))
		}
	}()
	f(s.remote, ev)
}

// gateDone tells the Gate that an admitted connection ended.
func (s *session) gateDone() {
	g := s.cfg.gate
	if g == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.srv.panics.Add(1)
			s.baseLog.Error("panic recovered", "in", "gate", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	g.Done(s.remote)
}

// observe calls f with the Observer, if there is one, recovering a panic.
func (s *session) observe(f func(Observer)) {
	o := s.cfg.observer
	if o == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			s.srv.panics.Add(1)
			s.baseLog.Error("panic recovered", "in", "observer", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f(o)
}
