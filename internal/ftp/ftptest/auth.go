package ftptest

import (
	"context"
	"crypto/subtle"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// Users maps user names to passwords.
type Users map[string]string

// Auth is an Authenticator for a fixed set of users who all see FS.
type Auth struct {
	Users Users
	FS    ftp.FileSystem
	// RequireTLS, Message, Restricted and RestrictedReason are copied into
	// every LoginResult.
	RequireTLS       bool
	Message          string
	Restricted       bool
	RestrictedReason string
	// ChangePassword, if not nil, serves SITE PSWD for every login; it is
	// told the user's name. It may be called from several sessions at
	// once.
	ChangePassword func(ctx context.Context, user, oldPassword, newPassword string) (string, error)
}

// Login checks the password and gives the user FS.
func (a *Auth) Login(ctx context.Context, info ftp.LoginInfo) (*ftp.LoginResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	want, ok := a.Users[info.User]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(info.Password)) != 1 {
		return nil, ftp.ErrLoginFailed
	}
	res := &ftp.LoginResult{
		User:             info.User,
		FS:               a.FS,
		RequireTLS:       a.RequireTLS,
		Message:          a.Message,
		Restricted:       a.Restricted,
		RestrictedReason: a.RestrictedReason,
	}
	if change := a.ChangePassword; change != nil {
		user := info.User
		res.ChangePassword = func(ctx context.Context, oldPassword, newPassword string) (string, error) {
			return change(ctx, user, oldPassword, newPassword)
		}
	}
	return res, nil
}
