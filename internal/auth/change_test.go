package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

const day = 24 * time.Hour

// movable is a clock a test can move forward.
type movable struct{ t time.Time }

func (m *movable) now() time.Time          { return m.t }
func (m *movable) advance(d time.Duration) { m.t = m.t.Add(d) }

func agingFixture(t *testing.T) (*fixture, *movable) {
	f := newFixture(t)
	c := &movable{t: clock}
	f.p.Now = c.now
	policy := password.DefaultPolicy()
	f.p.Policy = func(context.Context, *user.User) (password.Policy, error) { return policy, nil }
	return f, c
}

func TestPasswordState(t *testing.T) {
	f, c := agingFixture(t)
	f.addUser(t, &user.User{Name: "alice", PasswordChangedAt: clock}, "Old-Pass-42x")
	f.addUser(t, &user.User{Name: "robot", PasswordChangedAt: clock, AgingExempt: true}, "Old-Pass-42x")
	f.addUser(t, &user.User{Name: "newbie", PasswordChangedAt: clock, MustChangePassword: true}, "Old-Pass-42x")
	ctx := context.Background()
	state := func(name string) State {
		t.Helper()
		u, err := f.store.GetUser(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.p.PasswordState(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := state("alice"); s.Restricted || s.Warning != "" {
		t.Errorf("fresh password: %+v", s)
	}
	if s := state("newbie"); !s.Restricted || !strings.Contains(s.Reason, "SITE PSWD") {
		t.Errorf("must change: %+v", s)
	}
	c.advance(80 * day) // 10 days left, inside the 14-day warning
	if s := state("alice"); s.Restricted || !strings.Contains(s.Warning, "expires in 10 day(s)") {
		t.Errorf("within warning: %+v", s)
	}
	c.advance(10*day - time.Second)
	if s := state("alice"); s.Restricted {
		t.Errorf("one second before expiry: %+v", s)
	}
	c.advance(time.Second)
	if s := state("alice"); !s.Restricted || !strings.Contains(s.Reason, "expired") {
		t.Errorf("at expiry: %+v", s)
	}
	if s := state("robot"); s.Restricted || s.Warning != "" {
		t.Errorf("exempt account: %+v", s)
	}
}

func TestRefuseExpiredAndAccountValidity(t *testing.T) {
	f, c := agingFixture(t)
	f.p.RefuseExpired = true
	f.addUser(t, &user.User{Name: "alice", PasswordChangedAt: clock}, "Old-Pass-42x")
	f.addUser(t, &user.User{Name: "temp", PasswordChangedAt: clock, ValidUntil: clock.Add(7 * day)}, "Old-Pass-42x")
	ctx := context.Background()
	if _, err := f.p.Login(ctx, attempt("temp", "Old-Pass-42x")); err != nil {
		t.Fatalf("valid account refused: %v", err)
	}
	c.advance(7*day + time.Second)
	var fe *FailureError
	if _, err := f.p.Login(ctx, attempt("temp", "Old-Pass-42x")); !errors.As(err, &fe) || fe.Reason != ReasonAccountExpired {
		t.Errorf("expired account: %v", err)
	}
	c.advance(90 * day)
	if _, err := f.p.Login(ctx, attempt("alice", "Old-Pass-42x")); !errors.As(err, &fe) || fe.Reason != ReasonPasswordExpired {
		t.Errorf("expired password with RefuseExpired: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	f, c := agingFixture(t)
	f.addUser(t, &user.User{Name: "alice", PasswordChangedAt: clock}, "Old-Pass-42x")
	ctx := context.Background()
	change := func(old, new string) error {
		return f.p.ChangePassword(ctx, attempt("alice", old), new)
	}
	refused := func(what string, err error, want string) {
		t.Helper()
		var r *ChangeRefused
		if !errors.As(err, &r) || !strings.Contains(r.Text, want) {
			t.Errorf("%s: %v, want a refusal containing %q", what, err, want)
		}
	}

	// A wrong current password is a failed login, with the delay.
	before := len(f.slept())
	err := change("wrong", "Brand-New-Pass-77")
	var fe *FailureError
	if !errors.As(err, &fe) || fe.Reason != ReasonBadPassword || !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("wrong old password: %v", err)
	}
	if len(f.slept()) != before+1 {
		t.Error("wrong old password was not delayed")
	}

	// Minimum age: changed today, so not yet.
	refused("minimum age", change("Old-Pass-42x", "Brand-New-Pass-77"), "less than 1 day ago")
	c.advance(day)
	refused("weak", change("Old-Pass-42x", "password"), "needs an uppercase letter")
	refused("common", change("Old-Pass-42x", "Password1"), "too easy to guess")
	refused("contains name", change("Old-Pass-42x", "alice-Secret-9941"), "must not contain the user name")
	refused("same", change("Old-Pass-42x", "Old-Pass-42x"), "must differ from the current password")
	if err := change("Old-Pass-42x", "Brand-New-Pass-77"); err != nil {
		t.Fatalf("good change refused: %v", err)
	}
	u, _ := f.store.GetUser(ctx, "alice")
	if !u.PasswordChangedAt.Equal(c.t) || u.MustChangePassword {
		t.Errorf("after change: changed at %v, must change %v", u.PasswordChangedAt, u.MustChangePassword)
	}
	if _, err := f.p.Login(ctx, attempt("alice", "Brand-New-Pass-77")); err != nil {
		t.Fatalf("new password refused at login: %v", err)
	}

	// History: going back to the old one is refused even after the
	// minimum age.
	c.advance(2 * day)
	refused("history", change("Brand-New-Pass-77", "Old-Pass-42x"), "used recently")
}

// A must-change account may change at once: the minimum age does not apply
// to a forced change.
func TestForcedChangeIgnoresMinimumAge(t *testing.T) {
	f, _ := agingFixture(t)
	f.addUser(t, &user.User{Name: "bob", PasswordChangedAt: clock, MustChangePassword: true}, "Temp-Pass-42x")
	if err := f.p.ChangePassword(context.Background(), attempt("bob", "Temp-Pass-42x"), "Fresh-Own-Pass-88"); err != nil {
		t.Fatalf("forced change refused: %v", err)
	}
	u, _ := f.store.GetUser(context.Background(), "bob")
	if u.MustChangePassword {
		t.Error("must-change flag not cleared")
	}
}
