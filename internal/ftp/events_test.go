package ftp_test

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// newEventEnv is newEnv with the server's events recorded.
func newEventEnv(t *testing.T, mods ...func(*ftp.Server, *env)) (*env, *ftptest.Events) {
	rec := &ftptest.Events{}
	mods = append([]func(*ftp.Server, *env){func(s *ftp.Server, _ *env) { s.Events = rec.Record }}, mods...)
	return newEnv(t, mods...), rec
}

func TestEventTLSHandshakeFailedAfterAUTH(t *testing.T) {
	e, rec := newEventEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.Expect("AUTH TLS", 234)
	c.WriteRaw([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	rec.Wait(t, ftp.EventTLSHandshakeFailed, 1)
	waitUntil(t, "session closed", func() bool { return e.srv.ActiveSessions() == 0 })
	if got, want := rec.All()[0].Remote, netip.MustParseAddrPort(c.Conn().LocalAddr().String()); got != want {
		t.Errorf("event from %s, want %s", got, want)
	}
}

func TestEventTLSHandshakeFailedImplicit(t *testing.T) {
	e, rec := newEventEnv(t)
	addr := ftptest.NewImplicitServer(t, e.srv)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("USER alice\r\n"))
	rec.Wait(t, ftp.EventTLSHandshakeFailed, 1)
	if n := rec.Count(ftp.EventLoginTimeout); n != 0 {
		t.Errorf("a failed handshake also counted as %d login timeouts", n)
	}
}

func TestEventTLSHandshakeFailedOnData(t *testing.T) {
	e, rec := newEventEnv(t)
	e.writeFile(t, "f.txt", []byte("data"))
	c := e.secureClient(t)
	dc := c.OpenPassiveData()
	c.Expect("RETR f.txt", 150)
	dc.Write([]byte("not a TLS client hello\r\n\r\n"))
	c.ExpectReply(522)
	rec.Wait(t, ftp.EventTLSHandshakeFailed, 1)
	c.Expect("NOOP", 200)
}

func TestEventCommandBeforeLogin(t *testing.T) {
	e, rec := newEventEnv(t)
	c := ftptest.Dial(t, e.addr)
	c.Expect("LIST", 530)
	c.Expect("CWD /", 530)
	// Commands allowed before login are no such event.
	c.Expect("NOOP", 200)
	c.Expect("FEAT", 211)
	c.Expect("RETR x", 530)
	rec.Wait(t, ftp.EventCommandBeforeLogin, 3)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Login(testUser, testPass)
	c.Expect("PWD", 257)
	if n := rec.Count(ftp.EventCommandBeforeLogin); n != 3 {
		t.Errorf("%d events after login, want 3", n)
	}
}

// TestLoginTimeLimitIsTotal shows that a client active all along is
// still closed when the login time limit runs out.
func TestLoginTimeLimitIsTotal(t *testing.T) {
	e, rec := newEventEnv(t, func(s *ftp.Server, _ *env) { s.LoginTimeout = 300 * time.Millisecond })
	c := ftptest.Dial(t, e.addr)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	// Well past the limit: a limit that only bounded each read would let
	// this run to the end.
	giveUp := time.Now().Add(10 * time.Second)
	for {
		c.WriteRaw([]byte("NOOP\r\n"))
		code, text := c.ReadReply()
		if code == 421 {
			if text != "Login time limit exceeded" {
				t.Errorf("421 %q", text)
			}
			break
		}
		if code != 200 {
			t.Fatalf("NOOP: %d %q", code, text)
		}
		if time.Now().After(giveUp) {
			t.Fatal("a client sending NOOP was never closed")
		}
		<-tick.C
	}
	// Sent already, perhaps, or refused: whichever, nothing more comes.
	c.ExpectClosed()
	rec.Wait(t, ftp.EventLoginTimeout, 1)
}

func TestLoginTimeLimitSilentClient(t *testing.T) {
	e, rec := newEventEnv(t, func(s *ftp.Server, _ *env) { s.LoginTimeout = 300 * time.Millisecond })
	c := ftptest.Dial(t, e.addr)
	if code, text := c.ReadReply(); code != 421 || text != "Login time limit exceeded" {
		t.Errorf("login time limit reply %d %q", code, text)
	}
	c.ExpectClosed()
	rec.Wait(t, ftp.EventLoginTimeout, 1)
}

// TestLoginTimeLimitEndsAtLogin shows that the limit stops at login: a
// session stays open well past it.
func TestLoginTimeLimitEndsAtLogin(t *testing.T) {
	e, rec := newEventEnv(t, func(s *ftp.Server, _ *env) { s.LoginTimeout = 200 * time.Millisecond })
	c := e.secureClient(t)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(time.Second); time.Now().Before(end); <-tick.C {
		c.Expect("NOOP", 200)
	}
	if evs := rec.All(); len(evs) != 0 {
		t.Errorf("events %v", evs)
	}
}

func TestMaxLoginFailures(t *testing.T) {
	for _, tt := range []struct{ max, closeAfter int }{{0, 3}, {1, 1}, {2, 2}, {4, 4}} {
		e, rec := newEventEnv(t, func(s *ftp.Server, _ *env) { s.MaxLoginFailures = tt.max })
		c := ftptest.Dial(t, e.addr)
		c.UpgradeTLS(e.cert.ClientConfig())
		for i := 1; i < tt.closeAfter; i++ {
			c.Expect("USER "+testUser, 331)
			c.Expect("PASS wrong", 530)
		}
		c.Expect("NOOP", 200)
		if n := rec.Count(ftp.EventTooManyLoginFailures); n != 0 {
			t.Errorf("max %d: event before the last failure", tt.max)
		}
		c.Expect("USER "+testUser, 331)
		c.Expect("PASS wrong", 530)
		if code, text := c.ReadReply(); code != 421 || !strings.Contains(text, "Too many failed logins") {
			t.Errorf("max %d: after %d failures got %d %q", tt.max, tt.closeAfter, code, text)
		}
		c.ExpectClosed()
		rec.Wait(t, ftp.EventTooManyLoginFailures, 1)
	}
}

func TestEventsPanicIsContained(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) {
		s.Events = func(netip.AddrPort, ftp.Event) { panic("events broke") }
	})
	c := ftptest.Dial(t, e.addr)
	c.Expect("LIST", 530)
	c.Expect("NOOP", 200)
	if n := e.srv.Panics(); n != 1 {
		t.Errorf("Panics() = %d, want 1", n)
	}
}

func TestEventStrings(t *testing.T) {
	for ev, want := range map[ftp.Event]string{
		ftp.EventTLSHandshakeFailed:   "tls_handshake_failed",
		ftp.EventCommandBeforeLogin:   "command_before_login",
		ftp.EventLoginTimeout:         "login_timeout",
		ftp.EventTooManyLoginFailures: "too_many_login_failures",
		ftp.Event(0):                  "event",
	} {
		if got := ev.String(); got != want {
			t.Errorf("%d: %q, want %q", int(ev), got, want)
		}
	}
}
