package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// checkUser validates u before it is written and returns its rules cleaned
// and sorted, and its group names with duplicates (in any case) removed.
func checkUser(u *user.User) (user.Rules, []string, error) {
	if err := user.ValidateName(u.Name); err != nil {
		return nil, nil, err
	}
	perms, err := cleanRules(u.Perms)
	if err != nil {
		return nil, nil, fmt.Errorf("user %q: %w", u.Name, err)
	}
	if err := checkLimits(u.Limits); err != nil {
		return nil, nil, fmt.Errorf("user %q: %w", u.Name, err)
	}
	switch {
	case u.MaxSessions < 0:
		return nil, nil, fmt.Errorf("user %q: max sessions %d is negative", u.Name, u.MaxSessions)
	case u.UploadRate < 0:
		return nil, nil, fmt.Errorf("user %q: upload rate %d is negative", u.Name, u.UploadRate)
	case u.DownloadRate < 0:
		return nil, nil, fmt.Errorf("user %q: download rate %d is negative", u.Name, u.DownloadRate)
	}
	for _, t := range []struct {
		what string
		at   time.Time
	}{{"last login", u.LastLogin}, {"password change time", u.PasswordChangedAt}, {"valid until", u.ValidUntil}, {"valid from", u.ValidFrom}} {
		if err := checkTime(t.what, t.at); err != nil {
			return nil, nil, fmt.Errorf("user %q: %w", u.Name, err)
		}
	}
	if err := checkAccess(u.Access); err != nil {
		return nil, nil, fmt.Errorf("user %q: %w", u.Name, err)
	}
	seen := map[string]bool{}
	var groups []string
	for _, g := range u.Groups {
		if k := nameKey(g); !seen[k] {
			seen[k] = true
			groups = append(groups, g)
		}
	}
	return perms, groups, nil
}

// setGroups makes groups the whole membership of user id. Every group must
// exist; the error for one that does not wraps store.ErrNotFound.
func setGroups(ctx context.Context, tx *sql.Tx, id int64, groups []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_groups WHERE user_id = ?`, id); err != nil {
		return fmt.Errorf("set groups: %w", err)
	}
	for _, g := range groups {
		res, err := tx.ExecContext(ctx, `INSERT INTO user_groups (user_id, group_id)
			SELECT ?, id FROM groups WHERE name_key = ?`, id, nameKey(g))
		if err != nil {
			return fmt.Errorf("group %q: %w", g, mapErr(err))
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("group %q: %w", g, store.ErrNotFound)
		}
	}
	return nil
}

// loadUserLinks fills in the rules, access rule lists and groups of users:
// of every user when id is 0, else of the one user id.
func loadUserLinks(ctx context.Context, tx *sql.Tx, users []*user.User, id int64) error {
	perms, err := loadRules(ctx, tx, userRules, id)
	if err != nil {
		return err
	}
	access, err := loadAccess(ctx, tx, userAccess, id)
	if err != nil {
		return err
	}
	q := `SELECT ug.user_id, g.name FROM user_groups ug JOIN groups g ON g.id = ug.group_id`
	var args []any
	if id != 0 {
		q += ` WHERE ug.user_id = ?`
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY ug.user_id, g.name_key, g.name`, args...)
	if err != nil {
		return fmt.Errorf("load groups: %w", err)
	}
	defer rows.Close()
	groups := map[int64][]string{}
	for rows.Next() {
		var (
			uid  int64
			name string
		)
		if err := rows.Scan(&uid, &name); err != nil {
			return fmt.Errorf("load groups: %w", err)
		}
		groups[uid] = append(groups[uid], name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load groups: %w", err)
	}
	for _, u := range users {
		u.Perms, u.Groups = perms[u.ID], groups[u.ID]
		u.Access = withZone(access[u.ID], u.Access.TimeZone)
	}
	return nil
}
