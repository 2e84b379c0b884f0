package ftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"time"
)

// tlsBinding is the TLS configuration of one control connection and of the
// data connections that belong to it.
//
// RFC 4217 leaves open how a server knows that a data connection comes from
// the client of a given control connection. Bulwark requires the data
// connection to resume the control connection's TLS session: every session
// ticket issued on this connection carries a random marker private to it
// (in SessionState.Extra, encrypted and authenticated with the ticket), and
// only tickets with that marker are accepted. A stranger who connects to a
// passive port first cannot resume, and so gets no data; a ticket from
// another control connection, even of the same user, does not resume either.
type tlsBinding struct {
	cfg    *tls.Config
	marker []byte
}

// tlsMarkerPrefix names the Extra entry, so that other layers sharing Extra
// can tell it apart (crypto/tls asks for recognisable entries).
const tlsMarkerPrefix = "bulwark-ctl-v1:"

// newTLSBinding clones base for one control connection. When resumption is
// required, session tickets are switched on for the clone even if base
// disabled them, since the policy cannot work without them.
func newTLSBinding(base *tls.Config, requireResume bool) *tlsBinding {
	id := make([]byte, 16)
	rand.Read(id) // crypto/rand.Read never fails
	b := &tlsBinding{marker: append([]byte(tlsMarkerPrefix), id...)}
	cfg := base.Clone()
	if requireResume {
		cfg.SessionTicketsDisabled = false
	}
	cfg.WrapSession = b.wrap
	cfg.UnwrapSession = b.unwrap
	// Data connections carry bulk data: full 16 KiB records from the first
	// byte save encryption and system-call overhead. The control
	// connection only ever writes short replies, which this leaves alone.
	cfg.DynamicRecordSizingDisabled = true
	if orig := base.GetConfigForClient; orig != nil {
		// The config a callback returns replaces ours for that handshake, so
		// it must carry the same binding.
		cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := orig(hello)
			if err != nil || c == nil {
				return c, err
			}
			c = c.Clone()
			if requireResume {
				c.SessionTicketsDisabled = false
			}
			c.WrapSession = b.wrap
			c.UnwrapSession = b.unwrap
			c.DynamicRecordSizingDisabled = true
			c.GetConfigForClient = nil
			return c, nil
		}
	}
	b.cfg = cfg
	return b
}

// wrap adds this connection's marker to a session and seals it with the
// clone's ticket keys.
func (b *tlsBinding) wrap(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
	ss.Extra = append(ss.Extra, b.marker)
	return b.cfg.EncryptTicket(cs, ss)
}

// unwrap accepts only tickets issued on this connection. Returning (nil,
// nil) makes crypto/tls ignore the ticket and run a full handshake, which
// the data-connection check then refuses.
func (b *tlsBinding) unwrap(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
	ss, err := b.cfg.DecryptTicket(identity, cs)
	if err != nil || ss == nil {
		return nil, nil
	}
	for _, e := range ss.Extra {
		if bytes.Equal(e, b.marker) {
			return ss, nil
		}
	}
	return nil, nil
}

// startTLS runs the server side of a TLS handshake on the raw connection
// and switches the session to it. Before login the handshake must end
// within the login time limit; after it, within LoginTimeout.
func (s *session) startTLS() error {
	dl := s.loginDeadline
	if s.loggedIn {
		dl = time.Now().Add(s.cfg.loginTimeout)
	}
	tc := tls.Server(s.raw, s.bind.cfg)
	s.raw.SetDeadline(dl)
	ctx, cancel := context.WithDeadline(s.ctx, dl)
	defer cancel()
	s.wmu.Lock()
	s.handshaking = true
	s.wmu.Unlock()
	err := tc.HandshakeContext(ctx)
	s.wmu.Lock()
	s.handshaking = false
	if err == nil {
		s.conn = tc
		s.tlsConn = tc
	}
	s.wmu.Unlock()
	if err != nil {
		return err
	}
	s.raw.SetDeadline(time.Time{})
	st := tc.ConnectionState()
	s.mu.Lock()
	s.tlsOn = true
	s.tlsVersion, s.tlsCipher = tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite)
	s.mu.Unlock()
	s.setReader(tc)
	s.observe(func(o Observer) { o.TLSEstablished(s.remote, st) })
	s.log.Info("tls established", "tls_version", tls.VersionName(st.Version),
		"cipher", tls.CipherSuiteName(st.CipherSuite))
	return nil
}

// tlsState returns the control connection's TLS state, nil in clear text.
func (s *session) tlsState() *tls.ConnectionState {
	if s.tlsConn == nil {
		return nil
	}
	st := s.tlsConn.ConnectionState()
	return &st
}

// tlsLogAttrs describes the control connection's protection for logs.
func (s *session) tlsLogAttrs() []any {
	st := s.tlsState()
	if st == nil {
		return []any{"tls", false}
	}
	return []any{"tls", true, "tls_version", tls.VersionName(st.Version),
		"cipher", tls.CipherSuiteName(st.CipherSuite)}
}
