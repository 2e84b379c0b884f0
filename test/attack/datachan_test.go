package attack

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bftp "github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

// pasvAddr sends PASV and returns the announced address.
func (r *raw) pasvAddr() string {
	r.t.Helper()
	text := r.expect("PASV", 227)
	i, j := strings.Index(text, "("), strings.Index(text, ")")
	if i < 0 || j < i {
		r.t.Fatalf("bad PASV reply %q", text)
	}
	ap, err := bftp.ParsePORT(text[i+1 : j])
	if err != nil {
		r.t.Fatalf("bad PASV reply %q: %v", text, err)
	}
	return ap.String()
}

// A stranger at 127.0.0.2 who connects to an announced passive port
// before the client gets nothing and injects nothing; the refusal is
// logged and the client's transfer goes through. A connection from the
// client's own address that does not resume the control connection's TLS
// session is refused with 522.
func TestPassivePortTheft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home := e.addUser(alice, alicePass)
	secret := make([]byte, 256<<10)
	rand.Read(secret)
	if err := os.WriteFile(filepath.Join(home, "secret.bin"), secret, 0o640); err != nil {
		t.Fatal(err)
	}
	e.start()
	r := e.rawLogin(t, alice, alicePass)

	for _, verb := range []string{"EPSV", "PASV"} {
		var addr string
		if verb == "EPSV" {
			addr = r.PassiveAddr()
		} else {
			addr = r.pasvAddr()
		}
		thief, err := dialFrom(addr, "127.0.0.2")
		if err != nil {
			t.Fatalf("%s: thief dial: %v", verb, err)
		}
		// The thief also tries to inject an upload.
		thief.Write([]byte("INJECTED DATA"))
		dc, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("%s: client dial: %v", verb, err)
		}
		up := verb == "PASV"
		cmd := "RETR secret.bin"
		if up {
			cmd = "STOR uploaded.bin"
		}
		r.expect(cmd, 150)
		tc, err := r.DataTLS(dc)
		if err != nil {
			t.Fatalf("%s: data TLS: %v", verb, err)
		}
		tc.SetDeadline(time.Now().Add(20 * time.Second))
		if up {
			tc.Write(secret)
			tc.Close()
		} else {
			got, err := io.ReadAll(tc)
			if err != nil || !bytes.Equal(got, secret) {
				t.Errorf("%s: client got %d bytes (%v), want the file", verb, len(got), err)
			}
		}
		if code, text := r.ReadReply(); code != 226 {
			t.Errorf("%s: %d %q, want 226", verb, code, text)
		}
		stolen, _ := readAllUntilClosed(thief, 10*time.Second)
		thief.Close()
		if stolen != "" {
			t.Errorf("%s: the thief received %d bytes", verb, len(stolen))
		}
	}
	if got, _ := os.ReadFile(filepath.Join(home, "uploaded.bin")); !bytes.Equal(got, secret) {
		t.Errorf("upload holds %d bytes, want the client's data only", len(got))
	}
	if n := strings.Count(e.logs.String(), "passive connection from foreign address refused"); n != 2 {
		t.Errorf("%d refusals of a foreign passive connection logged, want 2", n)
	}

	// Same address, but no resumption of the control session: 522, and
	// not one byte of the file.
	dc := r.OpenPassiveData()
	r.expect("RETR secret.bin", 150)
	fresh := servertest.ClientTLS() // an empty session cache
	tc, err := r.DataTLSWith(dc, fresh)
	if err == nil {
		tc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if got, _ := io.ReadAll(tc); len(got) > 0 {
			t.Errorf("unresumed data connection received %d bytes", len(got))
		}
	}
	if code, text := r.ReadReply(); code != 522 {
		t.Errorf("unresumed data connection: %d %q, want 522", code, text)
	}
	// The control connection carries on.
	code, _, got := r.transfer("RETR secret.bin", nil, 1<<20)
	if code != 226 || !bytes.Equal(got, secret) {
		t.Errorf("download after the refusal: %d, %d bytes", code, len(got))
	}
	e.noPanics()
}

// PORT and EPRT aimed anywhere but the client's own address, or at a
// privileged port, are refused with 504: the server cannot be used to
// reach third parties (the FTP bounce attack).
func TestActiveBounceRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.addUser(alice, alicePass)
	e.start()
	// The attacker logs in from 127.0.0.2 and aims at 127.0.0.1, where
	// the "victim" service listens.
	victim, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	vport := victim.Addr().(*net.TCPAddr).Port
	c := e.rawDial(t, attacker)
	c.UpgradeTLS(servertest.ClientTLS())
	c.Login(alice, alicePass)
	c.expect("PROT P", 200)

	refused := []string{
		fmt.Sprintf("PORT 127,0,0,1,%d,%d", vport>>8, vport&0xff),
		fmt.Sprintf("EPRT |1|127.0.0.1|%d|", vport),
		"PORT 127,0,0,3,195,80",
		"PORT 10,0,0,1,195,80",
		"PORT 0,0,0,0,195,80",
		"PORT 127,0,0,2,0,21",
		"PORT 127,0,0,2,3,255", // 1023
		"EPRT |1|127.0.0.2|25|",
		"EPRT |1|127.0.0.3|50000|",
		"EPRT |2|::1|50000|",
		"EPRT |2|::ffff:127.0.0.1|50000|",
	}
	for _, cmd := range refused {
		if code, text := c.send(cmd); code != 504 {
			t.Errorf("%s: %d %q, want 504", cmd, code, text)
		}
		// Nothing was prepared: the transfer finds no data connection.
		if code, text := c.send("LIST"); code != 425 {
			t.Errorf("LIST after %s: %d %q, want 425", cmd, code, text)
		}
	}
	for _, cmd := range []string{"PORT 127,0,0,1,300,1", "PORT 127,0,0,1", "EPRT |1|127.0.0.1|", "EPRT |3|x|1|"} {
		if code, text := c.send(cmd); code != 501 && code != 522 {
			t.Errorf("%s: %d %q, want 501 or 522", cmd, code, text)
		}
	}
	victim.(*net.TCPListener).SetDeadline(time.Now().Add(50 * time.Millisecond))
	if conn, err := victim.Accept(); err == nil {
		conn.Close()
		t.Error("the server connected to the bounce target")
	}

	// Active mode back to the attacker's own address works, so the refusals
	// above are not a blanket one.
	own, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	oport := own.Addr().(*net.TCPAddr).Port
	c.expect(fmt.Sprintf("EPRT |1|127.0.0.2|%d|", oport), 200)
	c.expect("NLST", 150)
	own.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := own.Accept()
	if err != nil {
		t.Fatalf("active data connection: %v", err)
	}
	tc, err := c.DataTLS(conn)
	if err != nil {
		t.Fatalf("active data TLS: %v", err)
	}
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, tc)
	tc.Close()
	if code, text := c.ReadReply(); code != 226 {
		t.Errorf("active NLST: %d %q", code, text)
	}
	if n := strings.Count(e.logs.String(), "active connection target refused"); n < len(refused) {
		t.Errorf("%d refused targets logged, want %d", n, len(refused))
	}
	e.noPanics()
}
