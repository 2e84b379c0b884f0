package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// nameKey is the form of a user, group or share name that uniqueness and
// lookups use. strings.ToLower folds every Unicode letter, where SQLite's
// NOCASE only folds ASCII and would let "Émile" and "émile" coexist.
func nameKey(name string) string {
	return strings.ToLower(name)
}

var _ store.Store = (*Store)(nil)

const userColumns = `id, name, password_hash, home, disabled, require_tls, comment, created_at, updated_at, last_login,
	max_bytes, max_files, max_file_size, max_sessions, upload_rate, download_rate,
	password_changed_at, must_change_password, aging_exempt, valid_until, valid_from, time_zone`

// CreateUser inserts u with its rules, groups, limits and access rules
// (lists kept in the order given; see access.go for what is checked), and
// sets its ID, CreatedAt and UpdatedAt, and PasswordChangedAt when it is
// zero (to the creation time). The name must pass user.ValidateName. Returns
// store.ErrExists if the name is taken in any letter case, and an error
// wrapping store.ErrNotFound if one of u.Groups does not exist.
func (s *Store) CreateUser(ctx context.Context, u *user.User) error {
	perms, groups, err := checkUser(u)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	changed := now
	if !u.PasswordChangedAt.IsZero() {
		changed = u.PasswordChangedAt.UTC()
	}
	var id int64
	err = s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users
			(name, name_key, password_hash, home, disabled, require_tls, comment, created_at, updated_at, last_login,
			 max_bytes, max_files, max_file_size, max_sessions, upload_rate, download_rate,
			 password_changed_at, must_change_password, aging_exempt, valid_until, valid_from, time_zone)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Name, nameKey(u.Name), u.PasswordHash, u.Home, u.Disabled, u.RequireTLS, u.Comment,
			now.UnixNano(), now.UnixNano(), nullTime(u.LastLogin),
			u.Limits.MaxBytes, u.Limits.MaxFiles, u.Limits.MaxFileSize, u.MaxSessions, u.UploadRate, u.DownloadRate,
			changed.UnixNano(), u.MustChangePassword, u.AgingExempt, nullTime(u.ValidUntil),
			nullTime(u.ValidFrom), u.Access.TimeZone)
		if err != nil {
			return mapErr(err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := replaceRules(ctx, tx, userRules, id, perms); err != nil {
			return err
		}
		if err := replaceAccess(ctx, tx, userAccess, id, u.Access); err != nil {
			return err
		}
		return setGroups(ctx, tx, id, groups)
	})
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Name, err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = id, now, now, changed
	return nil
}

// GetUser finds a user by name, ignoring letter case. The returned Name is
// the spelling stored at creation; Groups are sorted by name and Perms by
// path.
func (s *Store) GetUser(ctx context.Context, name string) (*user.User, error) {
	var u *user.User
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name_key = ?`, nameKey(name)))
		if err != nil {
			return mapErr(err)
		}
		return loadUserLinks(ctx, tx, []*user.User{u}, u.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("get user %q: %w", name, err)
	}
	return u, nil
}

// UpdateUser stores every field of u, found by u.ID, and sets UpdatedAt.
// Renaming is allowed; a name taken by another user gives store.ErrExists.
// CreatedAt is never changed. A zero PasswordChangedAt is stored as such
// (read back as zero): it is not replaced by the current time, which would
// silently restart the password's age. The recorded usage follows a rename,
// and is forgotten when the home changes (it no longer describes the home).
// The password history is left alone: SetPassword is the way to change a
// password so that it counts as a change. The access lists replace the
// stored ones.
func (s *Store) UpdateUser(ctx context.Context, u *user.User) error {
	perms, groups, err := checkUser(u)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	err = s.change(ctx, func(tx *sql.Tx) error {
		var oldKey, oldHome string
		if err := tx.QueryRowContext(ctx, `SELECT name_key, home FROM users WHERE id = ?`, u.ID).
			Scan(&oldKey, &oldHome); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET
			name = ?, name_key = ?, password_hash = ?, home = ?, disabled = ?, require_tls = ?,
			comment = ?, updated_at = ?, last_login = ?,
			max_bytes = ?, max_files = ?, max_file_size = ?, max_sessions = ?, upload_rate = ?, download_rate = ?,
			password_changed_at = ?, must_change_password = ?, aging_exempt = ?, valid_until = ?,
			valid_from = ?, time_zone = ?
			WHERE id = ?`,
			u.Name, nameKey(u.Name), u.PasswordHash, u.Home, u.Disabled, u.RequireTLS,
			u.Comment, now.UnixNano(), nullTime(u.LastLogin),
			u.Limits.MaxBytes, u.Limits.MaxFiles, u.Limits.MaxFileSize, u.MaxSessions, u.UploadRate, u.DownloadRate,
			nullTime(u.PasswordChangedAt), u.MustChangePassword, u.AgingExempt, nullTime(u.ValidUntil),
			nullTime(u.ValidFrom), u.Access.TimeZone,
			u.ID); err != nil {
			return mapErr(err)
		}
		if err := replaceRules(ctx, tx, userRules, u.ID, perms); err != nil {
			return err
		}
		if err := replaceAccess(ctx, tx, userAccess, u.ID, u.Access); err != nil {
			return err
		}
		if err := setGroups(ctx, tx, u.ID, groups); err != nil {
			return err
		}
		return followUsage(ctx, tx, store.UsageUser, oldKey, nameKey(u.Name), oldHome != u.Home)
	})
	if err != nil {
		return fmt.Errorf("update user %d (%q): %w", u.ID, u.Name, err)
	}
	u.UpdatedAt = now
	return nil
}

// SetPasswordHash replaces only the password hash of the named user, as
// when a legacy hash is upgraded at login: the password itself is the same,
// so neither its history nor PasswordChangedAt changes.
func (s *Store) SetPasswordHash(ctx context.Context, name, hash string) error {
	err := s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE name_key = ?`,
			hash, time.Now().UTC().UnixNano(), nameKey(name))
		return oneRow(res, err)
	})
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	return nil
}

// RecordLogin sets LastLogin. It leaves UpdatedAt and the generation alone:
// a login is not a change to the account.
func (s *Store) RecordLogin(ctx context.Context, name string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET last_login = ? WHERE name_key = ?`,
		nullTime(at), nameKey(name))
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("record login of %q: %w", name, err)
	}
	return nil
}

// DeleteUser removes the named user with its rules, memberships and grants
// (by cascade) and its recorded usage.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	err := s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE name_key = ?`, nameKey(name))
		if err := oneRow(res, err); err != nil {
			return err
		}
		return dropUsage(ctx, tx, store.UsageUser, nameKey(name))
	})
	if err != nil {
		return fmt.Errorf("delete user %q: %w", name, err)
	}
	return nil
}

// ListUsers returns all users ordered by name, ignoring case.
func (s *Store) ListUsers(ctx context.Context) ([]*user.User, error) {
	var out []*user.User
	err := s.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name_key, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return loadUserLinks(ctx, tx, out, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

type scanner interface {
	Scan(dest ...any) error
}

func scanUser(sc scanner) (*user.User, error) {
	var (
		u                                      user.User
		created, updated                       int64
		lastLogin, changed, validUntil         sql.NullInt64
		validFrom                              sql.NullInt64
		disabled, required, mustChange, exempt bool
	)
	if err := sc.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.Home, &disabled, &required, &u.Comment,
		&created, &updated, &lastLogin,
		&u.Limits.MaxBytes, &u.Limits.MaxFiles, &u.Limits.MaxFileSize, &u.MaxSessions, &u.UploadRate, &u.DownloadRate,
		&changed, &mustChange, &exempt, &validUntil, &validFrom, &u.Access.TimeZone); err != nil {
		return nil, err
	}
	u.Disabled, u.RequireTLS = disabled, required
	u.MustChangePassword, u.AgingExempt = mustChange, exempt
	u.CreatedAt = fromNanos(created)
	u.UpdatedAt = fromNanos(updated)
	u.LastLogin = fromNull(lastLogin)
	u.PasswordChangedAt = fromNull(changed)
	u.ValidUntil = fromNull(validUntil)
	u.ValidFrom = fromNull(validFrom)
	return &u, nil
}

// nullTime stores the zero time as NULL: time.Time{} has no Unix-nanosecond
// value (it is out of int64 range).
func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UTC().UnixNano(), Valid: true}
}

func fromNanos(n int64) time.Time {
	return time.Unix(0, n).UTC()
}

// fromNull reads back what nullTime stored.
func fromNull(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}

// Times are stored as Unix nanoseconds, which reach from 1678 to 2262;
// UnixNano is undefined outside, so such a time is refused rather than
// stored wrong (a ValidUntil of 9999-12-31 meant as "forever" would
// otherwise wrap into the past and lock the account out).
var (
	minStoredTime = time.Unix(0, math.MinInt64+1)
	maxStoredTime = time.Unix(0, math.MaxInt64)
)

// checkTime reports an error naming what when t is neither zero nor
// storable.
func checkTime(what string, t time.Time) error {
	if t.IsZero() || (!t.Before(minStoredTime) && !t.After(maxStoredTime)) {
		return nil
	}
	return fmt.Errorf("%s %s is outside the years 1678 to 2262", what, t.UTC().Format(time.RFC3339))
}

// oneRow turns an update or delete that touched no row into ErrNotFound.
func oneRow(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// mapErr translates the driver's errors into the store's sentinels, keeping
// the original in the chain for logs.
func mapErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", store.ErrExists, err)
		}
	}
	return err
}
