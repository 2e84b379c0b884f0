package auth

import (
	"errors"
	"fmt"
)

// ErrLoginFailed is what every failed login is, whatever the reason. Code
// that answers a client tests for it with errors.Is and says nothing more.
var ErrLoginFailed = errors.New("login failed")

// Reason is the true cause of a failed login, for logs and attack
// detection. It must never reach the client.
type Reason int

const (
	// ReasonUnknownUser: no account has this name.
	ReasonUnknownUser Reason = iota + 1
	// ReasonBadPassword: the password does not match (also for disabled
	// accounts, so a guess is always counted as a guess).
	ReasonBadPassword
	// ReasonDisabled: the password matched but the account is disabled.
	ReasonDisabled
	// ReasonInvalidName: the name can never be an account (user.ValidateName).
	ReasonInvalidName
	// ReasonStoreError: the store failed, or holds a hash that cannot be read.
	ReasonStoreError
	// ReasonTLSRequired: the password matched but the account requires TLS
	// and the connection is in clear text.
	ReasonTLSRequired
	// ReasonAccountExpired: the password matched but the account's
	// validity (ValidUntil) has ended.
	ReasonAccountExpired
	// ReasonPasswordExpired: the password matched but has expired and the
	// server refuses expired passwords instead of restricting the session.
	ReasonPasswordExpired
	// ReasonAccountProtected: the password matched but the Guard refused
	// the attempt (account under attack and an unknown address, or a
	// honeypot name).
	ReasonAccountProtected
	// ReasonAccessDenied: the account's network or time rules refuse the
	// attempt; the password was not checked.
	ReasonAccessDenied
)

// String returns a stable token for logs and tools.
func (r Reason) String() string {
	switch r {
	case ReasonUnknownUser:
		return "unknown_user"
	case ReasonBadPassword:
		return "bad_password"
	case ReasonDisabled:
		return "disabled"
	case ReasonInvalidName:
		return "invalid_name"
	case ReasonStoreError:
		return "store_error"
	case ReasonTLSRequired:
		return "tls_required"
	case ReasonAccountExpired:
		return "account_expired"
	case ReasonPasswordExpired:
		return "password_expired"
	case ReasonAccountProtected:
		return "account_protected"
	case ReasonAccessDenied:
		return "access_denied"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// FailureError is the error Login returns on failure. User is the name as the
// client sent it.
type FailureError struct {
	Reason Reason
	User   string
	// Explain, for ReasonAccessDenied, says why in words a client may be
	// shown when the server is configured to explain refusals.
	Explain string
}

func (e *FailureError) Error() string {
	return fmt.Sprintf("login failed for %q: %s", e.User, e.Reason)
}

// Unwrap makes errors.Is(err, ErrLoginFailed) true.
func (e *FailureError) Unwrap() error { return ErrLoginFailed }
