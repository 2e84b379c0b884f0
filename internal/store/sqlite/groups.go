package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

const groupColumns = `id, name, comment, created_at, updated_at, password_rules, time_zone`

// checkGroup validates g and returns its rules cleaned and sorted, and its
// password rules encoded for the password_rules column.
func checkGroup(g *user.Group) (user.Rules, string, error) {
	if err := user.ValidateName(g.Name); err != nil {
		return nil, "", fmt.Errorf("group %q: %w", g.Name, err)
	}
	perms, err := cleanRules(g.Perms)
	if err != nil {
		return nil, "", fmt.Errorf("group %q: %w", g.Name, err)
	}
	pw, err := encodePasswordRules(g.PasswordRules)
	if err != nil {
		return nil, "", fmt.Errorf("group %q: %w", g.Name, err)
	}
	if err := checkAccess(g.Access); err != nil {
		return nil, "", fmt.Errorf("group %q: %w", g.Name, err)
	}
	return perms, pw, nil
}

// encodePasswordRules gives "" for rules that override nothing, else their
// JSON. The JSON leaves out nil fields and keeps set ones, false and 0
// included, so what is read back is what was stored.
func encodePasswordRules(r user.PasswordRules) (string, error) {
	if r.IsZero() {
		return "", nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("password rules: %w", err)
	}
	return string(b), nil
}

func decodePasswordRules(s string) (user.PasswordRules, error) {
	var r user.PasswordRules
	if s == "" {
		return r, nil
	}
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return r, fmt.Errorf("password rules: %w", err)
	}
	return r, nil
}

// CreateGroup inserts g with its rules and access rules (see access.go for
// what is checked) and sets its ID, CreatedAt and UpdatedAt. Names follow
// the rules of user names, and are unique ignoring case (store.ErrExists).
func (s *Store) CreateGroup(ctx context.Context, g *user.Group) error {
	perms, pw, err := checkGroup(g)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var id int64
	err = s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO groups
			(name, name_key, comment, created_at, updated_at, password_rules, time_zone)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			g.Name, nameKey(g.Name), g.Comment, now.UnixNano(), now.UnixNano(), pw, g.Access.TimeZone)
		if err != nil {
			return mapErr(err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := replaceRules(ctx, tx, groupRules, id, perms); err != nil {
			return err
		}
		return replaceAccess(ctx, tx, groupAccess, id, g.Access)
	})
	if err != nil {
		return fmt.Errorf("create group %q: %w", g.Name, err)
	}
	g.ID, g.CreatedAt, g.UpdatedAt = id, now, now
	return nil
}

// GetGroup finds a group by name, ignoring case.
func (s *Store) GetGroup(ctx context.Context, name string) (*user.Group, error) {
	var g *user.Group
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = scanGroup(tx.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups WHERE name_key = ?`, nameKey(name)))
		if err != nil {
			return mapErr(err)
		}
		return loadGroupLinks(ctx, tx, []*user.Group{g}, g.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("get group %q: %w", name, err)
	}
	return g, nil
}

// UpdateGroup stores the name, comment, rules, password rules and access
// rules of g, found by g.ID, and sets UpdatedAt. The access lists replace
// the stored ones. Renaming keeps memberships and grants.
func (s *Store) UpdateGroup(ctx context.Context, g *user.Group) error {
	perms, pw, err := checkGroup(g)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	err = s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE groups SET name = ?, name_key = ?, comment = ?, updated_at = ?,
			password_rules = ?, time_zone = ? WHERE id = ?`,
			g.Name, nameKey(g.Name), g.Comment, now.UnixNano(), pw, g.Access.TimeZone, g.ID)
		if err := oneRow(res, err); err != nil {
			return err
		}
		if err := replaceRules(ctx, tx, groupRules, g.ID, perms); err != nil {
			return err
		}
		return replaceAccess(ctx, tx, groupAccess, g.ID, g.Access)
	})
	if err != nil {
		return fmt.Errorf("update group %d (%q): %w", g.ID, g.Name, err)
	}
	g.UpdatedAt = now
	return nil
}

// DeleteGroup removes a group with its rules, access rules, memberships and
// grants.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	err := s.change(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM groups WHERE name_key = ?`, nameKey(name))
		return oneRow(res, err)
	})
	if err != nil {
		return fmt.Errorf("delete group %q: %w", name, err)
	}
	return nil
}

// ListGroups returns every group with its rules, ordered by name ignoring
// case.
func (s *Store) ListGroups(ctx context.Context) ([]*user.Group, error) {
	var out []*user.Group
	err := s.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+groupColumns+` FROM groups ORDER BY name_key, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			g, err := scanGroup(rows)
			if err != nil {
				return err
			}
			out = append(out, g)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return loadGroupLinks(ctx, tx, out, 0)
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// GroupMembers returns the names of a group's members sorted ignoring case,
// or store.ErrNotFound if there is no such group.
func (s *Store) GroupMembers(ctx context.Context, group string) ([]string, error) {
	var out []string
	err := s.view(ctx, func(tx *sql.Tx) error {
		id, err := lookupID(ctx, tx, "groups", group)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT u.name FROM user_groups ug JOIN users u ON u.id = ug.user_id
			WHERE ug.group_id = ? ORDER BY u.name_key, u.name`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			out = append(out, name)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("group members: %w", err)
	}
	return out, nil
}

func scanGroup(sc scanner) (*user.Group, error) {
	var (
		g                user.Group
		created, updated int64
		pw               string
	)
	if err := sc.Scan(&g.ID, &g.Name, &g.Comment, &created, &updated, &pw, &g.Access.TimeZone); err != nil {
		return nil, err
	}
	g.CreatedAt, g.UpdatedAt = fromNanos(created), fromNanos(updated)
	rules, err := decodePasswordRules(pw)
	if err != nil {
		return nil, fmt.Errorf("group %q: %w", g.Name, err)
	}
	g.PasswordRules = rules
	return &g, nil
}

// loadGroupLinks fills in the rules and access rule lists of groups: of
// every group when id is 0, else of the one group id.
func loadGroupLinks(ctx context.Context, tx *sql.Tx, groups []*user.Group, id int64) error {
	perms, err := loadRules(ctx, tx, groupRules, id)
	if err != nil {
		return err
	}
	access, err := loadAccess(ctx, tx, groupAccess, id)
	if err != nil {
		return err
	}
	for _, g := range groups {
		g.Perms = perms[g.ID]
		g.Access = withZone(access[g.ID], g.Access.TimeZone)
	}
	return nil
}
