package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bulwark-ftp/bulwark/internal/admin"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// passwords is the admin API's way to check and hash new passwords: with
// the policy and the hasher of the login pipeline in force, which a reload
// replaces, so that the API follows the configuration the server runs.
type passwords struct{ s *Server }

// Passwords returns what the admin API needs to create users and set
// passwords as this server would check them.
func (s *Server) Passwords() admin.Passwords { return passwords{s} }

var _ admin.Passwords = passwords{}

// Defaults are `bulwark user add`'s and `bulwark user passwd`'s: the home
// <data_dir>/<users.home_root>/NAME, full rights in it, and the
// password_policy.change_* settings; a name in defender.honeypot_users is
// refused.
func (p passwords) Defaults(name string) admin.Defaults {
	cfg := p.s.current()
	d := admin.Defaults{
		Perms:              user.Rules{{Path: "/", Rights: user.RightsAll}},
		ChangeAtFirstLogin: cfg.PasswordPolicy.ChangeAtFirstLogin,
		ChangeAfterReset:   cfg.PasswordPolicy.ChangeAfterReset,
	}
	home := cfg.DefaultHome(name)
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	d.Home = home
	if cfg.Defender.IsHoneypot(name) {
		d.NameRefused = "the name is in defender.honeypot_users: anyone who tries to log in with it is banned at once, so the account could never be used"
	}
	return d
}

// policy is the password policy in force for u, from the login pipeline.
func (p passwords) policy(ctx context.Context, u *user.User) (*password.Hasher, password.Policy, error) {
	pl := p.s.auth.pipeline.Load()
	if pl.Policy == nil {
		return pl.Hasher, password.DefaultPolicy(), nil
	}
	pol, err := pl.Policy(ctx, u)
	if err != nil {
		return nil, password.Policy{}, fmt.Errorf("password policy of %q: %w", u.Name, err)
	}
	return pl.Hasher, pol, nil
}

// Prepare checks pw against u's policy and hashes it. The history and the
// minimum age are not checked: an administrator's reset may restore a
// known password, as with `bulwark user passwd`. The replaced password
// still joins the history, keepHistory deep.
func (p passwords) Prepare(ctx context.Context, u *user.User, pw string) (string, int, error) {
	h, pol, err := p.policy(ctx, u)
	if err != nil {
		return "", 0, err
	}
	if err := pol.Check(pw, u.Name); err != nil {
		return "", 0, err
	}
	hash, err := h.Hash(pw)
	if err != nil {
		return "", 0, err
	}
	return hash, pol.History, nil
}

// Generate draws a random password that u's policy accepts.
func (p passwords) Generate(ctx context.Context, u *user.User) (string, error) {
	_, pol, err := p.policy(ctx, u)
	if err != nil {
		return "", err
	}
	return pol.GenerateFor(u.Name)
}

// CreateHome makes dir, and any parent missing, as `bulwark user add`
// does.
func (p passwords) CreateHome(dir string) error {
	if !filepath.IsAbs(dir) {
		return errors.New("home directory: not an absolute path")
	}
	return os.MkdirAll(dir, vfs.DirMode)
}
