package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// fakeClock is a clock the test moves; the server's time rules read it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func newYork(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A user allowed only from 127.0.0.5 is refused from 127.0.0.6 even with
// the right password, with the ordinary reply.
func TestUserAllowedOnlyFromOneAddress(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "partner", "Partner-Pass-42x", func(u *user.User) {
		u.Access.AllowIPs = []string{"127.0.0.5"}
	})
	e.Start(t)
	c, err := dialFrom(t, e.Explicit(), "127.0.0.6")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "login from another address", c.Login("partner", "Partner-Pass-42x"), 530, "Login incorrect")
	if !strings.Contains(e.Logs.String(), "reason=access_denied") {
		t.Error("the true reason is not in the log")
	}
	ok, err := dialFrom(t, e.Explicit(), "127.0.0.5")
	if err != nil {
		t.Fatal(err)
	}
	if err := ok.Login("partner", "Partner-Pass-42x"); err != nil {
		t.Fatalf("login from the allowed address: %v", err)
	}
}

// Outside the user's weekly window the login is refused; with
// explain_denials the reply says when access opens.
func TestOutsideWindowRefused(t *testing.T) {
	ny := newYork(t)
	clock := &fakeClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, ny)} // a Saturday
	for _, explain := range []bool{false, true} {
		e := servertest.New(t, func(c *config.Config) { c.Access.ExplainDenials = explain })
		e.Options = []server.Option{server.WithClock(clock.now)}
		e.AddUser(t, "partner", "Partner-Pass-42x", func(u *user.User) {
			u.Access.Schedule = []string{"Mon-Fri 06:00-18:00"}
			u.Access.TimeZone = "America/New_York"
		})
		e.Start(t)
		err := dial(t, e.Explicit(), false).Login("partner", "Partner-Pass-42x")
		if explain {
			wantCode(t, "explained refusal", err, 530, "Mon 06:00")
		} else {
			wantCode(t, "plain refusal", err, 530, "Login incorrect")
		}
	}
}

// When the window closes, a running session gets 421 and is closed within
// a few seconds.
func TestSessionClosedWhenWindowEnds(t *testing.T) {
	ny := newYork(t)
	clock := &fakeClock{t: time.Date(2026, 11, 30, 17, 59, 0, 0, ny)} // Monday, a minute before closing
	e := servertest.New(t)
	e.Options = []server.Option{server.WithClock(clock.now)}
	e.AddUser(t, "partner", "Partner-Pass-42x", func(u *user.User) {
		u.Access.Schedule = []string{"Mon-Fri 06:00-18:00"}
		u.Access.TimeZone = "America/New_York"
	})
	e.Start(t)
	c := dial(t, e.Explicit(), false)
	if err := c.Login("partner", "Partner-Pass-42x"); err != nil {
		t.Fatalf("login inside the window: %v", err)
	}
	if err := c.NoOp(); err != nil {
		t.Fatal(err)
	}
	clock.set(time.Date(2026, 11, 30, 18, 0, 1, 0, ny))
	waitFor(t, "the session to be closed", func() bool { return c.NoOp() != nil })
	waitFor(t, "the closing to be logged", func() bool {
		return strings.Contains(e.Logs.String(), "session closed by access rules")
	})
}

// Server-level deny rules refuse at accept, before TLS.
func TestServerDenyAtAccept(t *testing.T) {
	e := servertest.New(t, func(c *config.Config) { c.Access.DenyIPs = []string{"127.0.0.7"} })
	e.Start(t)
	if !refusedAtDoor(t, e.Explicit(), "127.0.0.7") {
		t.Fatal("denied address admitted")
	}
	if refusedAtDoor(t, e.Explicit(), "127.0.0.8") {
		t.Fatal("other address refused")
	}
}

// With a grace period, a transfer running when the window closes may
// finish; the session is closed once it has.
func TestWindowGracePeriodLetsTransferFinish(t *testing.T) {
	ny := newYork(t)
	clock := &fakeClock{t: time.Date(2026, 11, 30, 17, 59, 0, 0, ny)}
	e := servertest.New(t, func(c *config.Config) { c.Access.GracePeriod.Duration = time.Hour })
	e.Options = []server.Option{server.WithClock(clock.now)}
	e.AddUser(t, "partner", "Partner-Pass-42x", func(u *user.User) {
		u.Access.Schedule = []string{"Mon-Fri 06:00-18:00"}
		u.Access.TimeZone = "America/New_York"
	})
	e.Start(t)
	r := rawLogin(t, e, "partner", "Partner-Pass-42x")
	r.c.Expect("PBSZ 0", 200)
	r.c.Expect("PROT P", 200)
	dc := r.c.OpenPassiveData()
	r.c.Expect("STOR report.csv", 150)
	tc, err := r.c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Write([]byte("first half,")); err != nil {
		t.Fatal(err)
	}
	clock.set(time.Date(2026, 11, 30, 18, 0, 1, 0, ny))
	waitFor(t, "the grace period to start", func() bool {
		return strings.Contains(e.Logs.String(), "may finish within the grace period")
	})
	if _, err := tc.Write([]byte("second half\n")); err != nil {
		t.Fatalf("transfer cut despite the grace period: %v", err)
	}
	tc.Close()
	r.c.ExpectReply(226)
	data, err := os.ReadFile(filepath.Join(e.Config.DefaultHome("partner"), "report.csv"))
	if err != nil || string(data) != "first half,second half\n" {
		t.Fatalf("uploaded file %q, %v", data, err)
	}
	waitFor(t, "the session to be closed after the transfer", func() bool {
		code, _, err := r.c.ReadReplyErr()
		return err != nil || code == 421
	})
}
