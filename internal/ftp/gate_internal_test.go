package ftp

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// fakeConn is a connection that goes nowhere, to measure and check the
// refusal path without the network.
type fakeConn struct {
	remote  *net.TCPAddr
	written []byte
	closed  int
}

func newFakeConn(addr string) *fakeConn {
	return &fakeConn{remote: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(addr))}
}

func (c *fakeConn) Read([]byte) (int, error) { return 0, net.ErrClosed }

func (c *fakeConn) Write(p []byte) (int, error) {
	c.written = append(c.written, p...)
	return len(p), nil
}

func (c *fakeConn) Close() error                     { c.closed++; return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 21} }
func (c *fakeConn) RemoteAddr() net.Addr             { return c.remote }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
func (c *fakeConn) reset()                           { c.written = c.written[:0]; c.closed = 0 }

// refusingServer is an initialised Server that only needs to admit.
func refusingServer(g Gate) *Server {
	srv := &Server{Gate: g, AllowCleartext: true}
	srv.init()
	return srv
}

// gateFunc is a Gate made of its Admit function.
type gateFunc func(netip.AddrPort) (bool, string)

func (g gateFunc) Admit(r netip.AddrPort) (bool, string) { return g(r) }
func (gateFunc) Done(netip.AddrPort)                     {}

func TestAdmit(t *testing.T) {
	var seen netip.AddrPort
	tests := []struct {
		name      string
		ok        bool
		reply     string
		panics    bool
		wantWrite string
		wantClose int
	}{
		{name: "admitted", ok: true},
		{name: "refused silently", wantClose: 1},
		{name: "refused with a reply", reply: "421 Go away", wantWrite: "421 Go away\r\n", wantClose: 1},
		{name: "reply on one line", reply: "421 a\r\n230 b\x00", wantWrite: "421 a  230 b \r\n", wantClose: 1},
		{name: "panicking gate refuses", panics: true, wantClose: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := refusingServer(gateFunc(func(r netip.AddrPort) (bool, string) {
				seen = r
				if tt.panics {
					panic("broken gate")
				}
				return tt.ok, tt.reply
			}))
			c := newFakeConn("[::ffff:192.0.2.7]:4242")
			if got := srv.admit(srv.settings(), c); got != tt.ok {
				t.Errorf("admit = %v", got)
			}
			if string(c.written) != tt.wantWrite || c.closed != tt.wantClose {
				t.Errorf("wrote %q, closed %d times; want %q, %d", c.written, c.closed, tt.wantWrite, tt.wantClose)
			}
			if want := netip.MustParseAddrPort("192.0.2.7:4242"); seen != want {
				t.Errorf("Gate saw %s, want %s (unmapped)", seen, want)
			}
		})
	}
}

func TestRefuseLineLength(t *testing.T) {
	srv := refusingServer(nil)
	long := make([]byte, 2*maxRefuseReply)
	for i := range long {
		long[i] = 'x'
	}
	if got := srv.refuseLineFor(string(long)); len(got) != maxRefuseReply+2 {
		t.Errorf("line of %d bytes", len(got))
	}
	// The cache must follow a change of words.
	srv.refuseLineFor("421 one")
	if got := string(srv.refuseLineFor("421 two")); got != "421 two\r\n" {
		t.Errorf("got %q", got)
	}
}

// BenchmarkRefuse measures the server's whole cost for a refused
// connection, the network aside: Admit, the reply line and the close, as
// the accept loop runs them.
func BenchmarkRefuse(b *testing.B) {
	for _, bc := range []struct{ name, reply string }{
		{"silent", ""},
		{"reply", "421 Service not available"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := refusingServer(gateFunc(func(netip.AddrPort) (bool, string) { return false, bc.reply }))
			c := newFakeConn("192.0.2.7:4242")
			b.ReportAllocs()
			for b.Loop() {
				c.reset()
				if srv.admit(srv.settings(), c) {
					b.Fatal("admitted")
				}
			}
		})
	}
}
