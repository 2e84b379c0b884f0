package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// change runs fn in one write transaction (BEGIN IMMEDIATE, see dsn) and,
// when fn succeeds, increases the generation in that same transaction: a
// process that reads the new generation is sure to see the change too.
func (s *Store) change(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, `UPDATE generation SET value = value + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump generation: %w", err)
	}
	if err = tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// write runs fn in one write transaction (BEGIN IMMEDIATE, see dsn) without
// touching the generation: for state that is not a change of rights.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// view runs fn in a read transaction, so that a user and its rules and
// groups come from one snapshot. ReadOnly makes the driver issue a plain
// (deferred) BEGIN instead of BEGIN IMMEDIATE: in WAL mode such a reader
// never waits for a writer.
func (s *Store) view(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// Generation returns the change counter. It is read from the database on
// every call (one single-row lookup by primary key) so that changes made by
// another process are seen.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM generation WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return g, nil
}

// lookupID finds the id of the row of table (users, groups or shares) whose
// name matches, ignoring case. The error wraps store.ErrNotFound and names
// what was missing ("group \"staff\"").
func lookupID(ctx context.Context, tx *sql.Tx, table, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE name_key = ?`, nameKey(name)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", kindOf(table), name, mapErr(err))
	}
	return id, nil
}

// kindOf names a row of table in error messages.
func kindOf(table string) string {
	switch table {
	case "users":
		return "user"
	case "groups":
		return "group"
	case "shares":
		return "share"
	}
	return table
}
