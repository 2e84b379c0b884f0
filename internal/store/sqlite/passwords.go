package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SetPassword records a new password for the named user in one
// transaction: the current hash goes into the history (dated when it was
// set, or now if that is unknown), hash becomes the password, changedAt its
// change time (now when zero, as in CreateUser) and mustChange the
// must-change flag, and the history is cut to the newest keepHistory
// entries (0 clears it). Returns an error
// wrapping store.ErrNotFound for an unknown user.
//
// History entries are ordered by when they were recorded, not by their
// dates, so a clock set wrong at one change cannot make an old password
// outlive newer ones in the history.
func (s *Store) SetPassword(ctx context.Context, name, hash string, changedAt time.Time, mustChange bool, keepHistory int) error {
	if keepHistory < 0 {
		return fmt.Errorf("set password of %q: negative history length %d", name, keepHistory)
	}
	if err := checkTime("password change time", changedAt); err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	now := time.Now().UTC()
	if changedAt.IsZero() {
		changedAt = now
	}
	err := s.change(ctx, func(tx *sql.Tx) error {
		var (
			id      int64
			oldHash string
			oldAt   sql.NullInt64
		)
		if err := tx.QueryRowContext(ctx, `SELECT id, password_hash, password_changed_at FROM users WHERE name_key = ?`,
			nameKey(name)).Scan(&id, &oldHash, &oldAt); err != nil {
			return mapErr(err)
		}
		if keepHistory > 0 && oldHash != "" {
			at := now.UnixNano()
			if oldAt.Valid {
				at = oldAt.Int64
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO password_history (user_id, hash, created_at) VALUES (?, ?, ?)`,
				id, oldHash, at); err != nil {
				return fmt.Errorf("record history: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_history WHERE user_id = ? AND id NOT IN
			(SELECT id FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?)`,
			id, id, keepHistory); err != nil {
			return fmt.Errorf("trim history: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?,
			must_change_password = ?, updated_at = ? WHERE id = ?`,
			hash, changedAt.UTC().UnixNano(), mustChange, now.UnixNano(), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password of %q: %w", name, err)
	}
	return nil
}

// PasswordHistory returns up to n previous hashes of the named user, the
// most recently replaced first. Returns an error wrapping
// store.ErrNotFound for an unknown user.
func (s *Store) PasswordHistory(ctx context.Context, name string, n int) ([]string, error) {
	var out []string
	err := s.view(ctx, func(tx *sql.Tx) error {
		id, err := lookupID(ctx, tx, "users", name)
		if err != nil || n <= 0 {
			// LIMIT with a negative count means no limit in SQLite.
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT hash FROM password_history WHERE user_id = ?
			ORDER BY id DESC LIMIT ?`, id, n)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				return err
			}
			out = append(out, h)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("password history of %q: %w", name, err)
	}
	return out, nil
}
