package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the schema history. Entry i brings the database to version
// i+1. Entries are never edited or removed once released: a change to the
// schema is a new entry appended at the end (groups, shares and permissions
// come that way).
var migrations = []string{
	// 1: users. Times are Unix nanoseconds in UTC; last_login is NULL until
	// the first login. name_key is the case-folded name (see nameKey) and
	// carries the uniqueness rule; name keeps the spelling the user was
	// created with.
	`CREATE TABLE users (
		id            INTEGER PRIMARY KEY,
		name          TEXT    NOT NULL,
		name_key      TEXT    NOT NULL UNIQUE,
		password_hash TEXT    NOT NULL,
		home          TEXT    NOT NULL DEFAULT '',
		disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
		require_tls   INTEGER NOT NULL DEFAULT 0 CHECK (require_tls IN (0, 1)),
		comment       TEXT    NOT NULL DEFAULT '',
		created_at    INTEGER NOT NULL,
		updated_at    INTEGER NOT NULL,
		last_login    INTEGER
	) STRICT`,
}

// migrate applies every migration newer than the database's version, each
// in its own transaction together with its row in schema_migrations. The
// version is read again inside each transaction, so two processes starting
// at once cannot apply the same step twice.
func migrate(ctx context.Context, db *sql.DB, steps []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for i, stmt := range steps {
		if err := applyStep(ctx, db, i+1, stmt, len(steps)); err != nil {
			return err
		}
	}
	return nil
}

func applyStep(ctx context.Context, db *sql.DB, version int, stmt string, known int) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if current > known {
		// An older binary must not write to a schema it does not know.
		return fmt.Errorf("database schema version %d is newer than this program supports (%d)", current, known)
	}
	if current >= version {
		return tx.Commit()
	}
	if current != version-1 {
		return fmt.Errorf("database schema version %d has a gap before migration %d", current, version)
	}
	if _, err = tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		version, time.Now().UTC().UnixNano()); err != nil {
		return fmt.Errorf("migration %d: record version: %w", version, err)
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", version, err)
	}
	return nil
}

func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}
