package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// grantSelect reads grants with the names of their share and grantee in
// their stored spelling; the caller adds WHERE and then grantOrder.
const grantSelect = `SELECT s.name, COALESCE(u.name, ''), COALESCE(gr.name, ''), g.at, g.rights,
		g.max_bytes, g.max_files, g.max_file_size
	FROM grants g
	JOIN shares s ON s.id = g.share_id
	LEFT JOIN users u ON u.id = g.user_id
	LEFT JOIN groups gr ON gr.id = g.group_id`

// grantOrder sorts by share, then user grants before group grants, then
// grantee name, then mount point.
const grantOrder = ` ORDER BY s.name_key, g.user_id IS NULL, u.name_key, gr.name_key, g.at`

// errGrantee is returned when a grant names no grantee or both kinds.
var errGrantee = errors.New("a grant names exactly one user or one group")

// SetGrant inserts g, or replaces the rights and limits of the grant with
// the same share, grantee and mount point. The share and the grantee must
// exist (an error wrapping store.ErrNotFound names the missing one).
func (s *Store) SetGrant(ctx context.Context, g user.Grant) error {
	if (g.User == "") == (g.Group == "") {
		return fmt.Errorf("set grant: %w", errGrantee)
	}
	at, err := user.CleanVirtualPath(g.At)
	if err != nil {
		return fmt.Errorf("set grant of %q to %s: %w", g.Share, g.Grantee(), err)
	}
	if extra := g.Rights &^ user.RightsAll; extra != 0 {
		return fmt.Errorf("set grant of %q to %s: unknown rights %#x", g.Share, g.Grantee(), uint16(extra))
	}
	if err := checkLimits(g.Limits); err != nil {
		return fmt.Errorf("set grant of %q to %s: %w", g.Share, g.Grantee(), err)
	}
	err = s.change(ctx, func(tx *sql.Tx) error {
		shareID, err := lookupID(ctx, tx, "shares", g.Share)
		if err != nil {
			return err
		}
		var userID, groupID sql.NullInt64
		conflict := "share_id, user_id, at"
		if g.User != "" {
			userID.Int64, err = lookupID(ctx, tx, "users", g.User)
			userID.Valid = true
		} else {
			groupID.Int64, err = lookupID(ctx, tx, "groups", g.Group)
			groupID.Valid = true
			conflict = "share_id, group_id, at"
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO grants
			(share_id, user_id, group_id, at, rights, max_bytes, max_files, max_file_size)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (`+conflict+`) DO UPDATE SET rights = excluded.rights,
				max_bytes = excluded.max_bytes, max_files = excluded.max_files, max_file_size = excluded.max_file_size`,
			shareID, userID, groupID, at, int64(g.Rights), g.Limits.MaxBytes, g.Limits.MaxFiles, g.Limits.MaxFileSize)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("set grant of %q to %s: %w", g.Share, g.Grantee(), err)
	}
	return nil
}

// RemoveGrant removes the grants of share to userName or group (exactly one
// given) at mount point at, or at every mount point when at is "". Returns
// store.ErrNotFound when none matched, also when a name does not exist.
func (s *Store) RemoveGrant(ctx context.Context, share, userName, group, at string) error {
	if (userName == "") == (group == "") {
		return fmt.Errorf("remove grant: %w", errGrantee)
	}
	g := user.Grant{Share: share, User: userName, Group: group}
	q := `DELETE FROM grants WHERE share_id = (SELECT id FROM shares WHERE name_key = ?)`
	args := []any{nameKey(share)}
	if userName != "" {
		q += ` AND user_id = (SELECT id FROM users WHERE name_key = ?)`
		args = append(args, nameKey(userName))
	} else {
		q += ` AND group_id = (SELECT id FROM groups WHERE name_key = ?)`
		args = append(args, nameKey(group))
	}
	if at != "" {
		clean, err := user.CleanVirtualPath(at)
		if err != nil {
			return fmt.Errorf("remove grant of %q to %s: %w", share, g.Grantee(), err)
		}
		q += ` AND at = ?`
		args = append(args, clean)
	}
	err := s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		return oneRow(res, err)
	})
	if err != nil {
		return fmt.Errorf("remove grant of %q to %s: %w", share, g.Grantee(), err)
	}
	return nil
}

// ListGrants returns every grant, or with share != "" the grants of that
// share (store.ErrNotFound if there is no such share).
func (s *Store) ListGrants(ctx context.Context, share string) ([]user.Grant, error) {
	var out []user.Grant
	err := s.view(ctx, func(tx *sql.Tx) error {
		if share == "" {
			var err error
			out, err = queryGrants(ctx, tx, grantSelect+grantOrder)
			return err
		}
		id, err := lookupID(ctx, tx, "shares", share)
		if err != nil {
			return err
		}
		out, err = queryGrants(ctx, tx, grantSelect+` WHERE g.share_id = ?`+grantOrder, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return out, nil
}

// GrantsFor returns the grants made to userName or to any of groups (names
// compared ignoring case). Unknown names simply match nothing.
func (s *Store) GrantsFor(ctx context.Context, userName string, groups []string) ([]user.Grant, error) {
	q := grantSelect + ` WHERE g.user_id = (SELECT id FROM users WHERE name_key = ?)`
	args := []any{nameKey(userName)}
	if len(groups) > 0 {
		q += ` OR g.group_id IN (SELECT id FROM groups WHERE name_key IN (?` + strings.Repeat(", ?", len(groups)-1) + `))`
		for _, g := range groups {
			args = append(args, nameKey(g))
		}
	}
	out, err := queryGrants(ctx, s.db, q+grantOrder, args...)
	if err != nil {
		return nil, fmt.Errorf("grants for %q: %w", userName, err)
	}
	return out, nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryGrants(ctx context.Context, q querier, query string, args ...any) ([]user.Grant, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []user.Grant
	for rows.Next() {
		var (
			g      user.Grant
			rights int64
		)
		if err := rows.Scan(&g.Share, &g.User, &g.Group, &g.At, &rights,
			&g.Limits.MaxBytes, &g.Limits.MaxFiles, &g.Limits.MaxFileSize); err != nil {
			return nil, err
		}
		g.Rights = user.Rights(rights)
		out = append(out, g)
	}
	return out, rows.Err()
}
