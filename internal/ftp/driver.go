package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"time"
)

// The interfaces in this file are everything the protocol engine asks of the
// rest of the program. The engine knows nothing of users, passwords or SQL:
// it hands credentials to an Authenticator and paths to a FileSystem.

// Authenticator checks a login. It may block (for example to delay a failed
// attempt); it must return when ctx is done.
type Authenticator interface {
	Login(ctx context.Context, info LoginInfo) (*LoginResult, error)
}

// LoginInfo describes one login attempt.
type LoginInfo struct {
	SessionID string
	Remote    netip.AddrPort
	Local     netip.AddrPort
	User      string
	Password  string
	// TLS is nil when the control connection is in clear text.
	TLS *tls.ConnectionState
}

// LoginResult is what a successful login gives the session.
type LoginResult struct {
	// User is the canonical user name, used in logs.
	User string
	// FS is the user's view of the file system.
	FS FileSystem
	// RequireTLS refuses this user over a clear-text control connection even
	// when the server's policy is optional.
	RequireTLS bool
	// Message, if not empty, is added to the 230 reply (one line per "\n").
	Message string
	// Close is called once when the session ends; may be nil.
	Close func()

	// Restricted starts a session in which only SITE PSWD, FEAT, NOOP,
	// HELP and QUIT work (an expired or must-change password); every other
	// command is refused with 530 and RestrictedReason, which must say how
	// to get out ("Password expired: change it with SITE PSWD <old> <new>").
	Restricted       bool
	RestrictedReason string

	// ChangePassword, if not nil, implements SITE PSWD for this session. It
	// returns the text of the success reply, or an error: a PublicError's
	// text is shown to the client (the policy's reasons); any other error
	// gets a generic refusal. A successful change lifts Restricted.
	ChangePassword func(ctx context.Context, oldPassword, newPassword string) (string, error)
}

// ErrLoginFailed is the one failure an Authenticator returns for bad
// credentials, unknown users and refused accounts alike. The engine answers
// 530 without saying which it was.
var ErrLoginFailed = errors.New("login incorrect")

// LoginFailure lets an Authenticator give the log, never the client, the
// true reason a login failed ("unknown_user", "bad_password", ...). It
// unwraps to ErrLoginFailed.
type LoginFailure struct {
	Reason string
}

func (e *LoginFailure) Error() string { return "login incorrect: " + e.Reason }
func (e *LoginFailure) Unwrap() error { return ErrLoginFailed }

// FileSystem is one user's view of files. Every name it receives is an
// absolute, cleaned virtual path ("/", "/a/b"), already resolved against the
// session's working directory; it never contains "." or ".." elements. The
// implementation is responsible for permission checks and for keeping every
// operation inside the user's jail.
type FileSystem interface {
	// Stat describes a file or directory.
	Stat(name string) (fs.FileInfo, error)
	// OpenDir opens a directory for a streamed listing; ReadDir(n) is called
	// with n > 0 until io.EOF.
	OpenDir(name string) (fs.ReadDirFile, error)
	// Open opens a file for reading, positioned at offset.
	Open(name string, offset int64) (io.ReadCloser, error)
	// Create starts an upload. Nothing is visible at name until the returned
	// Upload is committed.
	Create(name string, opts CreateOptions) (Upload, error)
	Mkdir(name string) error
	Remove(name string) error
	Rmdir(name string) error
	Rename(from, to string) error
	Chtimes(name string, mtime time.Time) error
	Chmod(name string, mode fs.FileMode) error
}

// CreateOptions say how an upload relates to an existing file.
type CreateOptions struct {
	// Offset > 0 resumes: the first Offset bytes of the existing file are kept
	// and the upload continues from there (REST + STOR).
	Offset int64
	// Append continues at the end of the existing file (APPE).
	Append bool
	// Exclusive fails with fs.ErrExist when name exists (STOU).
	Exclusive bool
}

// Upload receives the data of one STOR, STOU or APPE.
type Upload interface {
	io.Writer
	// Commit makes the upload visible at its name, atomically replacing any
	// previous version.
	Commit() error
	// Abort ends an upload that did not complete. It never destroys or
	// shortens the previous version of the file.
	Abort() error
}

// Optional FileSystem extensions, discovered with type assertions.

// PermFacter gives the RFC 3659 "perm" fact for an entry, so clients can show
// which operations will be refused.
type PermFacter interface {
	PermFact(name string, info fs.FileInfo) string
}

// PublicError is an error whose text is safe to show to the client. The
// engine uses Code (when not zero) and Reply() as the reply; any other error
// is mapped to a generic reply and its text only goes to the log.
type PublicError interface {
	error
	FTPCode() int
	Reply() string
}

// Gate decides at accept time whether a connection may proceed, before any
// TLS handshake or reply. When it refuses, the connection is closed at once,
// after the one line reply if reply is not empty (for example "421 Service
// not available"). Done is called when an admitted connection ends.
type Gate interface {
	Admit(remote netip.AddrPort) (ok bool, reply string)
	Done(remote netip.AddrPort)
}

// Event is something a session saw that an attack detector may want to
// count. Login failures are not among them: the Authenticator sees those.
type Event int

const (
	// EventTLSHandshakeFailed: a TLS handshake (AUTH TLS, implicit TLS or
	// a data connection) failed or timed out.
	EventTLSHandshakeFailed Event = iota + 1
	// EventCommandBeforeLogin: a command that needs a login was sent
	// before one.
	EventCommandBeforeLogin
	// EventLoginTimeout: the connection did not log in within the
	// login time limit.
	EventLoginTimeout
	// EventTooManyLoginFailures: the session was closed after too many
	// failed logins.
	EventTooManyLoginFailures
)

// String returns a stable token for logs.
func (e Event) String() string {
	switch e {
	case EventTLSHandshakeFailed:
		return "tls_handshake_failed"
	case EventCommandBeforeLogin:
		return "command_before_login"
	case EventLoginTimeout:
		return "login_timeout"
	case EventTooManyLoginFailures:
		return "too_many_login_failures"
	}
	return "event"
}

// Observer is told what happened, for metrics and transfer logs. Its
// methods are called synchronously from the session's goroutines, so they
// must be cheap, must not block and must be safe for concurrent use. A
// panic in them is recovered and counted.
type Observer interface {
	// TLSEstablished: a TLS handshake on a control connection (AUTH TLS
	// or implicit TLS) succeeded.
	TLSEstablished(remote netip.AddrPort, state tls.ConnectionState)
	// TransferDone: a data transfer (RETR, STOR, APPE, STOU, LIST, NLST,
	// MLSD) ended, whatever the result.
	TransferDone(t TransferInfo)
}

// TransferInfo describes one ended data transfer.
type TransferInfo struct {
	SessionID string
	Remote    netip.AddrPort
	User      string
	// Verb is the command: RETR, STOR, APPE, STOU, LIST, NLST or MLSD.
	Verb string
	// Path is the virtual path (for listings, the directory).
	Path string
	// Upload says data came from the client (STOR, APPE, STOU).
	Upload bool
	// ASCII says TYPE A was in force.
	ASCII bool
	// Bytes moved over the data connection.
	Bytes    int64
	Started  time.Time
	Duration time.Duration
	// Result is "ok", "aborted", "local error" or "data connection
	// failed" / "data connection broken".
	Result string
	// TLS says the data connection was protected.
	TLS bool
}
