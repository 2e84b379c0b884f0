package ftp_test

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

func TestCommandsBeforeLogin(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	for _, cmd := range []string{"PWD", "CWD /", "LIST", "RETR x", "STOR x", "MKD x", "PASV", "EPSV", "SIZE x", "STAT", "ABOR", "MLST"} {
		if code, text := c.Send(cmd); code != 530 {
			t.Errorf("%s before login: %d %q, want 530", cmd, code, text)
		}
	}
	for cmd, want := range map[string]int{"NOOP": 200, "SYST": 215, "FEAT": 211, "HELP": 214, "OPTS UTF8 ON": 200} {
		if code, text := c.Send(cmd); code != want {
			t.Errorf("%s before login: %d %q, want %d", cmd, code, text, want)
		}
	}
	c.Expect("QUIT", 221)
	c.ExpectClosed()
}

func TestUserBeforeAuthTLSRefused(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	text := c.Expect("USER "+testUser, 530)
	if !strings.Contains(text, "AUTH TLS") {
		t.Errorf("530 text %q does not say what to do", text)
	}
	c.Expect("PASS "+testPass, 503)
	c.Expect("PBSZ 0", 503)
	c.Expect("PROT P", 503)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Login(testUser, testPass)
}

func TestAuthResetsLogin(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.AllowCleartext = true })
	c := ftptest.Dial(t, e.addr)
	c.Login(testUser, testPass)
	c.Expect("PWD", 257)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Expect("PWD", 530)
	c.Login(testUser, testPass)
	c.Expect("AUTH TLS", 503)
}

func TestAuthSynonymsAndUnknownMechanism(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.Expect("AUTH GSSAPI", 504)
	c.Expect("AUTH SSL", 234)
	c.Close()

	noTLS := newEnv(t, func(s *ftp.Server, _ *env) { s.TLSConfig = nil; s.AllowCleartext = true })
	c = ftptest.Dial(t, noTLS.addr)
	c.Expect("AUTH TLS", 502)
	if feat := c.Expect("FEAT", 211); strings.Contains(feat, "AUTH TLS") {
		t.Errorf("FEAT offers TLS without a TLS config:\n%s", feat)
	}
}

func TestAuthPipelinedCommandRefused(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	// A command sent after AUTH but before the handshake must never be
	// taken as protected.
	c.WriteRaw([]byte("AUTH TLS\r\nUSER alice\r\n"))
	c.ExpectReply(503)
	c.ExpectClosed()
	e.logs.waitFor(t, "data sent before TLS handshake")
}

func TestProtPolicy(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Login(testUser, testPass)
	c.Expect("PBSZ 0", 200)
	c.Expect("PROT C", 534)
	c.Expect("PROT S", 536)
	c.Expect("PROT X", 504)
	c.Expect("EPSV", 229)
	c.Expect("LIST", 521)
	c.Expect("PROT P", 200)
	c.Expect("LIST", 425) // the refused LIST released the data connection
}

func TestProtCAllowedWhenCleartextAllowed(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.AllowCleartext = true })
	e.writeFile(t, "a.txt", []byte("hello"))
	c := ftptest.Dial(t, e.addr)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Login(testUser, testPass)
	c.Expect("PROT C", 200)
	dc := c.OpenPassiveData()
	c.Expect("RETR a.txt", 150)
	if got := string(readAll(t, dc)); got != "hello" {
		t.Fatalf("got %q", got)
	}
	c.ExpectReply(226)
}

func TestRequireTLSAccount(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, e *env) {
		s.AllowCleartext = true
		s.Auth = &ftptest.Auth{Users: ftptest.Users{testUser: testPass}, FS: e.fs, RequireTLS: true}
	})
	c := ftptest.Dial(t, e.addr)
	c.Expect("USER "+testUser, 331)
	c.Expect("PASS "+testPass, 530)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Login(testUser, testPass)
	c.Expect("PROT C", 534)
	c.Expect("EPSV", 229)
	c.Expect("NLST", 521)
}

func TestLoginFailuresCloseConnection(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.UpgradeTLS(e.cert.ClientConfig())
	for i := 0; i < 2; i++ {
		c.Expect("USER "+testUser, 331)
		c.Expect("PASS wrong", 530)
	}
	c.Expect("USER nobody", 331)
	c.Expect("PASS wrong", 530)
	c.ExpectReply(421)
	c.ExpectClosed()
	e.logs.waitFor(t, `msg="login failed"`)
	if strings.Contains(e.logs.String(), "wrong") {
		t.Error("a password reached the log")
	}
}

func TestBadPORTAndEPRT(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	for cmd, want := range map[string]int{
		"PORT 1,2,3":                 501,
		"PORT 127,0,0,1,300,1":       501,
		"PORT 127,0,0,1,0,0":         501,
		"EPRT |1|127.0.0.1|":         501,
		"EPRT |1|::1|5000|":          501,
		"EPRT |3|127.0.0.1|5000|":    522,
		"PORT 127,0,0,1,0,80":        504, // privileged port
		"PORT 127,0,0,2,19,137":      504, // not the client's address
		"EPRT |1|127.0.0.2|5001|":    504,
		"EPRT |2|::1|5001|":          504,
		"PORT 10,0,0,1,19,137":       504,
		"EPRT |1|127.0.0.1|1023|":    504,
		"PORT 127,0,0,1,19,137":      200,
		"EPRT |1|127.0.0.1|5001|":    200,
		"EPSV 3":                     522,
		"EPSV 2":                     522,
		"EPSV foo":                   501,
		"TYPE X":                     501,
		"TYPE E":                     504,
		"TYPE L 8":                   200,
		"TYPE A N":                   200,
		"MODE B":                     504,
		"MODE S":                     200,
		"STRU R":                     504,
		"STRU F":                     200,
		"REST -1":                    501,
		"REST abc":                   501,
		"ALLO 100":                   202,
		"SITE CHMOD 999 x":           501,
		"SITE EXEC rm":               504,
		"OPTS NOSUCH":                501,
		"OPTS UTF8 OFF":              504,
		"MFMT 2020 x":                501,
		"MFMT 20200101000000":        501,
		"RNTO x":                     503,
		"PASS again":                 503,
		"USER again":                 503,
		"HOST example.com":           503,
		"CCC":                        534,
		"REIN":                       502,
		"XYZZY":                      500,
		"A":                          500,
		"ACCT x":                     202,
		"HELP RETR":                  214,
		"HELP NOSUCH":                502,
		"STOR":                       501,
		"PORT 127,0,0,1,19,137 junk": 501,
	} {
		if code, text := c.Send(cmd); code != want {
			t.Errorf("%s: %d %q, want %d", cmd, code, text, want)
		}
	}
}

func TestActiveModeDisabled(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.DisableActive = true })
	c := e.secureClient(t)
	c.Expect("PORT 127,0,0,1,19,137", 502)
	c.Expect("EPRT |1|127.0.0.1|5001|", 502)
	if feat := c.Expect("FEAT", 211); strings.Contains(feat, "EPRT") {
		t.Errorf("FEAT offers EPRT while active mode is disabled")
	}
}

func TestActiveModeTransfer(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "a.txt", []byte("active data"))
	c := e.secureClient(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	c.Expect(fmt.Sprintf("EPRT |1|127.0.0.1|%d|", port), 200)
	c.Expect("RETR a.txt", 150)
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.DataTLS(conn)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, tc)); got != "active data" {
		t.Fatalf("got %q", got)
	}
	c.ExpectReply(226)

	c.Expect(fmt.Sprintf("PORT 127,0,0,1,%d,%d", port>>8, port&255), 200)
	c.Expect("STOR b.txt", 150)
	conn, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	tc, err = c.DataTLS(conn)
	if err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte("uploaded actively"))
	tc.Close()
	c.ExpectReply(226)
	if got := string(e.readFile(t, "b.txt")); got != "uploaded actively" {
		t.Fatalf("stored %q", got)
	}
}

func TestOverlongLineClosesConnection(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.MaxLineLength = 512 })
	c := ftptest.Dial(t, e.addr)
	c.WriteRaw([]byte("NOOP " + strings.Repeat("x", 600) + "\r\n"))
	c.ExpectReply(500)
	c.ExpectClosed()
}

func TestUnknownCommand(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.Expect("FOOBAR", 500)
	c.Expect("NOOP", 200)
}

func TestEPSVAll(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	c.Expect("EPSV ALL", 200)
	c.Expect("PASV", 503)
	c.Expect("PORT 127,0,0,1,19,137", 503)
	c.Expect("EPRT |1|127.0.0.1|5001|", 503)
	c.Expect("EPSV", 229)
}

func TestPASV(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) {
		s.PassivePortMin, s.PassivePortMax = 40000, 40999
	})
	c := e.secureClient(t)
	text := c.Expect("PASV", 227)
	var h1, h2, h3, h4, p1, p2 int
	i := strings.Index(text, "(")
	if _, err := fmt.Sscanf(text[i:], "(%d,%d,%d,%d,%d,%d)", &h1, &h2, &h3, &h4, &p1, &p2); err != nil {
		t.Fatalf("bad PASV reply %q", text)
	}
	if h1 != 127 || h2 != 0 || h3 != 0 || h4 != 1 || p1*256+p2 < 40000 || p1*256+p2 > 40999 {
		t.Fatalf("PASV announced %q", text)
	}
}

func TestPassiveAddressAnnounced(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) {
		s.PassiveAddress = netip.MustParseAddr("203.0.113.7")
	})
	c := e.secureClient(t)
	if text := c.Expect("PASV", 227); !strings.Contains(text, "(203,0,113,7,") {
		t.Fatalf("PASV reply %q does not announce the public address", text)
	}
}

func TestFEAT(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.WriteRaw([]byte("FEAT\r\n"))
	// Read raw lines to check the RFC 2389 layout: a space before each
	// feature.
	text := c.ExpectReply(211)
	lines := strings.Split(text, "\n")
	want := []string{" AUTH TLS", " PBSZ", " PROT", " EPRT", " EPSV", " HASH SHA-256*;SHA-1;MD5", " HOST",
		" MDTM", " MFMT", " MLST type*;size*;modify*;perm*;unix.mode;", " REST STREAM", " SITE PSWD", " SIZE", " TVFS", " UTF8"}
	for _, w := range want {
		found := false
		for _, l := range lines {
			if l == w {
				found = true
			}
		}
		if !found {
			t.Errorf("FEAT lacks %q:\n%s", w, text)
		}
	}
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Login(testUser, testPass)
	c.Expect("OPTS HASH SHA-1", 200)
	if got := c.Expect("OPTS HASH", 200); got != "SHA-1" {
		t.Errorf("OPTS HASH = %q", got)
	}
	c.Expect("OPTS HASH CRC99", 501)
	if got := c.Expect("OPTS MLST size;Modify;bogus;", 200); got != "MLST OPTS size;modify;" {
		t.Errorf("OPTS MLST = %q", got)
	}
	feat := c.Expect("FEAT", 211)
	for _, w := range []string{" HASH SHA-256;SHA-1*;MD5", " MLST type;size*;modify*;perm;unix.mode;"} {
		if !strings.Contains(feat, w) {
			t.Errorf("FEAT lacks %q:\n%s", w, feat)
		}
	}
}

func TestHOST(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.Expect("HOST ftp.example.com", 220)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Expect("HOST ftp.example.com", 220)
	c.Expect("USER "+testUser, 331)
	c.Expect("HOST ftp.example.com", 503)
}

func TestPasswordNotLogged(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	c.Expect("QUIT", 221)
	e.logs.waitFor(t, "connection closed")
	if strings.Contains(e.logs.String(), testPass) {
		t.Fatal("the password reached the log")
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.IdleTimeout = 300 * time.Millisecond })
	c := e.secureClient(t)
	if code, text := c.ReadReply(); code != 421 || !strings.Contains(text, "Idle timeout") {
		t.Errorf("idle timeout reply %d %q", code, text)
	}
	c.ExpectClosed()
}

func TestInvalidUTF8Argument(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	c.WriteRaw([]byte("CWD \xc3\x28\r\n"))
	c.ExpectReply(501)
	c.Expect("NOOP", 200)
}
