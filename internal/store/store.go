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
	// hash is upgraded at login): no history entry, PasswordChangedAt
	// unchanged.
	SetPasswordHash(ctx context.Context, name, hash string) error
	// SetPassword records a new password: it stores hash, sets
	// PasswordChangedAt to changedAt and MustChangePassword to mustChange,
	// and pushes the previous hash into the history, keeping at most
	// keepHistory old hashes (0 keeps none and clears the history).
	SetPassword(ctx context.Context, name, hash string, changedAt time.Time, mustChange bool, keepHistory int) error
	// PasswordHistory returns up to n previous hashes, newest first.
	PasswordHistory(ctx context.Context, name string, n int) ([]string, error)
	// RecordLogin sets LastLogin.
	RecordLogin(ctx context.Context, name string, at time.Time) error
	// DeleteUser removes a user. Returns ErrNotFound if there is none.
	DeleteUser(ctx context.Context, name string) error
	// ListUsers returns all users ordered by name.
	ListUsers(ctx context.Context) ([]*user.User, error)
	// CountUsers returns how many users exist.
	CountUsers(ctx context.Context) (int, error)

	// Groups. A user's Groups must name existing groups (ErrNotFound
	// otherwise). Deleting a group removes its memberships and its grants.
	CreateGroup(ctx context.Context, g *user.Group) error
	GetGroup(ctx context.Context, name string) (*user.Group, error)
	UpdateGroup(ctx context.Context, g *user.Group) error
	DeleteGroup(ctx context.Context, name string) error
	ListGroups(ctx context.Context) ([]*user.Group, error)
	// GroupMembers returns the names of a group's members, sorted.
	GroupMembers(ctx context.Context, group string) ([]string, error)

	// Shares. Deleting a share removes its grants.
	CreateShare(ctx context.Context, s *user.Share) error
	GetShare(ctx context.Context, name string) (*user.Share, error)
	UpdateShare(ctx context.Context, s *user.Share) error
	DeleteShare(ctx context.Context, name string) error
	ListShares(ctx context.Context) ([]*user.Share, error)

	// SetGrant inserts a grant or replaces the one with the same share,
	// grantee and mount point. The share and the grantee must exist
	// (ErrNotFound otherwise).
	SetGrant(ctx context.Context, g user.Grant) error
	// RemoveGrant removes the grants of share to the grantee (g.User or
	// g.Group); at "" removes them at every mount point. ErrNotFound if
	// none matched.
	RemoveGrant(ctx context.Context, share, userName, group, at string) error
	// ListGrants returns every grant; with share != "" only that share's.
	ListGrants(ctx context.Context, share string) ([]user.Grant, error)
	// GrantsFor returns the grants made to the user or to any of groups.
	GrantsFor(ctx context.Context, userName string, groups []string) ([]user.Grant, error)

	// Usage of a home ("user", name) or a share ("share", name), as the
	// server last recorded it. Unknown usage has Known == false.
	GetUsage(ctx context.Context, kind, name string) (user.Usage, error)
	SetUsage(ctx context.Context, kind, name string, u user.Usage) error

	// Generation increases with every change to users, groups, shares or
	// grants (not usage or last-login times), also when another process
	// made it, so a running server can tell cheaply that rights changed.
	Generation(ctx context.Context) (int64, error)

	// Bans. SaveBan inserts or replaces the ban of b.Prefix; DeleteBan
	// removes it (ErrNotFound if there is none). Both bump BansVersion (not
	// Generation), so a running server sees a change made by the CLI.
	SaveBan(ctx context.Context, b Ban) error
	DeleteBan(ctx context.Context, prefix string) error
	ListBans(ctx context.Context) ([]Ban, error)
	BansVersion(ctx context.Context) (int64, error)

	// RecordKnownAddress remembers that name logged in from addr (an
	// address or prefix in canonical text form) at at.
	RecordKnownAddress(ctx context.Context, name, addr string, at time.Time) error
	// KnownAddress reports whether name logged in from addr at or after
	// since.
	KnownAddress(ctx context.Context, name, addr string, since time.Time) (bool, error)
	// ForgetKnownAddresses removes the addresses last seen before before,
	// and returns how many.
	ForgetKnownAddresses(ctx context.Context, before time.Time) (int64, error)
	// SetAccountProtection records until when an account under distributed
	// attack accepts logins only from known addresses; a zero until clears
	// it. AccountProtection returns it (zero when none).
	SetAccountProtection(ctx context.Context, name string, until time.Time) error
	AccountProtection(ctx context.Context, name string) (time.Time, error)

	// Audit trail. AppendAudit stores e, setting its ID (and Time when
	// zero, to the current time). ListAudit returns the entries at or after
	// since (all when zero), oldest first, at most limit (all when <= 0;
	// then the newest limit entries are kept).
	AppendAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, since time.Time, limit int) ([]AuditEntry, error)
	// DeleteAuditBefore removes the entries older than before and returns
	// how many.
	DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error)

	// Admin API tokens. Only a hash of each token is stored. CreateToken
	// sets t.ID; ErrExists if the name is taken. TokenByHash finds a token
	// by its hash (ErrNotFound if none). DeleteToken removes the token of
	// that name (ErrNotFound if none). TouchToken records a use.
	CreateToken(ctx context.Context, t *AdminToken) error
	TokenByHash(ctx context.Context, hash string) (*AdminToken, error)
	ListTokens(ctx context.Context) ([]AdminToken, error)
	DeleteToken(ctx context.Context, name string) error
	TouchToken(ctx context.Context, name string, at time.Time) error

	Close() error
}

// AuditEntry is one administrative change: who made it, what, and the
// state before and after. Before and After are JSON objects (or "" when
// there is no such state: nothing before a creation, nothing after a
// deletion) and never hold secrets: a password change is recorded as
// {"password":"changed"}.
type AuditEntry struct {
	ID   int64
	Time time.Time
	// Actor is "cli:<os user>" for the command line, "token:<name>" for
	// the admin API.
	Actor string
	// Action is a stable dotted name: "user.create", "user.update",
	// "user.delete", "user.password", "group.create", "share.grant",
	// "ban.add", "session.kill", "token.create" ...
	Action string
	// Target names what changed ("alice", "203.0.113.7/32", a session ID).
	Target        string
	Before, After string
}

// AdminToken is a credential for the admin API.
type AdminToken struct {
	ID   int64
	Name string
	// Hash is the hex SHA-256 of the token (tokens are random, 256 bits,
	// so a fast hash is enough).
	Hash      string
	CreatedAt time.Time
	// ExpiresAt is zero for a token that does not expire.
	ExpiresAt  time.Time
	LastUsedAt time.Time
	// ReadOnly tokens may read (GET) but change nothing: for monitoring.
	ReadOnly bool
}

// Ban is a refused source: an address or a network prefix.
type Ban struct {
	// Prefix is canonical CIDR text ("203.0.113.7/32", "2001:db8::/64").
	Prefix string
	Reason string
	// First and Last are the first and last events that led to the ban.
	First, Last time.Time
	// Count is how many events; Level how many times this source has been
	// banned (escalation).
	Count int
	Level int
	// Until is when the ban ends; zero means never.
	Until time.Time
	// Manual is true for bans an administrator made.
	Manual bool
}

// Usage kinds.
const (
	UsageUser  = "user"
	UsageShare = "share"
)
