package ftp_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// listOver sends LIST and runs the data handshake with cfg. It returns the
// listing (possibly empty) and the final reply code.
func listOver(t *testing.T, c *ftptest.Client, cfg *tls.Config) (string, int) {
	t.Helper()
	dc := c.OpenPassiveData()
	c.Expect("LIST", 150)
	var out string
	if tc, err := c.DataTLSWith(dc, cfg); err == nil {
		tc.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(tc)
		out = string(b)
	}
	code, _ := c.ReadReply()
	return out, code
}

func TestDataConnectionMustResumeSession(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			e := newEnv(t)
			e.writeFile(t, "f.txt", []byte("x"))
			cfg := e.cert.ClientConfig()
			cfg.MaxVersion = v
			c := e.secureClientWith(t, cfg)

			// A fresh handshake, without the control connection's ticket.
			fresh := e.cert.ClientConfig()
			fresh.MaxVersion = v
			if out, code := listOver(t, c, fresh); code != 522 || out != "" {
				t.Fatalf("unresumed data connection: reply %d, data %q", code, out)
			}
			e.logs.waitFor(t, "data connection refused: TLS session not resumed")

			// The same client, resuming: accepted.
			if out, code := listOver(t, c, cfg); code != 226 || !strings.Contains(out, "f.txt") {
				t.Fatalf("resumed data connection: reply %d, data %q", code, out)
			}
		})
	}
}

func TestTicketOfAnotherControlConnectionRefused(t *testing.T) {
	e := newEnv(t)
	cfgA := e.cert.ClientConfig()
	a := e.secureClientWith(t, cfgA)
	if _, code := listOver(t, a, cfgA); code != 226 {
		t.Fatalf("own ticket: reply %d, want 226", code)
	}
	b := e.secureClient(t)
	// cfgA's cache holds a ticket of connection a: b must not accept it,
	// even though the user is the same.
	if _, code := listOver(t, b, cfgA); code != 522 {
		t.Fatalf("data connection with another connection's ticket: reply %d, want 522", code)
	}
}

func TestAllowUnresumedData(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.AllowUnresumedData = true })
	c := e.secureClient(t)
	if _, code := listOver(t, c, e.cert.ClientConfig()); code != 226 {
		t.Fatalf("reply %d, want 226", code)
	}
}

func TestDataTLSHandshakeFailure(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	dc := c.OpenPassiveData()
	c.Expect("LIST", 150)
	dc.Write([]byte("this is not a TLS client hello\r\n"))
	c.ExpectReply(522)
}

func TestPassiveConnectionFromForeignAddressRefused(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "secret.txt", []byte("for alice only"))
	c := e.secureClient(t)
	addr := c.PassiveAddr()

	// The intruder connects first, from another loopback address.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 10 * time.Second}
	intruder, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2 here: %v", err)
	}
	defer intruder.Close()

	c.Expect("RETR secret.txt", 150)
	e.logs.waitFor(t, "passive connection from foreign address refused")
	intruder.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := intruder.Read(make([]byte, 64)); n != 0 || err == nil {
		t.Fatalf("intruder read %d bytes, %v", n, err)
	}

	// The client can still connect and gets the file.
	dc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, tc)); got != "for alice only" {
		t.Fatalf("got %q", got)
	}
	c.ExpectReply(226)
}

func TestPassiveListenerReleased(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	first := c.PassiveAddr()
	c.PassiveAddr() // replaces the first listener
	if conn, err := net.DialTimeout("tcp", first, 2*time.Second); err == nil {
		conn.Close()
		t.Fatalf("replaced passive listener %s still accepts", first)
	}
	last := c.PassiveAddr()
	c.Expect("QUIT", 221)
	e.logs.waitFor(t, "connection closed")
	if conn, err := net.DialTimeout("tcp", last, 2*time.Second); err == nil {
		conn.Close()
		t.Fatalf("passive listener %s still accepts after QUIT", last)
	}
}

func TestImplicitTLSHandshakeTimeout(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.LoginTimeout = 300 * time.Millisecond })
	addr := ftptest.NewImplicitServer(t, e.srv)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Say nothing: the server must give up on the handshake.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("server kept a silent implicit connection: %v", err)
	}
	waitUntil(t, "session count 0", func() bool { return e.srv.ActiveSessions() == 0 })
}

func TestImplicitTLSDefaultsToProtP(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "f.txt", []byte("implicit"))
	addr := ftptest.NewImplicitServer(t, e.srv)
	c := ftptest.DialImplicit(t, addr, e.cert.ClientConfig())
	c.Login(testUser, testPass)
	dc := c.OpenPassiveData()
	c.Expect("RETR f.txt", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, tc)); got != "implicit" {
		t.Fatalf("got %q", got)
	}
	c.ExpectReply(226)
}

func TestServerNeedsTLSOrCleartext(t *testing.T) {
	srv := &ftp.Server{Auth: &ftptest.Auth{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(l); err == nil || !strings.Contains(err.Error(), "AllowCleartext") {
		t.Fatalf("Serve without TLS or cleartext: %v", err)
	}
	l, _ = net.Listen("tcp", "127.0.0.1:0")
	if err := srv.ServeImplicitTLS(l); err == nil {
		t.Fatal("ServeImplicitTLS without TLSConfig succeeded")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestIPv6DataConnections(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	e := newEnv(t)
	e.writeFile(t, "six.txt", []byte("over IPv6"))
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(l) }()
	t.Cleanup(func() { e.srv.Close(); <-done })

	c := ftptest.Dial(t, l.Addr().String())
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Login(testUser, testPass)
	c.Expect("PROT P", 200)
	c.Expect("PASV", 502)
	c.Expect("EPSV 1", 522)
	c.Expect("EPSV 2", 229)
	c.Expect("PORT 127,0,0,1,19,137", 504)

	dc := c.OpenPassiveData()
	c.Expect("RETR six.txt", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, tc)); got != "over IPv6" {
		t.Fatalf("got %q", got)
	}
	c.ExpectReply(226)

	al, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	c.Expect(fmt.Sprintf("EPRT |2|::1|%d|", al.Addr().(*net.TCPAddr).Port), 200)
	c.Expect("RETR six.txt", 150)
	conn, err := al.Accept()
	if err != nil {
		t.Fatal(err)
	}
	tc, err = c.DataTLS(conn)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, tc)); got != "over IPv6" {
		t.Fatalf("got %q", got)
	}
	c.ExpectReply(226)
}
