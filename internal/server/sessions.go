package server

import (
	"fmt"
	"sync"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// sessionCounter enforces each user's limit on simultaneous sessions.
type sessionCounter struct {
	mu    sync.Mutex
	count map[string]int
}

// limitError is a login refusal whose reason the client may read: the
// password was right, only the limit stands in the way (as ProFTPD's
// MaxClientsPerUser answers).
type limitError struct{ text string }

func (e *limitError) Error() string { return e.text }
func (e *limitError) FTPCode() int  { return 530 } // RFC 959 §4.2.2: not logged in
func (e *limitError) Reply() string { return e.text }
func (e *limitError) Unwrap() error { return ftp.ErrLoginFailed }

// acquire takes a session slot for name, or refuses when limit (> 0) is
// reached. The returned release gives it back.
func (c *sessionCounter) acquire(name string, limit int) (release func(), err error) {
	key := lowerName(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count == nil {
		c.count = map[string]int{}
	}
	if limit > 0 && c.count[key] >= limit {
		return nil, &limitError{fmt.Sprintf("Too many sessions for this user (limit %d)", limit)}
	}
	c.count[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.count[key]--; c.count[key] <= 0 {
				delete(c.count, key)
			}
		})
	}, nil
}

// publicError is a refusal whose text the client may read.
type publicError struct {
	code int
	text string
}

func (e *publicError) Error() string { return e.text }
func (e *publicError) FTPCode() int  { return e.code }
func (e *publicError) Reply() string { return e.text }

// explainedFailure is a failed login whose reason the client is told,
// when access.explain_denials is on.
type explainedFailure struct {
	reason string
	text   string
}

func (e *explainedFailure) Error() string { return "login refused: " + e.reason }
func (e *explainedFailure) FTPCode() int  { return 530 }
func (e *explainedFailure) Reply() string { return e.text }
func (e *explainedFailure) Unwrap() error { return ftp.ErrLoginFailed }
