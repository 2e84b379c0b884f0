package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

const day = 24 * time.Hour

// changedAgo sets when alice's password was last changed, as if time had
// passed.
func changedAgo(t *testing.T, e *servertest.Env, name string, d time.Duration) {
	t.Helper()
	u, err := e.Store.GetUser(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordChangedAt = time.Now().Add(-d)
	if err := e.Store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// An expired password lets the user in only to change it; after SITE PSWD
// the session works normally.
func TestExpiredPasswordRestrictedThenChanged(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Old-Pass-42x")
	changedAgo(t, e, "alice", 100*day)
	e.Start(t)

	c := ftptest.Dial(t, e.Explicit())
	c.UpgradeTLS(servertest.ClientTLS())
	c.Expect("USER alice", 331)
	text := c.Expect("PASS Old-Pass-42x", 230)
	if !strings.Contains(text, "expired") || !strings.Contains(text, "SITE PSWD") {
		t.Errorf("230 reply does not explain: %q", text)
	}
	for _, cmd := range []string{"PWD", "CWD /", "SIZE x", "EPSV"} {
		code, text := c.Send(cmd)
		if code != 530 || !strings.Contains(text, "SITE PSWD") {
			t.Errorf("%s in a restricted session: %d %q", cmd, code, text)
		}
	}
	c.Expect("NOOP", 200)
	if code, text := c.Send(`SITE PSWD Old-Pass-42x password`); code != 550 || !strings.Contains(text, "needs an uppercase letter") {
		t.Errorf("weak new password: %d %q", code, text)
	}
	if code, text := c.Send(`SITE PSWD Old-Pass-42x Password1`); code != 550 || !strings.Contains(text, "too easy to guess") {
		t.Errorf("common new password: %d %q", code, text)
	}
	if code, text := c.Send(`SITE PSWD "Old-Pass-42x" "New Pass 77 Strong"`); code != 200 {
		t.Fatalf("good change: %d %q", code, text)
	}
	c.Expect("PWD", 257)

	// The new password is the one that works now, in full sessions.
	if err := dial(t, e.Explicit(), false).Login("alice", "Old-Pass-42x"); err == nil {
		t.Error("old password still accepted")
	}
	fc := dial(t, e.Explicit(), false)
	if err := fc.Login("alice", "New Pass 77 Strong"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	if _, err := fc.List("/"); err != nil {
		t.Errorf("LIST after the change: %v", err)
	}

	// Straight away, another change is refused by the minimum age…
	if code, text := c.Send(`SITE PSWD "New Pass 77 Strong" Another-Pass-55`); code != 550 || !strings.Contains(text, "less than 1 day") {
		t.Errorf("minimum age: %d %q", code, text)
	}
	// …and later, going back to an old password is refused by the history.
	changedAgo(t, e, "alice", 2*day)
	if code, text := c.Send(`SITE PSWD "New Pass 77 Strong" Old-Pass-42x`); code != 550 || !strings.Contains(text, "used recently") {
		t.Errorf("reuse: %d %q", code, text)
	}
	// A wrong current password is answered like a failed login.
	if code, _ := c.Send(`SITE PSWD wrong-guess Another-Pass-55`); code != 530 {
		t.Errorf("wrong current password: %d", code)
	}
	if strings.Contains(e.Logs.String(), "New Pass 77 Strong") || strings.Contains(e.Logs.String(), "Old-Pass-42x") {
		t.Error("a password reached the log")
	}
}

func TestMustChangeAndWarning(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "bob", "Temp-Pass-42x", func(u *user.User) { u.MustChangePassword = true })
	e.AddUser(t, "carol", "Carol-Pass-42x")
	changedAgo(t, e, "carol", 80*day)
	e.Start(t)

	c := ftptest.Dial(t, e.Explicit())
	c.UpgradeTLS(servertest.ClientTLS())
	c.Expect("USER bob", 331)
	if text := c.Expect("PASS Temp-Pass-42x", 230); !strings.Contains(text, "change required") {
		t.Errorf("must-change 230: %q", text)
	}
	c.Expect("PWD", 530)
	c.Expect(`SITE PSWD Temp-Pass-42x Fresh-Own-Pass-88`, 200)
	c.Expect("PWD", 257)

	w := ftptest.Dial(t, e.Explicit())
	w.UpgradeTLS(servertest.ClientTLS())
	w.Expect("USER carol", 331)
	if text := w.Expect("PASS Carol-Pass-42x", 230); !strings.Contains(text, "expires in 10 day(s)") {
		t.Errorf("warning missing from 230: %q", text)
	}
	w.Expect("PWD", 257)
}

// SITE PSWD never travels in clear text.
func TestSitePswdNeedsTLS(t *testing.T) {
	e := servertest.New(t, func(c *config.Config) { c.TLS.Policy = config.PolicyOptional })
	e.AddUser(t, "alice", "Old-Pass-42x")
	changedAgo(t, e, "alice", 2*day)
	e.Start(t)
	c, err := ftp.Dial(e.Explicit(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("alice", "Old-Pass-42x"); err != nil {
		t.Fatal(err)
	}
	raw := ftptest.Dial(t, e.Explicit())
	raw.Login("alice", "Old-Pass-42x")
	if code, text := raw.Send("SITE PSWD Old-Pass-42x New-Pass-77-Strong"); code != 534 || !strings.Contains(text, "TLS") {
		t.Errorf("SITE PSWD in clear text: %d %q", code, text)
	}
	if err := dial(t, e.Explicit(), false).Login("alice", "Old-Pass-42x"); err != nil {
		t.Errorf("password changed over clear text: %v", err)
	}
}

// Expired accounts are refused outright, with the ordinary failure reply.
func TestAccountValidUntil(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "temp", "Temp-Pass-42x", func(u *user.User) { u.ValidUntil = time.Now().Add(-time.Minute) })
	e.Start(t)
	err := dial(t, e.Explicit(), false).Login("temp", "Temp-Pass-42x")
	wantCode(t, "expired account", err, 530, "Login incorrect")
	if !strings.Contains(e.Logs.String(), "reason=access_denied") || !strings.Contains(e.Logs.String(), "expired at") {
		t.Error("the log does not give the true reason")
	}
}
