// Package auth is the login pipeline: it finds the account, checks the
// password, upgrades legacy hashes and records the login. Every failure
// looks the same to the client (ErrLoginFailed after the same delay, at the
// same hashing cost), while the true reason goes to the log and to the
// caller as a FailureError.
package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// DefaultFailureDelay is used when Pipeline.FailureDelay is zero.
const DefaultFailureDelay = time.Second

// Attempt is one login attempt.
type Attempt struct {
	SessionID string
	Remote    netip.AddrPort
	User      string
	Password  string
	// TLS is true when the control connection is encrypted.
	TLS bool
}

// Pipeline checks logins. Store and Hasher are required; the other fields
// have usable zero values. A Pipeline is safe for concurrent use: a failed
// login blocks only its own call during the delay.
type Pipeline struct {
	Store  store.Store
	Hasher *password.Hasher
	// FailureDelay is waited after every failure, whatever its reason, so
	// that neither timing nor rate tells the reasons apart. Zero means
	// DefaultFailureDelay; negative means no delay.
	FailureDelay time.Duration
	// Sleep waits d or until ctx is done. Nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for LastLogin. Nil means time.Now.
	Now func() time.Time
	// Logger receives security events. Nil discards them.
	Logger *slog.Logger
	// Policy returns the password policy that applies to u: the server's
	// policy with u's groups' overrides. Nil means password.DefaultPolicy.
	Policy func(ctx context.Context, u *user.User) (password.Policy, error)
	// RefuseExpired refuses a login whose password has expired instead of
	// letting it into a restricted session.
	RefuseExpired bool
	// Guard lets an attack detector take part; nil means none.
	Guard Guard
	// Access decides whether u may log in from where and when a comes,
	// before the password is checked: credentials cannot be confirmed
	// from outside the allowed networks and hours. reason goes to the log;
	// explain is for clients of servers that choose helpful replies. Nil
	// allows everything.
	Access func(ctx context.Context, u *user.User, a Attempt) (ok bool, reason, explain string)
	// Cache remembers recent successful verifications, so that a repeated
	// login with the same account, stored hash and password skips the
	// hashing. Failures never use it. Nil caches nothing.
	Cache *VerifyCache
}

// Guard is the attack detector's part in logins.
type Guard interface {
	// Admit is asked when the password matched. False refuses the login
	// with the ordinary failure (ReasonAccountProtected): an account under
	// distributed attack accepts only its known addresses, and honeypot
	// names never log in.
	Admit(ctx context.Context, a Attempt, u *user.User) bool
	// Failed and Succeeded report every outcome (also those of SITE PSWD's
	// check of the current password).
	Failed(a Attempt, r Reason)
	Succeeded(a Attempt, u *user.User)
}

// Login checks a and returns the account on success. On failure the error
// is a *FailureError (errors.Is(err, ErrLoginFailed)), returned after
// FailureDelay or when ctx is done, whichever is first.
//
// Store errors are failures, never successes. A hash that matched but is
// legacy or made with other parameters is replaced with one made with the
// Hasher's current parameters before the login succeeds.
func (p *Pipeline) Login(ctx context.Context, a Attempt) (*user.User, error) {
	log := p.logger().With("session", a.SessionID, "remote", a.Remote.String(), "user", a.User)
	if p.Store == nil || p.Hasher == nil {
		log.Error("login pipeline has no store or hasher")
		return nil, p.fail(ctx, log, a, ReasonStoreError)
	}

	if err := user.ValidateName(a.User); err != nil {
		// Hash anyway so that no kind of failure is cheaper than another.
		p.Hasher.DummyVerify(a.Password)
		return nil, p.fail(ctx, log, a, ReasonInvalidName)
	}

	u, err := p.Store.GetUser(ctx, a.User)
	if errors.Is(err, store.ErrNotFound) {
		p.Hasher.DummyVerify(a.Password)
		return nil, p.fail(ctx, log, a, ReasonUnknownUser)
	}
	if err != nil {
		log.Error("login: user store failed", "err", err)
		return nil, p.fail(ctx, log, a, ReasonStoreError)
	}

	if p.Access != nil {
		if ok, reason, explain := p.Access(ctx, u, a); !ok {
			// Same hashing cost as any other attempt; the password itself
			// is never looked at.
			p.Hasher.DummyVerify(a.Password)
			log.Warn("login refused by access rules", "reason", reason)
			err := p.fail(ctx, log, a, ReasonAccessDenied)
			err.(*FailureError).Explain = explain
			return nil, err
		}
	}

	// The password is checked even for accounts that will be refused, so
	// that disabled accounts cost the same as any other.
	ok, needsRehash, err := p.verify(u, a.Password)
	switch {
	case err != nil:
		p.Hasher.DummyVerify(a.Password)
		log.Error("login: stored password hash unusable", "err", err)
		return nil, p.fail(ctx, log, a, ReasonStoreError)
	case !ok:
		return nil, p.fail(ctx, log, a, ReasonBadPassword)
	case u.Disabled:
		return nil, p.fail(ctx, log, a, ReasonDisabled)
	case u.RequireTLS && !a.TLS:
		return nil, p.fail(ctx, log, a, ReasonTLSRequired)
	case !u.ValidUntil.IsZero() && p.now().After(u.ValidUntil):
		return nil, p.fail(ctx, log, a, ReasonAccountExpired)
	}
	if p.Guard != nil && !p.Guard.Admit(ctx, a, u) {
		return nil, p.fail(ctx, log, a, ReasonAccountProtected)
	}

	if p.RefuseExpired {
		policy, err := p.policy(ctx, u)
		if err != nil {
			log.Error("login: password policy unavailable", "err", err)
			return nil, p.fail(ctx, log, a, ReasonStoreError)
		}
		if u.MustChangePassword || policy.Age(u.PasswordChangedAt, p.now(), u.AgingExempt).Expired {
			return nil, p.fail(ctx, log, a, ReasonPasswordExpired)
		}
	}

	if needsRehash {
		if err := p.upgrade(ctx, log, u, a.Password); err != nil {
			return nil, p.fail(ctx, log, a, ReasonStoreError)
		}
	}
	now := p.now()
	if err := p.Store.RecordLogin(ctx, u.Name, now); err != nil {
		log.Error("login: recording the login failed", "err", err)
		return nil, p.fail(ctx, log, a, ReasonStoreError)
	}
	u.LastLogin = now
	// Remembered only now that every check passed, under the hash that
	// is stored from here on.
	p.Cache.Store(u.Name, u.PasswordHash, a.Password)
	log.Debug("authenticated", "account", u.Name)
	if p.Guard != nil {
		p.Guard.Succeeded(a, u)
	}
	return u, nil
}

// verify checks pw against u's stored hash, skipping the hashing when the
// same password was verified against the same hash recently. A cached
// entry only ever says yes to the exact password that matched before;
// anything else takes the full path.
func (p *Pipeline) verify(u *user.User, pw string) (ok, needsRehash bool, err error) {
	if p.Cache.Hit(u.Name, u.PasswordHash, pw) {
		return true, false, nil
	}
	return p.Hasher.Verify(u.PasswordHash, pw)
}

// upgrade replaces u's hash with one made with the current parameters.
func (p *Pipeline) upgrade(ctx context.Context, log *slog.Logger, u *user.User, pw string) error {
	newHash, err := p.Hasher.Hash(pw)
	if err != nil {
		log.Error("login: rehashing password failed", "err", err)
		return err
	}
	if err := p.Store.SetPasswordHash(ctx, u.Name, newHash); err != nil {
		log.Error("login: storing upgraded password hash failed", "err", err)
		return err
	}
	log.Info("password hash upgraded", "account", u.Name, "from", hashScheme(u.PasswordHash))
	u.PasswordHash = newHash
	return nil
}

// fail logs the failure with its reason, waits the failure delay and
// returns the error. The log is written first so that a watcher sees the
// attempt without waiting for the delay.
func (p *Pipeline) fail(ctx context.Context, log *slog.Logger, a Attempt, r Reason) error {
	log.Debug("authentication failed", "reason", r.String(), "tls", a.TLS)
	if p.Guard != nil {
		p.Guard.Failed(a, r)
	}
	if d := p.delay(); d > 0 {
		sleep := p.Sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		// The error only says ctx ended; the login has failed either way.
		_ = sleep(ctx, d)
	}
	return &FailureError{Reason: r, User: a.User}
}

func (p *Pipeline) delay() time.Duration {
	if p.FailureDelay == 0 {
		return DefaultFailureDelay
	}
	return p.FailureDelay
}

func (p *Pipeline) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Pipeline) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// hashScheme names a hash's scheme for the upgrade log, without any of the
// hash itself.
func hashScheme(h string) string {
	for _, s := range []struct{ prefix, name string }{
		{"$argon2id$", "argon2id"}, {"$2a$", "bcrypt"}, {"$2b$", "bcrypt"}, {"$2y$", "bcrypt"}, {"$6$", "sha512-crypt"},
	} {
		if strings.HasPrefix(h, s.prefix) {
			return s.name
		}
	}
	return "unknown"
}
