package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// ChangeRefused is a password change refused for a reason the user may read:
// the policy's failed rules, the minimum age, the history.
type ChangeRefused struct {
	Text string
}

func (e *ChangeRefused) Error() string { return e.Text }

// State is what a successful login's password means for the session.
type State struct {
	// Restricted: only a password change is possible (expired or must
	// change).
	Restricted bool
	// Reason says why and how to get out, for the client.
	Reason string
	// Warning, when not empty, tells the client the password expires soon.
	Warning string
}

const changeHint = "change it with SITE PSWD <old> <new> (quote passwords that contain spaces)"

// PasswordState tells whether u's session must be restricted to a
// password change, or warned that the password expires soon.
func (p *Pipeline) PasswordState(ctx context.Context, u *user.User) (State, error) {
	if u.MustChangePassword {
		return State{Restricted: true, Reason: "Password change required: " + changeHint}, nil
	}
	policy, err := p.policy(ctx, u)
	if err != nil {
		return State{}, err
	}
	age := policy.Age(u.PasswordChangedAt, p.now(), u.AgingExempt)
	switch {
	case age.Expired:
		return State{Restricted: true, Reason: "Password expired: " + changeHint}, nil
	case age.Warn:
		return State{Warning: fmt.Sprintf("Your password expires in %d day(s), on %s: %s",
			age.DaysLeft, age.ExpiresAt.UTC().Format(time.DateOnly), changeHint)}, nil
	}
	return State{}, nil
}

// ChangePassword is a user's own password change (SITE PSWD): a.Password
// is the current password. A wrong current password is a failed login (the
// same FailureError, delay and log line as Login's), so guessing through
// this door is no cheaper than through the front one. Other refusals are
// *ChangeRefused with the reasons in plain words.
func (p *Pipeline) ChangePassword(ctx context.Context, a Attempt, newPassword string) error {
	log := p.logger().With("session", a.SessionID, "remote", a.Remote.String(), "user", a.User)
	u, err := p.Store.GetUser(ctx, a.User)
	if err != nil {
		p.Hasher.DummyVerify(a.Password)
		if !errors.Is(err, store.ErrNotFound) {
			log.Error("password change: user store failed", "err", err)
		}
		return p.failChange(ctx, log, a, ReasonUnknownUser)
	}
	ok, _, err := p.Hasher.Verify(u.PasswordHash, a.Password)
	if err != nil || !ok {
		return p.failChange(ctx, log, a, ReasonBadPassword)
	}
	if u.Disabled {
		return p.failChange(ctx, log, a, ReasonDisabled)
	}
	policy, err := p.policy(ctx, u)
	if err != nil {
		log.Error("password change: policy unavailable", "err", err)
		return errors.New("password policy unavailable")
	}
	if err := p.checkNewPassword(ctx, u, policy, a.Password, newPassword); err != nil {
		log.Warn("password change refused", "reason", err.Error())
		return err
	}
	hash, err := p.Hasher.Hash(newPassword)
	if err != nil {
		return err
	}
	if err := p.Store.SetPassword(ctx, u.Name, hash, p.now(), false, policy.History); err != nil {
		log.Error("password change: storing failed", "err", err)
		return err
	}
	// The new hash already makes the old entry useless; dropping it
	// frees the slot at once.
	p.Cache.Forget(u.Name)
	log.Info("password changed by user")
	return nil
}

// checkNewPassword applies the policy, the minimum age and the history.
func (p *Pipeline) checkNewPassword(ctx context.Context, u *user.User, policy password.Policy, oldPassword, newPassword string) error {
	var reasons []string
	if err := policy.Check(newPassword, u.Name); err != nil {
		var pe *password.PolicyError
		if !errors.As(err, &pe) {
			return &ChangeRefused{Text: "Password refused"}
		}
		reasons = append(reasons, pe.Failures...)
	}
	if newPassword == oldPassword {
		reasons = append(reasons, "must differ from the current password")
	}
	if len(reasons) > 0 {
		return &ChangeRefused{Text: "Password refused: " + strings.Join(reasons, "; ")}
	}
	now := p.now()
	expired := policy.Age(u.PasswordChangedAt, now, u.AgingExempt).Expired
	if !u.MustChangePassword && !expired && !u.PasswordChangedAt.IsZero() {
		if at := policy.ChangeAllowedAt(u.PasswordChangedAt); now.Before(at) {
			return &ChangeRefused{Text: fmt.Sprintf("Password refused: it was changed less than %s ago; try again after %s UTC",
				days(policy.MinAge), at.UTC().Format("2006-01-02 15:04"))}
		}
	}
	if policy.History > 0 {
		old, err := p.Store.PasswordHistory(ctx, u.Name, policy.History)
		if err != nil {
			return err
		}
		if p.Hasher.InHistory(newPassword, old) {
			return &ChangeRefused{Text: fmt.Sprintf("Password refused: it was used recently; choose one that is not among your last %d passwords", policy.History)}
		}
	}
	return nil
}

func days(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	if n == 1 {
		return "1 day"
	}
	if n > 1 {
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}

// failChange logs a failed password change like a failed login (the
// attack detector reads both) and waits the same delay.
func (p *Pipeline) failChange(ctx context.Context, log interface {
	Warn(string, ...any)
}, a Attempt, r Reason) error {
	log.Warn("password change failed", "reason", r.String())
	if p.Guard != nil {
		p.Guard.Failed(a, r)
	}
	if d := p.delay(); d > 0 {
		sleep := p.Sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		_ = sleep(ctx, d)
	}
	return &FailureError{Reason: r, User: a.User}
}

// policy returns the password policy that applies to u.
func (p *Pipeline) policy(ctx context.Context, u *user.User) (password.Policy, error) {
	if p.Policy == nil {
		return password.DefaultPolicy(), nil
	}
	return p.Policy(ctx, u)
}
