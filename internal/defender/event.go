package defender

import "strconv"

// Event is something a client did that counts towards a ban.
type Event int

const (
	// EventBadPassword: a wrong password for an existing user.
	EventBadPassword Event = iota + 1
	// EventUnknownUser: a login as a user that does not exist. It scores
	// higher than a wrong password because guessing names is what scanners do.
	EventUnknownUser
	// EventHoneypot: a login as one of the honeypot names; bans at once.
	EventHoneypot
	// EventCommandBeforeLogin: a command that needs a login, sent before it.
	EventCommandBeforeLogin
	// EventTLSFailure: a failed TLS handshake.
	EventTLSFailure
	// EventConnLimit: a connection refused because a cap was exceeded.
	EventConnLimit
	// EventLoginTimeout: no login within the allowed time.
	EventLoginTimeout
)

// numEvents is the number of defined events; arrays indexed by Event have
// numEvents+1 elements so that the index is the event itself.
const numEvents = int(EventLoginTimeout)

// String returns a stable token for logs, configuration and tools.
func (e Event) String() string {
	switch e {
	case EventBadPassword:
		return "bad_password"
	case EventUnknownUser:
		return "unknown_user"
	case EventHoneypot:
		return "honeypot"
	case EventCommandBeforeLogin:
		return "command_before_login"
	case EventTLSFailure:
		return "tls_failure"
	case EventConnLimit:
		return "conn_limit"
	case EventLoginTimeout:
		return "login_timeout"
	}
	return "event(" + strconv.Itoa(int(e)) + ")"
}

// valid reports whether e is one of the defined events.
func (e Event) valid() bool { return e >= EventBadPassword && e <= EventLoginTimeout }

// isLogin reports whether e is a failed login, whose detail is a user name.
func (e Event) isLogin() bool {
	return e == EventBadPassword || e == EventUnknownUser || e == EventHoneypot
}

// ParseEvent returns the event whose String is s, for configuration files
// that key scores by token.
func ParseEvent(s string) (Event, bool) {
	for e := EventBadPassword; e <= EventLoginTimeout; e++ {
		if e.String() == s {
			return e, true
		}
	}
	return 0, false
}
