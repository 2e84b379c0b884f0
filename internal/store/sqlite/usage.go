package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// usageTable returns the table whose rows a usage kind describes.
func usageTable(kind string) (string, error) {
	switch kind {
	case store.UsageUser:
		return "users", nil
	case store.UsageShare:
		return "shares", nil
	}
	return "", fmt.Errorf("unknown usage kind %q (want %q or %q)", kind, store.UsageUser, store.UsageShare)
}

// GetUsage returns the usage last recorded for the home of user name
// (kind store.UsageUser) or for share name (store.UsageShare). Usage never
// recorded, also of a name that does not exist, has Known == false.
func (s *Store) GetUsage(ctx context.Context, kind, name string) (user.Usage, error) {
	if _, err := usageTable(kind); err != nil {
		return user.Usage{}, err
	}
	var u user.Usage
	err := s.db.QueryRowContext(ctx, `SELECT bytes, files FROM usage WHERE kind = ? AND name_key = ?`,
		kind, nameKey(name)).Scan(&u.Bytes, &u.Files)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return user.Usage{}, nil
	case err != nil:
		return user.Usage{}, fmt.Errorf("get usage of %s %q: %w", kind, name, err)
	}
	u.Known = true
	return u, nil
}

// SetUsage records the usage of a home or share. The user or share must
// exist (store.ErrNotFound otherwise), so no usage outlives its owner. With
// u.Known false the recorded usage is forgotten. It does not change the
// generation: usage is not a change of rights.
func (s *Store) SetUsage(ctx context.Context, kind, name string, u user.Usage) error {
	table, err := usageTable(kind)
	if err != nil {
		return err
	}
	if !u.Known {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM usage WHERE kind = ? AND name_key = ?`,
			kind, nameKey(name)); err != nil {
			return fmt.Errorf("forget usage of %s %q: %w", kind, name, err)
		}
		return nil
	}
	if u.Bytes < 0 || u.Files < 0 {
		return fmt.Errorf("set usage of %s %q: negative usage (%d bytes, %d files)", kind, name, u.Bytes, u.Files)
	}
	// One statement checks that the owner exists and writes the row, so a
	// concurrent delete cannot leave an orphan.
	res, err := s.db.ExecContext(ctx, `INSERT INTO usage (kind, name_key, bytes, files)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM `+table+` WHERE name_key = ?)
		ON CONFLICT (kind, name_key) DO UPDATE SET bytes = excluded.bytes, files = excluded.files`,
		kind, nameKey(name), u.Bytes, u.Files, nameKey(name))
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("set usage of %s %q: %w", kind, name, err)
	}
	return nil
}

// dropUsage forgets the usage recorded under key.
func dropUsage(ctx context.Context, tx *sql.Tx, kind, key string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM usage WHERE kind = ? AND name_key = ?`, kind, key); err != nil {
		return fmt.Errorf("drop usage: %w", err)
	}
	return nil
}

// followUsage keeps recorded usage in step with an update of its owner: it
// is forgotten when the directory changed (moved) and renamed with the
// owner otherwise.
func followUsage(ctx context.Context, tx *sql.Tx, kind, oldKey, newKey string, moved bool) error {
	if moved {
		return dropUsage(ctx, tx, kind, oldKey)
	}
	if oldKey == newKey {
		return nil
	}
	if err := dropUsage(ctx, tx, kind, newKey); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage SET name_key = ? WHERE kind = ? AND name_key = ?`,
		newKey, kind, oldKey); err != nil {
		return fmt.Errorf("rename usage: %w", err)
	}
	return nil
}
