package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// ruleTable says where one kind of owner keeps its path rules.
type ruleTable struct {
	table string // user_perms or group_perms
	owner string // its owner column
}

var (
	userRules  = ruleTable{"user_perms", "user_id"}
	groupRules = ruleTable{"group_perms", "group_id"}
)

// cleanRules checks rs and returns it with cleaned paths, sorted by path.
// Two rules for one path (after cleaning) are refused rather than letting
// one silently win.
func cleanRules(rs user.Rules) (user.Rules, error) {
	out := make(user.Rules, 0, len(rs))
	for _, r := range rs {
		p, err := user.CleanVirtualPath(r.Path)
		if err != nil {
			return nil, err
		}
		if extra := r.Rights &^ user.RightsAll; extra != 0 {
			return nil, fmt.Errorf("rule for %q: unknown rights %#x", p, uint16(extra))
		}
		if _, dup := out.Lookup(p); dup {
			return nil, fmt.Errorf("two rules for path %q", p)
		}
		out = append(out, user.PathRule{Path: p, Rights: r.Rights})
	}
	slices.SortFunc(out, func(a, b user.PathRule) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// replaceRules makes rs the whole set of rules of owner id.
func replaceRules(ctx context.Context, tx *sql.Tx, t ruleTable, id int64, rs user.Rules) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.owner+` = ?`, id); err != nil {
		return fmt.Errorf("replace rules: %w", err)
	}
	if len(rs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+t.table+` (`+t.owner+`, path, rights) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("replace rules: %w", err)
	}
	defer stmt.Close()
	for _, r := range rs {
		if _, err := stmt.ExecContext(ctx, id, r.Path, int64(r.Rights)); err != nil {
			return fmt.Errorf("rule %s: %w", r, mapErr(err))
		}
	}
	return nil
}

// loadRules returns the rules of every owner (id == 0) or of one, each
// owner's rules sorted by path.
func loadRules(ctx context.Context, tx *sql.Tx, t ruleTable, id int64) (map[int64]user.Rules, error) {
	q := `SELECT ` + t.owner + `, path, rights FROM ` + t.table
	var args []any
	if id != 0 {
		q += ` WHERE ` + t.owner + ` = ?`
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY `+t.owner+`, path`, args...)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	defer rows.Close()
	out := map[int64]user.Rules{}
	for rows.Next() {
		var (
			owner  int64
			r      user.PathRule
			rights int64
		)
		if err := rows.Scan(&owner, &r.Path, &rights); err != nil {
			return nil, fmt.Errorf("load rules: %w", err)
		}
		r.Rights = user.Rights(rights)
		out[owner] = append(out[owner], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	return out, nil
}

// checkLimits refuses negative limits: zero is the only "unlimited".
func checkLimits(l user.Limits) error {
	switch {
	case l.MaxBytes < 0:
		return fmt.Errorf("max bytes %d is negative", l.MaxBytes)
	case l.MaxFiles < 0:
		return fmt.Errorf("max files %d is negative", l.MaxFiles)
	case l.MaxFileSize < 0:
		return fmt.Errorf("max file size %d is negative", l.MaxFileSize)
	}
	return nil
}
