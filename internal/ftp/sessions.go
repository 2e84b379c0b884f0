package ftp

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// SessionInfo describes one open control connection.
type SessionInfo struct {
	ID     string
	Remote netip.AddrPort
	// User is the canonical user name, empty before login.
	User string
	// TLS says whether the control connection is protected.
	TLS bool
	// Started is when the connection was accepted, by Server.Now.
	Started time.Time
	// Transferring says a data transfer is running; the Transfer fields
	// describe it.
	Transferring bool
	// TLSVersion and TLSCipher name what the control connection
	// negotiated ("TLS 1.3", "TLS_AES_128_GCM_SHA256"); empty in clear
	// text.
	TLSVersion, TLSCipher string
	// Transfer* describe the running transfer: its command, virtual path,
	// start (by the system clock) and bytes moved so far.
	TransferVerb    string
	TransferPath    string
	TransferStarted time.Time
	TransferBytes   int64
}

// Sessions lists the open control connections, oldest first.
func (srv *Server) Sessions() []SessionInfo {
	list := srv.sessionList()
	out := make([]SessionInfo, 0, len(list))
	for _, s := range list {
		s.mu.Lock()
		info := SessionInfo{ID: s.id, Remote: s.remote, User: s.user, TLS: s.tlsOn, Started: s.opened,
			TLSVersion: s.tlsVersion, TLSCipher: s.tlsCipher}
		if x := s.xfer; x != nil {
			info.Transferring = true
			info.TransferVerb, info.TransferPath = x.verb, x.path
			info.TransferStarted, info.TransferBytes = x.started, x.bytes.Load()
		}
		ended := s.ended
		s.mu.Unlock()
		if !ended {
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b SessionInfo) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// CloseSessions closes every open session for which match returns true:
// the client gets "421 reason" as its last reply, a running transfer is
// aborted, and the connection is closed. user is empty before login.
// match is called without any lock held. It returns how many sessions it
// closed, once each has been closed.
func (srv *Server) CloseSessions(match func(remote netip.AddrPort, user string) bool, reason string) int {
	return srv.closeMatching(func(s *session, user string) bool { return match(s.remote, user) }, reason)
}

// CloseSession closes the session with the given ID like CloseSessions.
func (srv *Server) CloseSession(id, reason string) bool {
	return srv.closeMatching(func(s *session, _ string) bool { return s.id == id }, reason) > 0
}

func (srv *Server) closeMatching(match func(s *session, user string) bool, reason string) int {
	text := oneLine(reason, "Service not available, closing control connection")
	var (
		n  atomic.Int64
		wg sync.WaitGroup
	)
	for _, s := range srv.sessionList() {
		s.mu.Lock()
		user, ended := s.user, s.ended
		s.mu.Unlock()
		if ended || !match(s, user) {
			continue
		}
		// Each in its own goroutine: a client that does not read its
		// reply holds up only its own close.
		wg.Go(func() {
			// The login may have changed since match saw it.
			if s.kick(text, func() bool { return s.user == user }) {
				n.Add(1)
				s.baseLog.Info("session closed by the server", "user", user, "reason", text)
			}
		})
	}
	wg.Wait()
	return int(n.Load())
}

// sessionList returns the tracked sessions.
func (srv *Server) sessionList() []*session {
	srv.init()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	list := make([]*session, 0, len(srv.sessions))
	for s := range srv.sessions {
		list = append(list, s)
	}
	return list
}
