package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

const tokenColumns = `id, name, hash, created_at, expires_at, last_used_at, read_only`

// CreateToken stores t and sets its ID, and its CreatedAt when zero (to the
// current time). Returns store.ErrExists if the name (compared exactly) or
// the hash is taken.
func (s *Store) CreateToken(ctx context.Context, t *store.AdminToken) error {
	if t.Name == "" || t.Hash == "" {
		return errors.New("create token: name and hash are required")
	}
	created := t.CreatedAt.UTC()
	if t.CreatedAt.IsZero() {
		created = time.Now().UTC()
	}
	for _, c := range []struct {
		what string
		at   time.Time
	}{{"creation time", created}, {"expiry", t.ExpiresAt}, {"last use", t.LastUsedAt}} {
		if err := checkTime(c.what, c.at); err != nil {
			return fmt.Errorf("create token %q: %w", t.Name, err)
		}
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO admin_tokens (name, hash, created_at, expires_at, last_used_at, read_only)
		VALUES (?, ?, ?, ?, ?, ?)`, t.Name, t.Hash, created.UnixNano(), nullTime(t.ExpiresAt), nullTime(t.LastUsedAt), t.ReadOnly)
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, mapErr(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.Name, err)
	}
	t.ID, t.CreatedAt = id, created
	return nil
}

// TokenByHash finds the token whose hash is hash. Returns store.ErrNotFound
// if there is none. Expiry is the caller's to judge, with its own clock.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*store.AdminToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM admin_tokens WHERE hash = ?`, hash))
	if err != nil {
		// The hash is not named: it is as good as the token to whoever reads logs.
		return nil, fmt.Errorf("find token: %w", mapErr(err))
	}
	return &t, nil
}

// ListTokens returns every token, expired ones included, ordered by name.
func (s *Store) ListTokens(ctx context.Context) ([]store.AdminToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM admin_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.AdminToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// DeleteToken removes the token called name. Returns store.ErrNotFound if
// there is none.
func (s *Store) DeleteToken(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM admin_tokens WHERE name = ?`, name)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("delete token %q: %w", name, err)
	}
	return nil
}

// TouchToken records that the token called name was used at at. The time
// only moves forward, so a late write from a slow request cannot make a
// recent use look old. Returns store.ErrNotFound if there is no such token.
func (s *Store) TouchToken(ctx context.Context, name string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("touch token %q: zero time", name)
	}
	if err := checkTime("use time", at); err != nil {
		return fmt.Errorf("touch token %q: %w", name, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE admin_tokens SET last_used_at = MAX(COALESCE(last_used_at, ?1), ?1)
		WHERE name = ?2`, at.UTC().UnixNano(), name)
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("touch token %q: %w", name, err)
	}
	return nil
}

func scanToken(r scanner) (store.AdminToken, error) {
	var t store.AdminToken
	var created int64
	var expires, used sql.NullInt64
	if err := r.Scan(&t.ID, &t.Name, &t.Hash, &created, &expires, &used, &t.ReadOnly); err != nil {
		return store.AdminToken{}, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = fromNanos(created), fromNull(expires), fromNull(used)
	return t, nil
}
