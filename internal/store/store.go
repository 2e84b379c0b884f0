// Package store keeps accounts. Store is the interface the rest of Bulwark
// uses; it says nothing of the database behind it, so that other
// implementations (PostgreSQL for several nodes) can follow the SQLite one.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Errors every implementation returns (wrapped or not) so callers can use
// errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Store is the account store. Implementations are safe for concurrent use
// and by several processes at once (the CLI changes users while the server
// runs; changes are seen at the next login).
type Store interface {
	// CreateUser inserts u, setting its ID, CreatedAt and UpdatedAt.
	// Returns ErrExists if the name is taken.
	CreateUser(ctx context.Context, u *user.User) error
	// GetUser finds a user by name. Returns ErrNotFound if there is none.
	GetUser(ctx context.Context, name string) (*user.User, error)
	// UpdateUser stores all fields of u (found by u.ID), setting UpdatedAt.
	UpdateUser(ctx context.Context, u *user.User) error
	// SetPasswordHash replaces only the password hash (used when a legacy
	// hash is upgraded at login).
	SetPasswordHash(ctx context.Context, name, hash string) error
	// RecordLogin sets LastLogin.
	RecordLogin(ctx context.Context, name string, at time.Time) error
	// DeleteUser removes a user. Returns ErrNotFound if there is none.
	DeleteUser(ctx context.Context, name string) error
	// ListUsers returns all users ordered by name.
	ListUsers(ctx context.Context) ([]*user.User, error)
	// CountUsers returns how many users exist.
	CountUsers(ctx context.Context) (int, error)
	Close() error
}
