package attack

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

// raw is a scripted control connection whose every reply is checked for
// host paths. Its methods fail the test on I/O errors, so they belong to
// the test's goroutine.
type raw struct {
	*ftptest.Client
	e *env
	t *testing.T
}

// rawDial connects to the explicit listener from the given loopback
// address (the zero Addr lets the system choose) and reads the greeting.
func (e *env) rawDial(t *testing.T, from netip.Addr) *raw {
	t.Helper()
	return &raw{Client: ftptest.DialFrom(t, e.Explicit(), from), e: e, t: t}
}

// rawLogin connects from 127.0.0.1, secures the control connection, logs
// in and asks for protected data connections.
func (e *env) rawLogin(t *testing.T, name, pass string) *raw {
	t.Helper()
	r := e.rawDial(t, netip.Addr{})
	r.UpgradeTLS(servertest.ClientTLS())
	r.Login(name, pass)
	r.expect("PBSZ 0", 200)
	r.expect("PROT P", 200)
	return r
}

// send sends a command and returns its reply, checked for host paths.
func (r *raw) send(cmd string) (int, string) {
	r.t.Helper()
	code, text := r.Send(cmd)
	r.e.noHostPath(shorten(cmd), text)
	return code, text
}

// expect sends a command and fails the test unless the reply has code.
func (r *raw) expect(cmd string, code int) string {
	r.t.Helper()
	got, text := r.send(cmd)
	if got != code {
		r.t.Fatalf("%s: %d %q, want %d", shorten(cmd), got, text, code)
	}
	return text
}

// transfer runs a command that uses a data connection: EPSV, the command,
// then the upload of up (when not nil) or the download of everything the
// server sends, at most limit bytes. It returns the final reply (the first
// one when it was not 150) and the data received.
func (r *raw) transfer(cmd string, up []byte, limit int64) (int, string, []byte) {
	r.t.Helper()
	dc := r.OpenPassiveData()
	defer dc.Close()
	code, text := r.send(cmd)
	if code != 150 {
		return code, text, nil
	}
	tc, err := r.DataTLS(dc)
	if err != nil {
		r.t.Fatalf("%s: data TLS: %v", shorten(cmd), err)
	}
	var got []byte
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	if up != nil {
		if _, err := tc.Write(up); err != nil {
			r.t.Fatalf("%s: upload: %v", shorten(cmd), err)
		}
		tc.Close()
	} else {
		var buf bytes.Buffer
		io.Copy(&buf, io.LimitReader(tc, limit))
		got = buf.Bytes()
		tc.Close()
	}
	code, text = r.ReadReply()
	r.e.noHostPath(shorten(cmd), text)
	return code, text, got
}

// stillServes checks that the connection answers NOOP.
func (r *raw) stillServes() {
	r.t.Helper()
	r.expect("NOOP", 200)
}

// shorten keeps test messages readable when a command holds a long path.
func shorten(s string) string {
	if len(s) > 80 {
		return s[:60] + "...(" + strconv.Itoa(len(s)) + " bytes)"
	}
	return s
}

// readAllUntilClosed reads what the server sends until it closes the
// connection or limit passes, and reports whether it closed.
func readAllUntilClosed(c net.Conn, limit time.Duration) (string, bool) {
	c.SetReadDeadline(time.Now().Add(limit))
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return buf.String(), false
	}
	return buf.String(), true
}

// lastReplyLine returns the last line of the replies in s.
func lastReplyLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\r\n"), "\r\n")
	return lines[len(lines)-1]
}
