package ftp_test

import (
	"bytes"
	"io"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// twoUsers lets bob log in besides alice.
func twoUsers(s *ftp.Server, e *env) {
	s.Auth = &ftptest.Auth{Users: ftptest.Users{testUser: testPass, "bob": "bobpass"}, FS: e.fs}
}

func localAddr(c *ftptest.Client) netip.AddrPort {
	return netip.MustParseAddrPort(c.Conn().LocalAddr().String())
}

func TestSessionsAndCloseSessions(t *testing.T) {
	e := newEnv(t, twoUsers, func(s *ftp.Server, _ *env) { s.AllowCleartext = true })
	big := bytes.Repeat([]byte("x"), 32<<20)
	e.writeFile(t, "big.bin", big)

	alice := e.secureClient(t)
	bob := ftptest.Dial(t, e.addr)
	bob.UpgradeTLS(e.cert.ClientConfig())
	bob.Login("bob", "bobpass")
	bob.Expect("PBSZ 0", 200)
	bob.Expect("PROT P", 200)
	stranger := ftptest.DialFrom(t, e.addr, netip.MustParseAddr("127.0.0.2"))

	// bob starts a download he does not read, so it stays running.
	dc := bob.OpenPassiveData()
	bob.Expect("RETR big.bin", 150)
	data, err := bob.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}

	got := e.srv.Sessions()
	want := map[netip.AddrPort]struct {
		user string
		tls  bool
	}{
		localAddr(alice):    {testUser, true},
		localAddr(bob):      {"bob", true},
		localAddr(stranger): {"", false},
	}
	if len(got) != len(want) {
		t.Fatalf("Sessions() = %+v, want %d", got, len(want))
	}
	var ids []string
	for _, si := range got {
		w, ok := want[si.Remote]
		if !ok || si.User != w.user || si.TLS != w.tls {
			t.Errorf("unexpected %+v", si)
		}
		if si.ID == "" || si.Started.IsZero() || time.Since(si.Started) > time.Minute {
			t.Errorf("bad ID or start in %+v", si)
		}
		ids = append(ids, si.ID)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(got) {
		t.Errorf("session IDs not distinct: %v", ids)
	}

	byUser := func(name string) func(netip.AddrPort, string) bool {
		return func(_ netip.AddrPort, user string) bool { return user == name }
	}
	if n := e.srv.CloseSessions(byUser(testUser), "Account disabled"); n != 1 {
		t.Fatalf("closed %d sessions for alice, want 1", n)
	}
	if code, text := alice.ReadReply(); code != 421 || text != "Account disabled" {
		t.Errorf("alice got %d %q", code, text)
	}
	alice.ExpectClosed()
	bob.Expect("NOOP", 200)
	stranger.Expect("NOOP", 200)

	banned := netip.MustParseAddr("127.0.0.2")
	byAddr := func(remote netip.AddrPort, _ string) bool { return remote.Addr() == banned }
	if n := e.srv.CloseSessions(byAddr, "Address banned"); n != 1 {
		t.Fatalf("closed %d sessions from %s, want 1", n, banned)
	}
	if code, text := stranger.ReadReply(); code != 421 || text != "Address banned" {
		t.Errorf("stranger got %d %q", code, text)
	}
	stranger.ExpectClosed()
	bob.Expect("NOOP", 200)

	// Closing bob aborts his transfer: the data connection ends early and
	// the 421 is the last thing on the control connection.
	if n := e.srv.CloseSessions(byUser("bob"), "Bye\r\n230 forged"); n != 1 {
		t.Fatalf("closed %d sessions for bob, want 1", n)
	}
	if code, text := bob.ReadReply(); code != 421 || text != "Bye  230 forged" {
		t.Errorf("bob got %d %q", code, text)
	}
	bob.ExpectClosed()
	data.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := io.Copy(io.Discard, data)
	if n >= int64(len(big)) {
		t.Errorf("the aborted download delivered all %d bytes", n)
	}

	waitUntil(t, "no sessions", func() bool { return len(e.srv.Sessions()) == 0 && e.srv.ActiveSessions() == 0 })
	if n := e.srv.CloseSessions(func(netip.AddrPort, string) bool { return true }, "x"); n != 0 {
		t.Errorf("closed %d sessions of none", n)
	}
	// The server still serves.
	e.secureClient(t).Expect("NOOP", 200)
}

func TestCloseSessionsBeforeLoginAndDuringHandshake(t *testing.T) {
	e := newEnv(t)
	c := ftptest.Dial(t, e.addr)
	all := func(netip.AddrPort, string) bool { return true }
	if n := e.srv.CloseSessions(all, ""); n != 1 {
		t.Fatalf("closed %d, want 1", n)
	}
	if code, text := c.ReadReply(); code != 421 || text == "" {
		t.Errorf("got %d %q", code, text)
	}
	c.ExpectClosed()

	// A session waiting for its AUTH TLS handshake is closed too.
	c = ftptest.Dial(t, e.addr)
	c.Expect("AUTH TLS", 234)
	if n := e.srv.CloseSessions(all, "Bye"); n != 1 {
		t.Fatalf("closed %d, want 1", n)
	}
	waitUntil(t, "no sessions", func() bool { return e.srv.ActiveSessions() == 0 })
}
