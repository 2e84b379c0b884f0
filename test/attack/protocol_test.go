package attack

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

var attacker = netip.MustParseAddr("127.0.0.2")

// Malformed command lines get their reply, or a clean close where the
// line cannot be read at all; nothing of them reaches the file system,
// and a legitimate session at another address is served throughout.
func TestMalformedCommandLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home := e.addUser(alice, alicePass)
	e.start()
	legit := e.rawLogin(t, alice, alicePass)

	long := "NOOP " + strings.Repeat("a", e.Config.Server.MaxLineLength+100) + "\r\n"
	closing := []struct {
		name  string
		login bool
		send  []byte
	}{
		{"overlong line before login", false, []byte(long)},
		{"overlong line after login", true, []byte(long)},
		{"endless Telnet NOPs", false, bytes.Repeat([]byte{0xff, 0xf1}, 3*e.Config.Server.MaxLineLength)},
		{"endless subnegotiation", false, append([]byte{0xff, 0xfa}, bytes.Repeat([]byte("x"), 3*e.Config.Server.MaxLineLength)...)},
	}
	for _, tc := range closing {
		c := ftptest.DialFrom(t, e.Explicit(), attacker)
		if tc.login {
			c.UpgradeTLS(servertest.ClientTLS())
			c.Login(alice, alicePass)
		}
		// The server may close before reading everything: write apart.
		go func() {
			c.Conn().SetWriteDeadline(time.Now().Add(10 * time.Second))
			c.Conn().Write(tc.send)
		}()
		code, text, err := c.ReadReplyErr()
		if err != nil || code != 500 {
			t.Errorf("%s: %d %q %v, want 500", tc.name, code, text, err)
		}
		c.ExpectClosed()
		legit.stillServes()
	}

	c := ftptest.DialFrom(t, e.Explicit(), attacker)
	c.UpgradeTLS(servertest.ClientTLS())
	c.Login(alice, alicePass)
	a := &raw{Client: c, e: e, t: t}
	replies := []struct {
		name string
		line string
		want int
	}{
		{"NUL inside the verb", "NO\x00OP", 200},
		{"only NULs", "\x00\x00\x00", 500},
		{"NUL hiding a climb", "MKD ..\x00/..\x00/nul-dir", 257},
		{"CR NUL in a name", "MKD cr\r\x00dir", 257},
		{"Telnet interrupt and sync", "\xff\xf4\xff\xf2NOOP", 200},
		{"Telnet option inside the verb", "NO\xff\xfb\x01OP", 200},
		{"Telnet subnegotiation", "\xff\xfa\x18\x01\xff\xf0NOOP", 200},
		{"escaped IAC in a name", "MKD x\xff\xffy", 501},
		{"invalid UTF-8", "MKD \xc3\x28", 501},
		{"overlong UTF-8 dots", "MKD \xc0\xae\xc0\xae/\xc0\xae\xc0\xae/etc", 501},
		{"UTF-16 surrogate", "CWD \xed\xa0\x80", 501},
		{"Latin-1 name", "STOR caf\xe9", 501},
		{"bare LF", "NOOP\n", 200},
		{"verb too long", "NOOPNOOPNOOP", 500},
		{"verb with digits", "N00P", 500},
		{"empty line", "", 500},
		{"HTTP request line", "GET / HTTP/1.1", 500},
		{"HTTP header", "Host: localhost", 500},
	}
	for _, tc := range replies {
		line := tc.line
		if !strings.HasSuffix(line, "\n") {
			line += "\r\n"
		}
		a.WriteRaw([]byte(line))
		code, text := a.ReadReply()
		e.noHostPath(tc.name, text)
		if code != tc.want {
			t.Errorf("%s: %d %q, want %d", tc.name, code, text, tc.want)
		}
	}
	a.stillServes()
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	// The NULs were Telnet padding and were dropped before the path was
	// resolved: the climb stayed at the top of the home.
	if want := []string{"cr\rdir", "nul-dir"}; strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("home holds %q, want %q", names, want)
	}
	legit.stillServes()
	e.noPanics()
}

// TLS confusion: commands pipelined behind AUTH TLS, clear text on the
// implicit port and a ClientHello on the explicit port before AUTH. Each
// gets its reply or a clean close, and the server serves others.
func TestTLSConfusion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser(alice, alicePass)
	e.start()
	legit := e.rawLogin(t, alice, alicePass)

	// A command behind AUTH TLS in the same packet would be read as if it
	// had come through TLS.
	c := ftptest.DialFrom(t, e.Explicit(), attacker)
	c.WriteRaw([]byte("AUTH TLS\r\nUSER alice\r\n"))
	if code, text := c.ReadReply(); code != 503 {
		t.Errorf("pipelined AUTH TLS: %d %q, want 503", code, text)
	}
	c.ExpectClosed()
	legit.stillServes()

	// Clear text on the implicit port: the handshake fails, nothing in
	// FTP is said.
	conn, err := dialFrom(e.Implicit(), attacker.String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("USER alice\r\nPASS guess\r\n"))
	got, closed := readAllUntilClosed(conn, 15*time.Second)
	conn.Close()
	if !closed || strings.Contains(got, "220") || strings.Contains(got, "331") {
		t.Errorf("clear text on the implicit port: closed=%v, got %q", closed, got)
	}
	legit.stillServes()

	// A TLS client on the explicit port fails on the clear-text greeting.
	conn, err = dialFrom(e.Explicit(), attacker.String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(conn, servertest.ClientTLS())
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err == nil {
		t.Error("TLS handshake on the explicit port before AUTH succeeded")
	}
	conn.Close()
	legit.stillServes()

	// The same ClientHello read as command lines: each line is refused,
	// and the connection still answers afterwards in clear text.
	c = ftptest.DialFrom(t, e.Explicit(), attacker)
	c.WriteRaw(append(clientHello(t), "\r\nNOOP\r\n"...))
	for i := 0; ; i++ {
		code, text := c.ReadReply()
		if code == 200 {
			break
		}
		if code != 500 && code != 501 || i > 100 {
			t.Fatalf("ClientHello as commands: reply %d %q", code, text)
		}
	}
	c.Expect("USER alice", 530) // still no login without TLS
	legit.stillServes()

	// A handshake that starts and then turns to garbage closes the
	// connection without a reply.
	c = ftptest.DialFrom(t, e.Explicit(), attacker)
	c.Expect("AUTH TLS", 234)
	c.WriteRaw([]byte("USER alice\r\n"))
	c.ExpectClosed()
	legit.stillServes()

	// The legitimate user still logs in over both listeners.
	fresh := e.rawLogin(t, alice, alicePass)
	fresh.stillServes()
	impl := ftptest.DialImplicit(t, e.Implicit(), servertest.ClientTLS())
	impl.Login(alice, alicePass)
	e.noPanics()
}

// clientHello returns the first flight of a Go TLS client, one in which no
// Telnet subnegotiation (IAC SB) starts, which would swallow the lines
// after it.
func clientHello(t *testing.T) []byte {
	t.Helper()
	for range 100 {
		a, b := net.Pipe()
		go func() {
			cfg := servertest.ClientTLS()
			// A classic key share keeps the hello small.
			cfg.CurvePreferences = []tls.CurveID{tls.X25519}
			tls.Client(a, cfg).Handshake()
		}()
		b.SetReadDeadline(time.Now().Add(10 * time.Second))
		hdr := make([]byte, 5)
		_, err := io.ReadFull(b, hdr)
		var body []byte
		if err == nil {
			body = make([]byte, int(hdr[3])<<8|int(hdr[4]))
			_, err = io.ReadFull(b, body)
		}
		a.Close()
		b.Close()
		if err != nil {
			t.Fatalf("capturing a ClientHello: %v", err)
		}
		hello := append(hdr, body...)
		if !bytes.Contains(hello, []byte{0xff, 0xfa}) {
			return hello
		}
	}
	t.Fatal("no usable ClientHello")
	return nil
}
