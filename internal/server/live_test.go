package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// expectKicked reads the 421 the server sends when it ends a session and
// checks its reason.
func expectKicked(t *testing.T, r *rawConn, reason string) {
	t.Helper()
	if text := r.c.ExpectReply(421); !strings.Contains(text, reason) {
		t.Fatalf("421 reply %q, want it to say %q", text, reason)
	}
	r.c.ExpectClosed()
}

func TestDisablingUserEndsSessions(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Alice-Pass-1")
	e.AddUser(t, "bob", "Bob-Pass-1")
	e.Start(t)
	a1 := rawLogin(t, e, "alice", "Alice-Pass-1")
	a2 := rawLogin(t, e, "ALICE", "Alice-Pass-1")
	b := rawLogin(t, e, "bob", "Bob-Pass-1")

	ctx := context.Background()
	u, err := e.Store.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := e.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// Made through the store, as the CLI does from another process: the
	// server notices on its own.
	expectKicked(t, a1, "disabled")
	expectKicked(t, a2, "disabled")
	b.c.Expect("NOOP", 200)
}

func TestDeletingUserEndsSessions(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Alice-Pass-1")
	e.AddUser(t, "bob", "Bob-Pass-1")
	e.Start(t)
	a := rawLogin(t, e, "alice", "Alice-Pass-1")
	b := rawLogin(t, e, "bob", "Bob-Pass-1")
	if err := e.Store.DeleteUser(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	expectKicked(t, a, "removed")
	b.c.Expect("NOOP", 200)
}

// Withdrawing a share (here: the group grant) ends the sessions of the
// users who had it mounted, and only theirs; other changes end nothing.
func TestRevokingShareEndsAffectedSessions(t *testing.T) {
	e := servertest.New(t)
	ctx := context.Background()
	if err := e.Store.CreateGroup(ctx, &user.Group{Name: "staff"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"projects", "other"} {
		if err := e.Store.CreateShare(ctx, &user.Share{Name: name, Path: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
	}
	e.AddUser(t, "alice", "Alice-Pass-1", func(u *user.User) { u.Groups = []string{"staff"} })
	e.AddUser(t, "bob", "Bob-Pass-1")
	e.AddUser(t, "carol", "Carol-Pass-1")
	if err := e.Store.SetGrant(ctx, user.Grant{Share: "projects", Group: "staff", At: "/projects", Rights: user.RightsRead}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetGrant(ctx, user.Grant{Share: "other", User: "carol", At: "/other", Rights: user.RightsRead}); err != nil {
		t.Fatal(err)
	}
	e.Start(t)
	a := rawLogin(t, e, "alice", "Alice-Pass-1")
	b := rawLogin(t, e, "bob", "Bob-Pass-1")
	c := rawLogin(t, e, "carol", "Carol-Pass-1")

	// An unrelated change (bob's comment) is noticed but ends nothing.
	u, _ := e.Store.GetUser(ctx, "bob")
	u.Comment = "partner"
	if err := e.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e.Server.Refresh(ctx)
	if err := e.Store.RemoveGrant(ctx, "projects", "", "staff", ""); err != nil {
		t.Fatal(err)
	}
	expectKicked(t, a, "withdrawn")
	b.c.Expect("NOOP", 200)
	c.c.Expect("NOOP", 200)
}

// Refresh (what the admin API calls after a change) acts before it
// returns.
func TestRefreshEndsSessionsAtOnce(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Alice-Pass-1")
	e.Start(t)
	a := rawLogin(t, e, "alice", "Alice-Pass-1")
	ctx := context.Background()
	e.Server.Refresh(ctx) // the watch knows alice now
	if err := e.Store.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	e.Server.Refresh(ctx)
	for _, si := range e.Server.Sessions() {
		if strings.EqualFold(si.User, "alice") {
			t.Fatalf("session %s of a deleted user still open after Refresh", si.ID)
		}
	}
	expectKicked(t, a, "removed")
}

func TestReadyUntilShutdown(t *testing.T) {
	e := servertest.New(t)
	e.Start(t)
	ctx := context.Background()
	if err := e.Server.Ready(ctx); err != nil {
		t.Fatalf("a started server is not ready: %v", err)
	}
	if err := e.Server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.Server.Ready(ctx); err == nil {
		t.Fatal("a server that shut down says it is ready")
	}
}

// WithBeforeServe runs once the listeners are bound and before any client
// is served: a client that connects meanwhile waits in the listen queue
// and gets its greeting only after the hook.
func TestBeforeServeRunsBeforeAnyClientIsServed(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	e := servertest.New(t, func(c *config.Config) {
		c.Server.Listen = addr
		c.Server.ImplicitListen = ""
	})
	var early net.Conn
	ran := false
	e.Options = append(e.Options, server.WithBeforeServe(func() error {
		ran = true
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Errorf("the listener is not bound yet: %w", err)
		}
		early = c
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, _ := c.Read(make([]byte, 64)); n > 0 {
			return errors.New("a client was greeted before the hook returned")
		}
		return nil
	}))
	e.Start(t)
	if !ran {
		t.Fatal("the hook did not run")
	}
	defer early.Close()
	early.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(early).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "220") {
		t.Fatalf("after the hook: %q, %v", line, err)
	}
}

func TestBeforeServeErrorStopsStart(t *testing.T) {
	e := servertest.New(t)
	srv, err := server.New(e.Config, e.Store, nil, server.WithBeforeServe(func() error { return errors.New("no switch") }))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err == nil || err.Error() != "no switch" {
		t.Fatalf("Start: %v", err)
	}
	if len(srv.Addrs()) != 0 {
		t.Errorf("listening on %v after a failed start", srv.Addrs())
	}
	srv.Close()
}

// Addresses last seen longer ago than defender.known_address_days are
// forgotten when the server starts (and hourly after).
func TestOldKnownAddressesForgotten(t *testing.T) {
	e := servertest.New(t, func(c *config.Config) { c.Defender.KnownAddressDays = 30 })
	e.AddUser(t, "alice", "Alice-Pass-1")
	ctx := context.Background()
	now := time.Now()
	if err := e.Store.RecordKnownAddress(ctx, "alice", "203.0.113.1", now.AddDate(0, 0, -31)); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.RecordKnownAddress(ctx, "alice", "203.0.113.2", now.AddDate(0, 0, -29)); err != nil {
		t.Fatal(err)
	}
	e.Start(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		old, _ := e.Store.KnownAddress(ctx, "alice", "203.0.113.1", time.Time{})
		if !old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an address last seen 31 days ago is still kept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if recent, _ := e.Store.KnownAddress(ctx, "alice", "203.0.113.2", time.Time{}); !recent {
		t.Error("an address seen 29 days ago was forgotten")
	}
}
