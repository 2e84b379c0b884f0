package sqlite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

// AppendAudit stores e and sets its ID, and its Time when zero (to the
// current time). Before and After must be empty or JSON. It does not change
// the generation: recording a change is not itself a change of rights.
func (s *Store) AppendAudit(ctx context.Context, e *store.AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return errors.New("append audit entry: actor and action are required")
	}
	at := e.Time.UTC()
	if e.Time.IsZero() {
		at = time.Now().UTC()
	}
	if err := checkTime("audit time", at); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (time, actor, action, target, before_state, after_state)
		VALUES (?, ?, ?, ?, ?, ?)`, at.UnixNano(), e.Actor, e.Action, e.Target, e.Before, e.After)
	if err != nil {
		return fmt.Errorf("append audit entry %s: %w", e.Action, mapErr(err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("append audit entry %s: %w", e.Action, err)
	}
	e.ID, e.Time = id, at
	return nil
}

// DeleteAuditBefore removes the entries older than before (none for a
// zero before) and returns how many.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM audit_log WHERE time < ?`, sinceNanos(before))
	if err != nil {
		return 0, fmt.Errorf("delete audit entries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete audit entries: %w", err)
	}
	return n, nil
}

// ListAudit returns the entries at or after since (every entry when since
// is zero), oldest first. With limit > 0 only the newest limit of them are
// returned, still oldest first. Entries with the same time keep the order
// they were appended in.
func (s *Store) ListAudit(ctx context.Context, since time.Time, limit int) ([]store.AuditEntry, error) {
	q := `SELECT id, time, actor, action, target, before_state, after_state FROM audit_log
		WHERE time >= ? ORDER BY time DESC, id DESC`
	args := []any{sinceNanos(since)}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Before, &e.After); err != nil {
			return nil, fmt.Errorf("list audit entries: %w", err)
		}
		e.Time = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	// Read newest first so LIMIT keeps the newest; hand back oldest first.
	slices.Reverse(out)
	return out, nil
}
