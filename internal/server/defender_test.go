package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// dialFrom opens an FTPS client whose control and data connections come
// from the loopback address from.
func dialFrom(t *testing.T, addr, from string) (*ftp.ServerConn, error) {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := ftp.Dial(addr, ftp.DialWithDialFunc(d.Dial), ftp.DialWithExplicitTLS(servertest.ClientTLS()),
		ftp.DialWithTimeout(5*time.Second))
	if err == nil {
		t.Cleanup(func() { c.Quit() })
	}
	return c, err
}

// refusedAtDoor reports whether a connection from from is closed before
// the server says anything.
func refusedAtDoor(t *testing.T, addr, from string) bool {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return true
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	return n == 0 && (errors.Is(err, io.EOF) || isReset(err))
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func defenderEnv(t *testing.T) *servertest.Env {
	return servertest.New(t, func(c *config.Config) {
		c.Defender.Threshold = 20
		c.Defender.ScoreBadPassword = 5
		c.Defender.ScoreUnknownUser = 10
	})
}

// The attacker at 127.0.0.3 is banned after the threshold; the legitimate
// user at 127.0.0.4 keeps working throughout; the ban survives a restart
// and lifting it in the store takes effect at once.
func TestAttackerBannedUserUnaffected(t *testing.T) {
	e := defenderEnv(t)
	e.AddUser(t, "alice", "Alice-Pass-42x")
	e.Start(t)
	addr := e.Explicit()

	for i := 0; i < 4; i++ {
		c, err := dialFrom(t, addr, "127.0.0.3")
		if err != nil {
			t.Fatalf("attempt %d: attacker refused too early: %v", i, err)
		}
		c.Login("alice", fmt.Sprintf("guess-%d", i))
		legit, err := dialFrom(t, addr, "127.0.0.4")
		if err != nil {
			t.Fatal(err)
		}
		if err := legit.Login("alice", "Alice-Pass-42x"); err != nil {
			t.Fatalf("legitimate user refused during the attack: %v", err)
		}
	}
	waitFor(t, "the ban", func() bool { return refusedAtDoor(t, addr, "127.0.0.3") })
	if refusedAtDoor(t, addr, "127.0.0.4") {
		t.Fatal("legitimate user's address refused")
	}
	bans, err := e.Store.ListBans(context.Background())
	if err != nil || len(bans) != 1 || bans[0].Prefix != "127.0.0.3/32" {
		t.Fatalf("stored bans %+v, %v", bans, err)
	}

	// A restart keeps the ban.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	e.Server.Shutdown(ctx)
	cancel()
	e.Start(t)
	addr = e.Explicit()
	if !refusedAtDoor(t, addr, "127.0.0.3") {
		t.Fatal("ban lost at restart")
	}

	// Removing it in the store (as `bulwark ban del` does) lifts it within
	// a second or so.
	if err := e.Store.DeleteBan(context.Background(), "127.0.0.3/32"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ban to lift", func() bool { return !refusedAtDoor(t, addr, "127.0.0.3") })
}

func TestHoneypotBansAtOnce(t *testing.T) {
	e := defenderEnv(t)
	e.Start(t)
	c, err := dialFrom(t, e.Explicit(), "127.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("root", "toor"); err == nil {
		t.Fatal("honeypot login succeeded")
	}
	waitFor(t, "the honeypot ban", func() bool { return refusedAtDoor(t, e.Explicit(), "127.0.0.5") })
}

// A ban added by the CLI ends the live sessions of that address.
func TestManualBanEndsSessions(t *testing.T) {
	e := defenderEnv(t)
	e.AddUser(t, "alice", "Alice-Pass-42x")
	e.Start(t)
	c, err := dialFrom(t, e.Explicit(), "127.0.0.6")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("alice", "Alice-Pass-42x"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := e.Store.SaveBan(context.Background(), store.Ban{Prefix: "127.0.0.6/32", Reason: "manual",
		First: now, Last: now, Count: 1, Level: 1, Until: now.Add(time.Hour), Manual: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the session to end", func() bool { return c.NoOp() != nil })
	if !refusedAtDoor(t, e.Explicit(), "127.0.0.6") {
		t.Fatal("banned address still admitted")
	}
}

// Guessing one account from many addresses, each staying under the ban
// threshold, puts the account under protection: the real user at their
// known address still logs in, the right password from a new address does
// not.
func TestAccountProtectionKeepsKnownAddress(t *testing.T) {
	e := servertest.New(t, func(c *config.Config) {
		c.Defender.AccountThreshold = 30
		c.Defender.MaxConnectionsPerIP = 100
	})
	e.AddUser(t, "alice", "Alice-Pass-42x")
	e.Start(t)
	addr := e.Explicit()
	known, err := dialFrom(t, addr, "127.0.0.4")
	if err != nil {
		t.Fatal(err)
	}
	if err := known.Login("alice", "Alice-Pass-42x"); err != nil {
		t.Fatal(err)
	}
	known.Quit()

	for i := 10; i <= 60; i++ {
		c, err := dialFrom(t, addr, fmt.Sprintf("127.0.0.%d", i))
		if err != nil {
			t.Fatalf("127.0.0.%d refused: %v", i, err)
		}
		c.Login("alice", "wrong-guess")
	}
	until, err := e.Store.AccountProtection(context.Background(), "alice")
	if err != nil || !until.After(time.Now()) {
		t.Fatalf("account not protected: %v %v", until, err)
	}
	c, err := dialFrom(t, addr, "127.0.0.4")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("alice", "Alice-Pass-42x"); err != nil {
		t.Fatalf("real user at the known address refused: %v", err)
	}
	stranger, err := dialFrom(t, addr, "127.0.0.61")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "right password from an unknown address", stranger.Login("alice", "Alice-Pass-42x"), 530, "Login incorrect")
}
