package ftptest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Client speaks raw FTP on a control connection for scripted dialogues.
// Its methods fail the test on I/O errors, so they must be called from the
// test's goroutine. Every read and write has a deadline of Timeout.
type Client struct {
	t       testing.TB
	conn    net.Conn
	r       *bufio.Reader
	tlsConf *tls.Config // of the control connection, for DataTLS
	Timeout time.Duration
}

const defaultTimeout = 10 * time.Second

// Dial connects to addr and reads the 220 greeting.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	return DialFrom(t, addr, netip.Addr{})
}

// DialFrom is Dial from a given loopback source address, such as
// 127.0.0.2; the zero Addr lets the system choose.
func DialFrom(t testing.TB, addr string, from netip.Addr) *Client {
	t.Helper()
	d := net.Dialer{Timeout: defaultTimeout}
	if from.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: from.AsSlice()}
	}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("ftptest: dial %s: %v", addr, err)
	}
	c := newClient(t, conn)
	c.ExpectReply(220)
	return c
}

// DialImplicit connects to an implicit-TLS address and reads the greeting.
func DialImplicit(t testing.TB, addr string, cfg *tls.Config) *Client {
	t.Helper()
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: defaultTimeout}, Config: cfg}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("ftptest: dial %s: %v", addr, err)
	}
	c := newClient(t, conn)
	c.tlsConf = cfg
	c.ExpectReply(220)
	return c
}

func newClient(t testing.TB, conn net.Conn) *Client {
	c := &Client{t: t, conn: conn, r: bufio.NewReader(conn), Timeout: defaultTimeout}
	t.Cleanup(func() { conn.Close() })
	return c
}

// Conn returns the control connection (a *tls.Conn after UpgradeTLS).
func (c *Client) Conn() net.Conn { return c.conn }

// Close closes the control connection.
func (c *Client) Close() { c.conn.Close() }

// WriteRaw writes b as it is.
func (c *Client) WriteRaw(b []byte) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(c.Timeout))
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("ftptest: write: %v", err)
	}
}

// Send sends one command and returns the reply's code and text. The text
// of a multi-line reply holds its lines joined by "\n", the code and
// separator removed from the first and last.
func (c *Client) Send(cmd string) (code int, text string) {
	c.t.Helper()
	c.WriteRaw([]byte(cmd + "\r\n"))
	return c.ReadReply()
}

// Expect sends cmd and fails the test unless the reply has code. It
// returns the text.
func (c *Client) Expect(cmd string, code int) string {
	c.t.Helper()
	got, text := c.Send(cmd)
	if got != code {
		c.t.Fatalf("ftptest: %s: got %d %q, want %d", redact(cmd), got, text, code)
	}
	return text
}

// ExpectReply reads a reply and fails the test unless it has code.
func (c *Client) ExpectReply(code int) string {
	c.t.Helper()
	got, text := c.ReadReply()
	if got != code {
		c.t.Fatalf("ftptest: got reply %d %q, want %d", got, text, code)
	}
	return text
}

// ReadReply reads one reply, failing the test on an error.
func (c *Client) ReadReply() (int, string) {
	c.t.Helper()
	code, text, err := c.ReadReplyErr()
	if err != nil {
		c.t.Fatalf("ftptest: read reply: %v", err)
	}
	return code, text
}

// ReadReplyErr reads one reply and returns read errors (io.EOF when the
// server closed the connection).
func (c *Client) ReadReplyErr() (int, string, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.Timeout))
	line, err := c.readLine()
	if err != nil {
		return 0, "", err
	}
	if len(line) < 4 {
		return 0, "", fmt.Errorf("short reply %q", line)
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil {
		return 0, "", fmt.Errorf("bad reply %q", line)
	}
	if line[3] != '-' {
		return code, line[4:], nil
	}
	lines := []string{line[4:]}
	end := line[:3] + " "
	for {
		l, err := c.readLine()
		if err != nil {
			return 0, "", err
		}
		if strings.HasPrefix(l, end) {
			return code, strings.Join(append(lines, l[4:]), "\n"), nil
		}
		lines = append(lines, l)
	}
}

func (c *Client) readLine() (string, error) {
	l, err := c.r.ReadString('\n')
	if err != nil {
		if err == io.EOF && l != "" {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	if !strings.HasSuffix(l, "\r\n") {
		return "", fmt.Errorf("reply line without CRLF: %q", l)
	}
	return strings.TrimSuffix(l, "\r\n"), nil
}

// ExpectClosed fails the test unless the server closes the connection
// (within Timeout) without sending anything more.
func (c *Client) ExpectClosed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(c.Timeout))
	b, err := c.r.ReadByte()
	if err == nil {
		rest, _ := c.r.ReadString('\n')
		c.t.Fatalf("ftptest: expected the connection closed, got %q", string(b)+rest)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("ftptest: connection still open after %v", c.Timeout)
	}
}

// UpgradeTLS sends AUTH TLS and runs the client handshake.
func (c *Client) UpgradeTLS(cfg *tls.Config) {
	c.t.Helper()
	c.Expect("AUTH TLS", 234)
	if c.r.Buffered() > 0 {
		c.t.Fatalf("ftptest: data after 234 before the handshake")
	}
	tc := tls.Client(c.conn, cfg)
	tc.SetDeadline(time.Now().Add(c.Timeout))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("ftptest: TLS handshake: %v", err)
	}
	tc.SetDeadline(time.Time{})
	c.conn = tc
	c.r = bufio.NewReader(tc)
	c.tlsConf = cfg
}

// Login sends USER and PASS and expects 230.
func (c *Client) Login(user, pass string) {
	c.t.Helper()
	c.Expect("USER "+user, 331)
	c.Expect("PASS "+pass, 230)
}

// PassiveAddr sends EPSV and returns the data address to dial: the
// control connection's server address with the announced port.
func (c *Client) PassiveAddr() string {
	c.t.Helper()
	text := c.Expect("EPSV", 229)
	i := strings.Index(text, "(|||")
	j := strings.LastIndex(text, "|)")
	if i < 0 || j < i+4 {
		c.t.Fatalf("ftptest: bad EPSV reply %q", text)
	}
	port, err := strconv.Atoi(text[i+4 : j])
	if err != nil {
		c.t.Fatalf("ftptest: bad EPSV port in %q", text)
	}
	host, _, _ := net.SplitHostPort(c.conn.RemoteAddr().String())
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// OpenPassiveData sends EPSV and connects to the announced port. The
// connection is plain TCP; wrap it with DataTLS after sending the transfer
// command when PROT P is in force.
func (c *Client) OpenPassiveData() net.Conn {
	c.t.Helper()
	addr := c.PassiveAddr()
	conn, err := net.DialTimeout("tcp", addr, c.Timeout)
	if err != nil {
		c.t.Fatalf("ftptest: dial data %s: %v", addr, err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

// DataTLS runs a client handshake on a data connection with the control
// connection's TLS configuration, so that its session is resumed.
func (c *Client) DataTLS(conn net.Conn) (*tls.Conn, error) {
	if c.tlsConf == nil {
		return nil, errors.New("ftptest: the control connection has no TLS")
	}
	return c.DataTLSWith(conn, c.tlsConf)
}

// DataTLSWith runs a client handshake on a data connection with cfg.
func (c *Client) DataTLSWith(conn net.Conn, cfg *tls.Config) (*tls.Conn, error) {
	tc := tls.Client(conn, cfg)
	tc.SetDeadline(time.Now().Add(c.Timeout))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	return tc, nil
}

// redact hides the passwords of PASS and SITE PSWD in failure messages.
func redact(cmd string) string {
	verb, arg, _ := strings.Cut(cmd, " ")
	switch strings.ToUpper(verb) {
	case "PASS":
		return "PASS ****"
	case "SITE":
		if strings.HasPrefix(strings.ToUpper(strings.TrimLeft(arg, " \t")), "PSWD") {
			return "SITE PSWD ****"
		}
	}
	return cmd
}
