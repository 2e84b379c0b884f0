package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// dataSetup is what PASV, EPSV, PORT or EPRT prepared for the next data
// connection: a passive listener or an active target. The next transfer
// takes it; a new one replaces it.
type dataSetup struct {
	ln     *net.TCPListener // passive
	active netip.AddrPort   // active
}

func (d *dataSetup) close() {
	if d != nil && d.ln != nil {
		d.ln.Close()
	}
}

// closeData releases a prepared data connection that was not used.
func (s *session) closeData() {
	s.data.close()
	s.data = nil
}

// takeData hands the prepared data connection to a transfer.
func (s *session) takeData() *dataSetup {
	d := s.data
	s.data = nil
	return d
}

// errNoPassivePort is returned when every port of the range is in use.
var errNoPassivePort = errors.New("no free passive port")

// listenPassive opens a listener on the control connection's local address
// and a port of the configured range: a few random ports first (ports in
// sequence are easy to guess, RFC 2577 §8), then every port in turn.
func (s *session) listenPassive() (*net.TCPListener, error) {
	ip := s.local.Addr()
	listen := func(port int) (*net.TCPListener, error) {
		return net.ListenTCP("tcp", &net.TCPAddr{IP: ip.AsSlice(), Port: port, Zone: ip.Zone()})
	}
	lo, hi := s.cfg.portMin, s.cfg.portMax
	if lo == 0 && hi == 0 {
		return listen(0)
	}
	if lo == 0 {
		lo = 1024
	}
	n := hi - lo + 1
	if n <= 0 {
		return nil, errNoPassivePort
	}
	for range min(n, 8) {
		if ln, err := listen(lo + rand.IntN(n)); err == nil {
			return ln, nil
		}
	}
	start := rand.IntN(n)
	for i := range n {
		if ln, err := listen(lo + (start+i)%n); err == nil {
			return ln, nil
		}
	}
	return nil, errNoPassivePort
}

// preparePassive replaces any prepared data connection with a new passive
// listener, or answers 425 and returns false.
func (s *session) preparePassive() (*net.TCPListener, bool) {
	s.closeData()
	ln, err := s.listenPassive()
	if err != nil {
		s.log.Error("passive listen failed", "err", err)
		s.reply(codeCantOpenData, "Can't open data connection: no free passive port")
		return nil, false
	}
	s.data = &dataSetup{ln: ln}
	return ln, true
}

// handlePASV opens a passive listener and announces it (RFC 959 §4.1.2).
// PASV can only describe IPv4; IPv6 clients use EPSV (RFC 2428 §3).
func (s *session) handlePASV(string) {
	if s.epsvAll {
		s.reply(codeBadSequence, "Only EPSV is allowed after EPSV ALL")
		return
	}
	if !s.local.Addr().Is4() {
		s.reply(codeNotImplemented, "PASV is IPv4 only; use EPSV")
		return
	}
	announce := s.cfg.passiveAddr
	if !announce.Is4() {
		announce = s.local.Addr()
	}
	ln, ok := s.preparePassive()
	if !ok {
		return
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	s.reply(codePassive, "Entering Passive Mode ("+FormatPASV(netip.AddrPortFrom(announce, port))+")")
}

// handleEPSV opens a passive listener and announces its port (RFC 2428 §3).
// "EPSV ALL" makes it the only data-connection command from now on.
func (s *session) handleEPSV(arg string) {
	proto, all, err := ParseEPSVArg(arg)
	switch {
	case errors.Is(err, ErrNetworkProtocol):
		s.reply(codeNetProtoNotSupp, "Network protocol not supported, use ("+s.netProto()+")")
		return
	case err != nil:
		s.reply(codeArgError, "Invalid EPSV argument")
		return
	case all:
		s.epsvAll = true
		s.reply(codeOK, "EPSV ALL accepted: only EPSV from now on")
		return
	case proto != 0 && strconv.Itoa(proto) != s.netProto():
		s.reply(codeNetProtoNotSupp, "Network protocol not supported, use ("+s.netProto()+")")
		return
	}
	ln, ok := s.preparePassive()
	if !ok {
		return
	}
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	s.reply(codeExtendedPassive, "Entering Extended Passive Mode "+FormatEPSV(port))
}

// netProto is the RFC 2428 protocol number of the control connection.
func (s *session) netProto() string {
	if s.local.Addr().Is4() {
		return "1"
	}
	return "2"
}

// handlePORT prepares an active connection (RFC 959 §4.1.2).
func (s *session) handlePORT(arg string) {
	ap, err := ParsePORT(arg)
	if err != nil {
		if s.activeRefused() {
			return
		}
		s.reply(codeArgError, "Invalid PORT argument")
		return
	}
	s.prepareActive(ap, "PORT")
}

// handleEPRT prepares an active connection (RFC 2428 §2).
func (s *session) handleEPRT(arg string) {
	ap, err := ParseEPRT(arg)
	if err != nil {
		if s.activeRefused() {
			return
		}
		if errors.Is(err, ErrNetworkProtocol) {
			s.reply(codeNetProtoNotSupp, "Network protocol not supported, use (1,2)")
			return
		}
		s.reply(codeArgError, "Invalid EPRT argument")
		return
	}
	s.prepareActive(ap, "EPRT")
}

// activeRefused answers and returns true when active mode is not allowed
// at all in this session.
func (s *session) activeRefused() bool {
	switch {
	case s.epsvAll:
		s.reply(codeBadSequence, "Only EPSV is allowed after EPSV ALL")
	case s.cfg.disableActive:
		s.reply(codeNotImplemented, "Active mode is disabled; use PASV or EPSV")
	default:
		return false
	}
	return true
}

// prepareActive checks an active target. Connecting anywhere but back to
// the client, or to a privileged port, would let the server be used to
// attack third parties (the FTP bounce attack, RFC 2577 §3), so such a
// target is refused with 504.
func (s *session) prepareActive(ap netip.AddrPort, verb string) {
	if s.activeRefused() {
		return
	}
	target := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if target.Addr() != s.remote.Addr() || target.Port() < 1024 {
		s.log.Warn("active connection target refused", "target", target.String())
		s.reply(codeParamNotImpl, "Active mode only to your own address, port 1024 or above")
		return
	}
	s.closeData()
	s.data = &dataSetup{active: target}
	s.reply(codeOK, verb+" command successful")
}

// dataError is a failure to establish a data connection, with the reply
// that explains it.
type dataError struct {
	code int
	text string
	err  error
}

func (e *dataError) Error() string { return e.text + ": " + e.err.Error() }
func (e *dataError) Unwrap() error { return e.err }

// openData establishes the data connection prepared in d, with TLS when
// PROT P is in force. It gives up when ctx ends (ABOR) or after
// DataTimeout.
func (s *session) openData(ctx context.Context, d *dataSetup, protP bool) (net.Conn, error) {
	var (
		c   net.Conn
		err error
	)
	if d.ln != nil {
		c, err = s.acceptPassive(ctx, d.ln)
	} else {
		dialer := net.Dialer{
			Timeout:   s.cfg.dataTimeout,
			LocalAddr: &net.TCPAddr{IP: s.local.Addr().AsSlice(), Zone: s.local.Addr().Zone()},
		}
		c, err = dialer.DialContext(ctx, "tcp", d.active.String())
	}
	if err != nil {
		return nil, &dataError{codeCantOpenData, "Can't open data connection", err}
	}
	if !protP {
		return c, nil
	}
	bc := &batchConn{Conn: c, pool: &s.srv.batches}
	tc := tls.Server(bc, s.bind.cfg)
	hctx, cancel := context.WithTimeout(ctx, s.cfg.dataTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.Close()
		if ctx.Err() == nil {
			// Not ended by ABOR or by the session closing.
			s.event(EventTLSHandshakeFailed)
		}
		return nil, &dataError{codeTLSFailed, "TLS negotiation on the data connection failed", err}
	}
	if !tc.ConnectionState().DidResume && !s.cfg.allowUnresumedData {
		tc.Close()
		s.log.Warn("data connection refused: TLS session not resumed")
		return nil, &dataError{codeTLSFailed,
			"Data connection must resume the TLS session of the control connection",
			errors.New("tls session not resumed")}
	}
	return &tlsData{Conn: tc, b: bc}, nil
}

// acceptPassive waits for the client's data connection. Connections from
// any other address are closed and waiting goes on: otherwise whoever
// connects first to an announced port would get the data (RFC 2577 §8,
// port stealing).
func (s *session) acceptPassive(ctx context.Context, ln *net.TCPListener) (net.Conn, error) {
	defer ln.Close()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	ln.SetDeadline(time.Now().Add(s.cfg.dataTimeout))
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		from := addrPortOf(c.RemoteAddr())
		if from.Addr() != s.remote.Addr() {
			s.log.Warn("passive connection from foreign address refused", "from", from.String())
			c.Close()
			continue
		}
		return c, nil
	}
}
