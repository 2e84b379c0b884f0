package ftp_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// greeting dials addr and returns the text of the 220 reply, lines joined
// by "\n", with the connection left open as a client.
func greeting(t *testing.T, addr string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	var lines []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the greeting: %v", err)
		}
		l = strings.TrimSuffix(l, "\r\n")
		if len(l) < 4 || !strings.HasPrefix(l, "220") {
			t.Fatalf("greeting line %q", l)
		}
		lines = append(lines, l[4:])
		if l[3] == ' ' {
			return strings.Join(lines, "\n")
		}
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func epsvPort(t *testing.T, c *ftptest.Client) int {
	t.Helper()
	_, port, err := net.SplitHostPort(c.PassiveAddr())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(port)
	return n
}

func TestReconfigureAppliesToNewSessionsOnly(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.Banner = "Old banner" })
	big := make([]byte, 16<<20)
	rand.Read(big)
	e.writeFile(t, "big.bin", big)

	// Before: a download under way, and a connection not yet secured.
	oldTLS := e.cert.ClientConfig()
	old := e.secureClientWith(t, oldTLS)
	dc := old.OpenPassiveData()
	old.Expect("RETR big.bin", 150)
	tc, err := old.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 64<<10)
	if _, err := io.ReadFull(tc, got); err != nil {
		t.Fatal(err)
	}
	waiting := ftptest.Dial(t, e.addr)

	cert2 := ftptest.NewCert(t)
	port := freePort(t)
	next := &ftp.Server{
		Auth:           e.srv.Auth,
		TLSConfig:      cert2.ServerConfig(),
		AllowCleartext: true,
		PassivePortMin: port,
		PassivePortMax: port,
		PassiveAddress: netip.MustParseAddr("192.0.2.10"),
		DataTimeout:    10 * time.Second,
		Banner:         "New banner\nsecond line",
		Logger:         e.srv.Logger,
	}
	if err := e.srv.Reconfigure(next); err != nil {
		t.Fatal(err)
	}
	// next belongs to the caller again: changing it changes nothing.
	next.Banner = "changed afterwards"

	// New connections see the new settings.
	if g := greeting(t, e.addr); g != "New banner\nsecond line" {
		t.Errorf("greeting after Reconfigure = %q", g)
	}
	fresh := ftptest.Dial(t, e.addr)
	fresh.Login(testUser, testPass) // clear text is allowed now
	if text := fresh.Expect("PASV", 227); !strings.Contains(text, "192,0,2,10,") {
		t.Errorf("PASV announces %q, want the new public address", text)
	}
	if p := epsvPort(t, fresh); p != port {
		t.Errorf("EPSV port %d, want the new range %d-%d", p, port, port)
	}
	secure := ftptest.Dial(t, e.addr)
	secure.UpgradeTLS(cert2.ClientConfig()) // only the new certificate is trusted
	secure.Login(testUser, testPass)

	// The connection that was waiting keeps the policy it started with.
	if code, _ := waiting.Send("USER " + testUser); code != 530 {
		t.Errorf("clear-text USER on a connection from before: %d, want 530", code)
	}

	// The running download finishes intact, and its session carries on
	// with its own TLS settings (the data connection resumes its session).
	rest, err := io.ReadAll(tc)
	if err != nil {
		t.Fatalf("download after Reconfigure: %v", err)
	}
	old.ExpectReply(226)
	if !bytes.Equal(append(got, rest...), big) {
		t.Fatalf("download corrupted: %d bytes, want %d", len(got)+len(rest), len(big))
	}
	if out, code := listOver(t, old, oldTLS); code != 226 || !strings.Contains(out, "big.bin") {
		t.Errorf("LIST on the old session: %d %q", code, out)
	}
}

func TestReconfigureRefusesUnusableSettings(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.Banner = "Kept" })
	// Once a client got in, the implicit listener is surely served.
	ftptest.DialImplicit(t, ftptest.NewImplicitServer(t, e.srv), e.cert.ClientConfig()).Close()

	for name, next := range map[string]*ftp.Server{
		"no authenticator":       {TLSConfig: e.cert.ServerConfig(), Banner: "x"},
		"no TLS, no clear text":  {Auth: e.srv.Auth, Banner: "x"},
		"no TLS under implicit":  {Auth: e.srv.Auth, AllowCleartext: true, Banner: "x"},
		"bad passive port range": {Auth: e.srv.Auth, TLSConfig: e.cert.ServerConfig(), PassivePortMin: 2000, PassivePortMax: 1000},
	} {
		if err := e.srv.Reconfigure(next); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := e.srv.Reconfigure(nil); err == nil {
		t.Error("nil settings accepted")
	}
	if g := greeting(t, e.addr); g != "Kept" {
		t.Errorf("greeting after refused changes = %q", g)
	}
}

func TestCloseListenerKeepsSessions(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "f.txt", []byte("hello"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(l) }()
	addr := l.Addr().String()

	cfg := e.cert.ClientConfig()
	c := ftptest.Dial(t, addr)
	c.UpgradeTLS(cfg)
	c.Login(testUser, testPass)
	c.Expect("PBSZ 0", 200)
	c.Expect("PROT P", 200)

	if !e.srv.CloseListener(l) {
		t.Fatal("CloseListener: listener not found")
	}
	select {
	case err := <-done:
		if !errors.Is(err, ftp.ErrListenerClosed) {
			t.Fatalf("Serve returned %v, want ErrListenerClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running after CloseListener")
	}
	if e.srv.CloseListener(l) {
		t.Error("second CloseListener found the listener again")
	}
	if conn, err := net.DialTimeout("tcp", addr, 10*time.Second); err == nil {
		conn.Close()
		t.Error("closed listener still accepts")
	}

	// The session that came in through it goes on, data connections too.
	if out, code := listOver(t, c, cfg); code != 226 || !strings.Contains(out, "f.txt") {
		t.Errorf("LIST after CloseListener: %d %q", code, out)
	}
	c.Expect("NOOP", 200)
	// The server's other listener still serves.
	e.secureClient(t).Expect("NOOP", 200)
}
