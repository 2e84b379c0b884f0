package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

const shareColumns = `id, name, path, comment, created_at, updated_at`

// checkShare validates sh and returns its host path cleaned. The path must
// be absolute: a relative one would depend on the server's working
// directory. Whether it exists is the caller's business.
func checkShare(sh *user.Share) (string, error) {
	if err := user.ValidateName(sh.Name); err != nil {
		return "", fmt.Errorf("share %q: %w", sh.Name, err)
	}
	if !filepath.IsAbs(sh.Path) {
		return "", fmt.Errorf("share %q: path %q is not absolute", sh.Name, sh.Path)
	}
	return filepath.Clean(sh.Path), nil
}

// CreateShare inserts sh and sets its ID, CreatedAt and UpdatedAt. Names
// follow the rules of user names, and are unique ignoring case
// (store.ErrExists).
func (s *Store) CreateShare(ctx context.Context, sh *user.Share) error {
	path, err := checkShare(sh)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var id int64
	err = s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO shares (name, name_key, path, comment, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, sh.Name, nameKey(sh.Name), path, sh.Comment, now.UnixNano(), now.UnixNano())
		if err != nil {
			return mapErr(err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return fmt.Errorf("create share %q: %w", sh.Name, err)
	}
	sh.ID, sh.CreatedAt, sh.UpdatedAt = id, now, now
	return nil
}

// GetShare finds a share by name, ignoring case.
func (s *Store) GetShare(ctx context.Context, name string) (*user.Share, error) {
	sh, err := scanShare(s.db.QueryRowContext(ctx, `SELECT `+shareColumns+` FROM shares WHERE name_key = ?`, nameKey(name)))
	if err != nil {
		return nil, fmt.Errorf("get share %q: %w", name, mapErr(err))
	}
	return sh, nil
}

// UpdateShare stores the name, path and comment of sh, found by sh.ID, and
// sets UpdatedAt. Renaming keeps the grants. The recorded usage follows a
// rename and is forgotten when the path changes.
func (s *Store) UpdateShare(ctx context.Context, sh *user.Share) error {
	path, err := checkShare(sh)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	err = s.change(ctx, func(tx *sql.Tx) error {
		var oldKey, oldPath string
		if err := tx.QueryRowContext(ctx, `SELECT name_key, path FROM shares WHERE id = ?`, sh.ID).
			Scan(&oldKey, &oldPath); err != nil {
			return mapErr(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE shares SET name = ?, name_key = ?, path = ?, comment = ?, updated_at = ?
			WHERE id = ?`, sh.Name, nameKey(sh.Name), path, sh.Comment, now.UnixNano(), sh.ID); err != nil {
			return mapErr(err)
		}
		return followUsage(ctx, tx, store.UsageShare, oldKey, nameKey(sh.Name), oldPath != path)
	})
	if err != nil {
		return fmt.Errorf("update share %d (%q): %w", sh.ID, sh.Name, err)
	}
	sh.UpdatedAt = now
	return nil
}

// DeleteShare removes a share with its grants and its recorded usage. The
// host directory is not touched.
func (s *Store) DeleteShare(ctx context.Context, name string) error {
	err := s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM shares WHERE name_key = ?`, nameKey(name))
		if err := oneRow(res, err); err != nil {
			return err
		}
		return dropUsage(ctx, tx, store.UsageShare, nameKey(name))
	})
	if err != nil {
		return fmt.Errorf("delete share %q: %w", name, err)
	}
	return nil
}

// ListShares returns every share ordered by name, ignoring case.
func (s *Store) ListShares(ctx context.Context) ([]*user.Share, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+shareColumns+` FROM shares ORDER BY name_key, id`)
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	defer rows.Close()
	var out []*user.Share
	for rows.Next() {
		sh, err := scanShare(rows)
		if err != nil {
			return nil, fmt.Errorf("list shares: %w", err)
		}
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	return out, nil
}

func scanShare(sc scanner) (*user.Share, error) {
	var (
		sh               user.Share
		created, updated int64
	)
	if err := sc.Scan(&sh.ID, &sh.Name, &sh.Path, &sh.Comment, &created, &updated); err != nil {
		return nil, err
	}
	sh.CreatedAt, sh.UpdatedAt = fromNanos(created), fromNanos(updated)
	return &sh, nil
}
