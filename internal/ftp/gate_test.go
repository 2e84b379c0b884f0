package ftp_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// testGate admits or refuses every connection and counts its calls.
type testGate struct {
	admit bool
	reply string

	mu     sync.Mutex
	admits map[netip.AddrPort]int
	dones  map[netip.AddrPort]int
}

func newTestGate(admit bool, reply string) *testGate {
	return &testGate{admit: admit, reply: reply,
		admits: make(map[netip.AddrPort]int), dones: make(map[netip.AddrPort]int)}
}

func (g *testGate) Admit(remote netip.AddrPort) (bool, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.admits[remote]++
	return g.admit, g.reply
}

func (g *testGate) Done(remote netip.AddrPort) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dones[remote]++
}

// counts returns the number of Admit and Done calls.
func (g *testGate) counts() (admits, dones int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range g.admits {
		admits += n
	}
	for _, n := range g.dones {
		dones += n
	}
	return admits, dones
}

// readToEnd reads conn until the server closes it, failing on any error
// but EOF, including a reset or a timeout.
func readToEnd(t *testing.T, conn net.Conn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading until the server closes: %v (got %q)", err, b)
	}
	return string(b)
}

func TestGateRefuses(t *testing.T) {
	tests := []struct {
		name, reply, want string
	}{
		{"silent", "", ""},
		{"reply", "421 Too many connections", "421 Too many connections\r\n"},
		{"reply kept on one line", "421 a\r\n230 b", "421 a  230 b\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGate(false, tt.reply)
			events := &ftptest.Events{}
			e := newEnv(t, func(s *ftp.Server, _ *env) { s.Gate = g; s.Events = events.Record })
			implicit := ftptest.NewImplicitServer(t, e.srv)

			for _, addr := range []string{e.addr, implicit} {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				if got := readToEnd(t, conn); got != tt.want {
					t.Errorf("%s: refused connection got %q, want %q", addr, got, tt.want)
				}
				conn.Close()
			}

			// A TLS client on the implicit port gets no handshake at all:
			// it fails at once on the reply line or the close, rather than
			// completing or waiting for its deadline.
			d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: e.cert.ClientConfig()}
			start := time.Now()
			conn, err := d.Dial("tcp", implicit)
			if err == nil {
				conn.Close()
				t.Fatal("TLS handshake succeeded on a refused connection")
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("handshake waited for its deadline: %v", err)
			}
			t.Logf("client handshake failed after %v: %v", time.Since(start).Round(time.Millisecond), err)

			if admits, dones := g.counts(); admits != 3 || dones != 0 {
				t.Errorf("Admit called %d times, Done %d; want 3 and 0", admits, dones)
			}
			if n := events.Count(ftp.EventTLSHandshakeFailed); n != 0 {
				t.Errorf("%d handshake failures reported for refused connections", n)
			}
			if n := e.srv.ActiveSessions(); n != 0 {
				t.Errorf("%d sessions started for refused connections", n)
			}
		})
	}
}

// panicGate panics in Admit.
type panicGate struct{}

func (panicGate) Admit(netip.AddrPort) (bool, string) { panic("gate broke") }
func (panicGate) Done(netip.AddrPort)                 {}

func TestGatePanicRefusesAndServerGoesOn(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.Gate = panicGate{} })
	for range 2 {
		conn, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := readToEnd(t, conn); got != "" {
			t.Errorf("got %q", got)
		}
		conn.Close()
	}
	if n := e.srv.Panics(); n != 2 {
		t.Errorf("Panics() = %d, want 2", n)
	}
}

func TestGateDoneOncePerAdmittedConnection(t *testing.T) {
	g := newTestGate(true, "")
	e := newEnv(t, func(s *ftp.Server, _ *env) {
		s.Gate = g
		s.MaxLoginFailures = 1
	})
	implicit := ftptest.NewImplicitServer(t, e.srv)

	quits := ftptest.Dial(t, e.addr)
	quits.Expect("QUIT", 221)

	drops := ftptest.Dial(t, e.addr)
	drops.Close()

	tlsQuits := ftptest.DialImplicit(t, implicit, e.cert.ClientConfig())
	tlsQuits.Expect("QUIT", 221)

	fails := ftptest.Dial(t, e.addr)
	fails.UpgradeTLS(e.cert.ClientConfig())
	fails.Expect("USER "+testUser, 331)
	fails.Expect("PASS wrong", 530)
	fails.ExpectReply(421)

	kicked := e.secureClient(t)
	// The earlier connections may still be winding down on the server's
	// side; only the kicked one must be left when CloseSessions runs.
	waitUntil(t, "earlier sessions to end", func() bool { return e.srv.ActiveSessions() == 1 })
	if n := e.srv.CloseSessions(func(netip.AddrPort, string) bool { return true }, "Bye"); n != 1 {
		t.Errorf("CloseSessions closed %d sessions, want 1", n)
	}
	if code, _, err := kicked.ReadReplyErr(); code != 421 {
		t.Fatalf("%v\n%s", err, e.logs.String())
	}

	const want = 5
	waitUntil(t, "every session ended", func() bool {
		_, dones := g.counts()
		return dones >= want && e.srv.ActiveSessions() == 0
	})
	e.srv.Close()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.admits) != want || len(g.dones) != want {
		t.Fatalf("admitted %d remotes, %d ended; want %d", len(g.admits), len(g.dones), want)
	}
	for remote, n := range g.dones {
		if n != 1 || g.admits[remote] != 1 {
			t.Errorf("%s: admitted %d times, Done %d times", remote, g.admits[remote], n)
		}
	}
}
