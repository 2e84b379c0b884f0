package server

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/bulwark-ftp/bulwark/internal/auth"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/metrics"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// authenticator adapts the login pipeline to the engine: a successful login
// gets the user's jailed file system.
type authenticator struct {
	// pipeline and cfg are replaced whole by a reload.
	pipeline atomic.Pointer[auth.Pipeline]
	cfg      atomic.Pointer[config.Config]
	logger   *slog.Logger
	store    store.Store
	gen      *generation
	usage    *usageBook
	sessions sessionCounter
	// metrics counts logins by outcome; nil counts nothing.
	metrics *metrics.Metrics

	mu       sync.Mutex
	accesses map[string]*userAccess
}

func (a *authenticator) Login(ctx context.Context, info ftp.LoginInfo) (_ *ftp.LoginResult, err error) {
	defer func() { a.metrics.Login(err == nil, loginReason(err)) }()
	u, err := a.pipeline.Load().Login(ctx, auth.Attempt{
		SessionID: info.SessionID,
		Remote:    info.Remote,
		User:      info.User,
		Password:  info.Password,
		TLS:       info.TLS != nil,
	})
	if err != nil {
		reason := "error"
		var fe *auth.FailureError
		if errors.As(err, &fe) {
			reason = fe.Reason.String()
			if fe.Explain != "" && a.cfg.Load().Access.ExplainDenials {
				// The site chose helpful replies over not confirming
				// credentials: say why (RFC 959 §4.2.2: 530).
				return nil, &explainedFailure{reason: reason, text: "Login refused: " + fe.Explain}
			}
		}
		return nil, &ftp.LoginFailure{Reason: reason}
	}
	home := u.Home
	if !filepath.IsAbs(home) {
		home = a.cfg.Load().Resolve(home)
	}
	acc := a.accessFor(u)
	release, err := a.sessions.acquire(u.Name, acc.User().MaxSessions)
	if err != nil {
		return nil, err
	}
	fsys, err := vfs.New(home, vfs.Options{
		CreateHome:      true,
		Logger:          a.logger,
		User:            u.Name,
		Policy:          acc.Policy,
		Meter:           acc.meter(a.usage, home),
		UploadLimiter:   acc.up,
		DownloadLimiter: acc.down,
		NoSync:          !a.cfg.Load().Server.FsyncUploads,
	})
	if err != nil {
		release()
		// The account is fine but its home is unusable: refuse the login and
		// say why in the log only.
		a.logger.Error("home directory unusable", "user", u.Name, "err", err)
		return nil, &ftp.LoginFailure{Reason: "home_unusable"}
	}
	state, err := a.pipeline.Load().PasswordState(ctx, u)
	if err != nil {
		fsys.Close()
		release()
		a.logger.Error("password policy unavailable", "user", u.Name, "err", err)
		return nil, &ftp.LoginFailure{Reason: "policy_unavailable"}
	}
	if state.Restricted {
		a.logger.Info("session restricted to a password change", "user", u.Name, "reason", state.Reason)
	}
	return &ftp.LoginResult{
		User:             u.Name,
		FS:               fsys,
		RequireTLS:       u.RequireTLS,
		Message:          state.Warning,
		Restricted:       state.Restricted,
		RestrictedReason: state.Reason,
		ChangePassword:   a.changePassword(info, u.Name),
		Close: func() {
			fsys.Close()
			release()
		},
	}, nil
}

// changePassword implements SITE PSWD for one session's user.
func (a *authenticator) changePassword(info ftp.LoginInfo, name string) func(ctx context.Context, oldPassword, newPassword string) (string, error) {
	return func(ctx context.Context, oldPassword, newPassword string) (string, error) {
		err := a.pipeline.Load().ChangePassword(ctx, auth.Attempt{
			SessionID: info.SessionID,
			Remote:    info.Remote,
			User:      name,
			Password:  oldPassword,
			TLS:       true,
		}, newPassword)
		var refused *auth.ChangeRefused
		var failed *auth.FailureError
		switch {
		case err == nil:
			return "Password changed", nil
		case errors.As(err, &refused):
			// RFC 959 §4.2.2: 550, requested action not taken.
			return "", &publicError{code: 550, text: refused.Text}
		case errors.As(err, &failed):
			return "", &ftp.LoginFailure{Reason: failed.Reason.String()}
		}
		return "", err
	}
}

// accessFor returns the shared access object of a user, so that all their
// sessions share one bandwidth budget and see rights changes together.
func (a *authenticator) accessFor(u *user.User) *userAccess {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := lowerName(u.Name)
	if acc, ok := a.accesses[key]; ok {
		acc.refresh(context.Background(), true)
		return acc
	}
	acc := newAccess(a.store, a.gen, a.logger, u)
	a.accesses[key] = acc
	return acc
}
