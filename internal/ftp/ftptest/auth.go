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
	// RequireTLS and Message are copied into every LoginResult.
	RequireTLS bool
	Message    string
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
	return &ftp.LoginResult{
		User:       info.User,
		FS:         a.FS,
		RequireTLS: a.RequireTLS,
		Message:    a.Message,
	}, nil
}
