package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// listCounter counts ListUsers calls, to see the cache spare the store.
type listCounter struct {
	store.Store
	n atomic.Int64
}

func (c *listCounter) ListUsers(ctx context.Context) ([]*user.User, error) {
	c.n.Add(1)
	return c.Store.ListUsers(ctx)
}

func TestPasswordExpiriesCountedAndCached(t *testing.T) {
	const day = 24 * time.Hour
	st := openStore(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	at := func() time.Time { return *clock.Load() }

	short := 10
	if err := st.CreateGroup(ctx, &user.Group{Name: "contractors",
		PasswordRules: user.PasswordRules{MaxAgeDays: &short}}); err != nil {
		t.Fatal(err)
	}
	add := func(name string, changedAgo time.Duration, edit func(*user.User)) {
		t.Helper()
		u := &user.User{Name: name, PasswordHash: "x", Home: "/home/" + name,
			PasswordChangedAt: now.Add(-changedAgo)}
		if edit != nil {
			edit(u)
		}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	add("fresh", 0, nil)         // 90 days left: not counted
	add("soon", 85*day, nil)     // 5 days left: 7d and 30d
	add("edge7", 83*day, nil)    // exactly 7 days left: 7d and 30d
	add("month", 70*day, nil)    // 20 days left: 30d
	add("edge30", 60*day, nil)   // exactly 30 days left: 30d
	add("later", 59*day, nil)    // 31 days left: not counted
	add("gone", 100*day, nil)    // expired
	add("justgone", 90*day, nil) // expires exactly now: expired
	add("exempt", 200*day, func(u *user.User) { u.AgingExempt = true })
	add("contractor", 5*day, func(u *user.User) { u.Groups = []string{"contractors"} }) // 5 of 10 days left: 7d and 30d

	base := password.DefaultPolicy()
	base.MaxAge = 90 * day
	counter := &listCounter{Store: st}
	c := &expiryCache{store: counter, now: at, logger: slog.New(slog.DiscardHandler), ttl: time.Minute,
		policy: func() (password.Policy, error) { return base, nil }}

	check := func(what string, w7, w30, exp int) {
		t.Helper()
		g7, g30, gexp := c.get()
		if g7 != w7 || g30 != w30 || gexp != exp {
			t.Errorf("%s: got (7d %d, 30d %d, expired %d), want (%d, %d, %d)", what, g7, g30, gexp, w7, w30, exp)
		}
	}
	check("first", 3, 5, 2)
	if n := counter.n.Load(); n != 1 {
		t.Fatalf("store read %d times, want 1", n)
	}

	add("another", 95*day, nil)
	later := now.Add(59 * time.Second)
	clock.Store(&later)
	check("within the minute", 3, 5, 2)
	if n := counter.n.Load(); n != 1 {
		t.Fatalf("store read %d times within the cache's minute, want 1", n)
	}

	later = now.Add(time.Minute)
	clock.Store(&later)
	check("after the minute", 3, 5, 3)
	if n := counter.n.Load(); n != 2 {
		t.Fatalf("store read %d times, want 2", n)
	}

	// A store failure keeps the last counts.
	st.Close()
	later = now.Add(3 * time.Minute)
	clock.Store(&later)
	check("store closed", 3, 5, 3)
	if n := counter.n.Load(); n != 3 {
		t.Fatalf("store read %d times, want 3 (the failed try included)", n)
	}
}

func TestLoginReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&ftp.LoginFailure{Reason: "bad_password"}, "bad_password"},
		{fmt.Errorf("wrapped: %w", &ftp.LoginFailure{Reason: "unknown_user"}), "unknown_user"},
		{&explainedFailure{reason: "access_denied", text: "Login refused: outside hours"}, "access_denied"},
		{&limitError{text: "Too many sessions"}, "too_many_sessions"},
		{errors.New("context canceled"), "error"},
	}
	for _, tt := range tests {
		if got := loginReason(tt.err); got != tt.want {
			t.Errorf("loginReason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
