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
	e := newEnv(t)
	e.addUser(t, "alice", "Alice-Pass-1")
	e.addUser(t, "bob", "Bob-Pass-1")
	e.start(t)
	a1 := rawLogin(t, e, "alice", "Alice-Pass-1")
	a2 := rawLogin(t, e, "ALICE", "Alice-Pass-1")
	b := rawLogin(t, e, "bob", "Bob-Pass-1")

	ctx := context.Background()
	u, err := e.store.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	// Made through the store, as the CLI does from another process: the
	// server notices on its own.
	expectKicked(t, a1, "disabled")
	expectKicked(t, a2, "disabled")
	b.c.Expect("NOOP", 200)
}

func TestDeletingUserEndsSessions(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", "Alice-Pass-1")
	e.addUser(t, "bob", "Bob-Pass-1")
	e.start(t)
	a := rawLogin(t, e, "alice", "Alice-Pass-1")
	b := rawLogin(t, e, "bob", "Bob-Pass-1")
	if err := e.store.DeleteUser(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	expectKicked(t, a, "removed")
	b.c.Expect("NOOP", 200)
}

// Withdrawing a share (here: the group grant) ends the sessions of the
// users who had it mounted, and only theirs; other changes end nothing.
func TestRevokingShareEndsAffectedSessions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.store.CreateGroup(ctx, &user.Group{Name: "staff"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"projects", "other"} {
		if err := e.store.CreateShare(ctx, &user.Share{Name: name, Path: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
	}
	e.addUser(t, "alice", "Alice-Pass-1", func(u *user.User) { u.Groups = []string{"staff"} })
	e.addUser(t, "bob", "Bob-Pass-1")
	e.addUser(t, "carol", "Carol-Pass-1")
	if err := e.store.SetGrant(ctx, user.Grant{Share: "projects", Group: "staff", At: "/projects", Rights: user.RightsRead}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetGrant(ctx, user.Grant{Share: "other", User: "carol", At: "/other", Rights: user.RightsRead}); err != nil {
		t.Fatal(err)
	}
	e.start(t)
	a := rawLogin(t, e, "alice", "Alice-Pass-1")
	b := rawLogin(t, e, "bob", "Bob-Pass-1")
	c := rawLogin(t, e, "carol", "Carol-Pass-1")

	// An unrelated change (bob's comment) is noticed but ends nothing.
	u, _ := e.store.GetUser(ctx, "bob")
	u.Comment = "partner"
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e.srv.Refresh(ctx)
	if err := e.store.RemoveGrant(ctx, "projects", "", "staff", ""); err != nil {
		t.Fatal(err)
	}
	expectKicked(t, a, "withdrawn")
	b.c.Expect("NOOP", 200)
	c.c.Expect("NOOP", 200)
}

// Refresh (what the admin API calls after a change) acts before it
// returns.
func TestRefreshEndsSessionsAtOnce(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", "Alice-Pass-1")
	e.start(t)
	a := rawLogin(t, e, "alice", "Alice-Pass-1")
	ctx := context.Background()
	e.srv.Refresh(ctx) // the watch knows alice now
	if err := e.store.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	e.srv.Refresh(ctx)
	for _, si := range e.srv.Sessions() {
		if strings.EqualFold(si.User, "alice") {
			t.Fatalf("session %s of a deleted user still open after Refresh", si.ID)
		}
	}
	expectKicked(t, a, "removed")
}

func TestReadyUntilShutdown(t *testing.T) {
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	if err := e.srv.Ready(ctx); err != nil {
		t.Fatalf("a started server is not ready: %v", err)
	}
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Ready(ctx); err == nil {
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
	e := newEnv(t, func(c *config.Config) {
		c.Server.Listen = addr
		c.Server.ImplicitListen = ""
	})
	var early net.Conn
	ran := false
	e.opts = append(e.opts, server.WithBeforeServe(func() error {
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
	e.start(t)
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
	e := newEnv(t)
	srv, err := server.New(e.cfg, e.store, nil, server.WithBeforeServe(func() error { return errors.New("no switch") }))
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
