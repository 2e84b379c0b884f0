package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Access rules (user.AccessRules) are stored as rows of user_access and
// group_access, one row per list entry: kind says which list ('allow',
// 'deny' or 'window' for Schedule) and position keeps the order the caller
// gave. The time zone is a column of users and groups.
//
// The store does not parse addresses, CIDRs, windows or zone names: the
// callers check them with internal/access before writing, and the login
// path checks them again when it evaluates them. The store only refuses
// what no valid rule can contain and what would be harmful in a log or a
// listing: empty entries, invalid UTF-8 and control characters.
//
// A list with no entries reads back as nil, whether it was written as nil
// or as an empty slice.

// accessTable says where one kind of owner keeps its access rules.
type accessTable struct {
	table string // user_access or group_access
	owner string // its owner column
}

var (
	userAccess  = accessTable{"user_access", "user_id"}
	groupAccess = accessTable{"group_access", "group_id"}
)

// The kinds of access rule rows, one per list of user.AccessRules.
const (
	accessAllow  = "allow"
	accessDeny   = "deny"
	accessWindow = "window"
)

// accessLists pairs each kind with its list in r, in a fixed order.
func accessLists(r *user.AccessRules) []struct {
	kind string
	list *[]string
} {
	return []struct {
		kind string
		list *[]string
	}{
		{accessAllow, &r.AllowIPs},
		{accessDeny, &r.DenyIPs},
		{accessWindow, &r.Schedule},
	}
}

// checkAccess refuses entries the store will not keep (see above).
func checkAccess(r user.AccessRules) error {
	for _, l := range accessLists(&r) {
		for i, v := range *l.list {
			if v == "" {
				return fmt.Errorf("access rule %s #%d is empty", l.kind, i+1)
			}
			if err := checkText(v); err != nil {
				return fmt.Errorf("access rule %s #%d: %w", l.kind, i+1, err)
			}
		}
	}
	if err := checkText(r.TimeZone); err != nil {
		return fmt.Errorf("access time zone: %w", err)
	}
	return nil
}

// checkText refuses invalid UTF-8 and control characters (a newline in a
// rule would forge lines in logs and listings).
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%q contains a control character", s)
		}
	}
	return nil
}

// replaceAccess makes r's lists the whole set of access rule rows of owner
// id. The time zone is written by the caller with the owner's row.
func replaceAccess(ctx context.Context, tx *sql.Tx, t accessTable, id int64, r user.AccessRules) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.owner+` = ?`, id); err != nil {
		return fmt.Errorf("replace access rules: %w", err)
	}
	if len(r.AllowIPs)+len(r.DenyIPs)+len(r.Schedule) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+t.table+` (`+t.owner+`, kind, position, value) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("replace access rules: %w", err)
	}
	defer stmt.Close()
	for _, l := range accessLists(&r) {
		for i, v := range *l.list {
			if _, err := stmt.ExecContext(ctx, id, l.kind, i, v); err != nil {
				return fmt.Errorf("access rule %s %q: %w", l.kind, v, mapErr(err))
			}
		}
	}
	return nil
}

// loadAccess returns the access rule lists of every owner (id == 0) or of
// one, each list in its stored order. TimeZone is left empty: it comes
// from the owner's row.
func loadAccess(ctx context.Context, tx *sql.Tx, t accessTable, id int64) (map[int64]user.AccessRules, error) {
	q := `SELECT ` + t.owner + `, kind, value FROM ` + t.table
	var args []any
	if id != 0 {
		q += ` WHERE ` + t.owner + ` = ?`
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY `+t.owner+`, kind, position`, args...)
	if err != nil {
		return nil, fmt.Errorf("load access rules: %w", err)
	}
	defer rows.Close()
	out := map[int64]user.AccessRules{}
	for rows.Next() {
		var (
			owner       int64
			kind, value string
		)
		if err := rows.Scan(&owner, &kind, &value); err != nil {
			return nil, fmt.Errorf("load access rules: %w", err)
		}
		r := out[owner]
		switch kind {
		case accessAllow:
			r.AllowIPs = append(r.AllowIPs, value)
		case accessDeny:
			r.DenyIPs = append(r.DenyIPs, value)
		case accessWindow:
			r.Schedule = append(r.Schedule, value)
		default:
			// The CHECK constraint makes this unreachable; refuse rather
			// than drop a rule silently.
			return nil, fmt.Errorf("load access rules: unknown kind %q", kind)
		}
		out[owner] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load access rules: %w", err)
	}
	return out, nil
}

// withZone returns the lists of r with the time zone zone.
func withZone(r user.AccessRules, zone string) user.AccessRules {
	r.TimeZone = zone
	return r
}
