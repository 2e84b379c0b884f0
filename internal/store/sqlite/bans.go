package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

// canonicalPrefix parses CIDR text and returns it masked ("203.0.113.7/24"
// becomes "203.0.113.0/24"), so one network has one key however it was
// written. A bare address without a length is refused: the caller says how
// wide the ban is.
func canonicalPrefix(s string) (string, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", fmt.Errorf("invalid ban prefix %q: %w", s, err)
	}
	return p.Masked().String(), nil
}

// changeBans runs fn like write and, when fn succeeds, increases the bans
// version in the same transaction, so a process that reads the new version
// is sure to see the change.
func (s *Store) changeBans(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bans_version SET value = value + 1 WHERE id = 1`); err != nil {
			return fmt.Errorf("bump bans version: %w", err)
		}
		return nil
	})
}

// SaveBan inserts the ban of b.Prefix or replaces every field of the one
// already there. The prefix is stored masked (see canonicalPrefix); times
// are stored in UTC, a zero Until as a ban that never ends.
func (s *Store) SaveBan(ctx context.Context, b store.Ban) error {
	prefix, err := canonicalPrefix(b.Prefix)
	if err != nil {
		return fmt.Errorf("save ban: %w", err)
	}
	if b.Count < 0 || b.Level < 0 {
		return fmt.Errorf("save ban of %s: negative count (%d) or level (%d)", prefix, b.Count, b.Level)
	}
	for _, t := range []struct {
		what string
		at   time.Time
	}{{"first event", b.First}, {"last event", b.Last}, {"end", b.Until}} {
		if err := checkTime(t.what, t.at); err != nil {
			return fmt.Errorf("save ban of %s: %w", prefix, err)
		}
	}
	err = s.changeBans(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bans (prefix, reason, first_at, last_at, count, level, until, manual)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (prefix) DO UPDATE SET reason = excluded.reason, first_at = excluded.first_at,
				last_at = excluded.last_at, count = excluded.count, level = excluded.level,
				until = excluded.until, manual = excluded.manual`,
			prefix, b.Reason, nullTime(b.First), nullTime(b.Last), b.Count, b.Level, nullTime(b.Until), b.Manual)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("save ban of %s: %w", prefix, err)
	}
	return nil
}

// DeleteBan removes the ban of prefix, given as CIDR text in any spelling
// of the same network. Returns store.ErrNotFound, and leaves the bans
// version alone, if there is none.
func (s *Store) DeleteBan(ctx context.Context, prefix string) error {
	key, err := canonicalPrefix(prefix)
	if err != nil {
		return fmt.Errorf("delete ban: %w", err)
	}
	err = s.changeBans(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM bans WHERE prefix = ?`, key)
		return oneRow(res, err)
	})
	if err != nil {
		return fmt.Errorf("delete ban of %s: %w", key, err)
	}
	return nil
}

// ListBans returns every ban, expired ones included (the caller decides
// what an end in the past means), those that end first first, bans that
// never end last, and by prefix among equal ends.
func (s *Store) ListBans(ctx context.Context) ([]store.Ban, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT prefix, reason, first_at, last_at, count, level, until, manual
		FROM bans ORDER BY until IS NULL, until, prefix`)
	if err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	defer rows.Close()
	var out []store.Ban
	for rows.Next() {
		var b store.Ban
		var first, last, until sql.NullInt64
		if err := rows.Scan(&b.Prefix, &b.Reason, &first, &last, &b.Count, &b.Level, &until, &b.Manual); err != nil {
			return nil, fmt.Errorf("list bans: %w", err)
		}
		b.First, b.Last, b.Until = fromNull(first), fromNull(last), fromNull(until)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list bans: %w", err)
	}
	return out, nil
}

// BansVersion returns the counter that SaveBan and DeleteBan increase. Like
// Generation it is one single-row lookup by primary key, read from the
// database on every call so that changes by another process are seen.
func (s *Store) BansVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM bans_version WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read bans version: %w", err)
	}
	return v, nil
}
