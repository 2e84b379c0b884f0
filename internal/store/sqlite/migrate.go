package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is the schema history. Entry i brings the database to version
// i+1. Entries are never edited or removed once released: a change to the
// schema is a new entry appended at the end.
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

	// 2: per-path rights, groups, shares and their grants, limits, usage and
	// the generation counter. Every user that existed before gets "/" with
	// every right (2047 is user.RightsAll at this version), which is what
	// version 1 allowed: full rights in the home. Limits of 0 are unlimited.
	// A grant names exactly one grantee; two UNIQUE constraints make
	// (share, grantee, mount point) unique, as NULLs never collide.
	`ALTER TABLE users ADD COLUMN max_bytes     INTEGER NOT NULL DEFAULT 0 CHECK (max_bytes >= 0);
	ALTER TABLE users ADD COLUMN max_files     INTEGER NOT NULL DEFAULT 0 CHECK (max_files >= 0);
	ALTER TABLE users ADD COLUMN max_file_size INTEGER NOT NULL DEFAULT 0 CHECK (max_file_size >= 0);
	ALTER TABLE users ADD COLUMN max_sessions  INTEGER NOT NULL DEFAULT 0 CHECK (max_sessions >= 0);
	ALTER TABLE users ADD COLUMN upload_rate   INTEGER NOT NULL DEFAULT 0 CHECK (upload_rate >= 0);
	ALTER TABLE users ADD COLUMN download_rate INTEGER NOT NULL DEFAULT 0 CHECK (download_rate >= 0);

	CREATE TABLE user_perms (
		user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		path    TEXT    NOT NULL,
		rights  INTEGER NOT NULL CHECK (rights >= 0),
		PRIMARY KEY (user_id, path)
	) STRICT;

	CREATE TABLE groups (
		id         INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		name_key   TEXT    NOT NULL UNIQUE,
		comment    TEXT    NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	) STRICT;

	CREATE TABLE group_perms (
		group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
		path     TEXT    NOT NULL,
		rights   INTEGER NOT NULL CHECK (rights >= 0),
		PRIMARY KEY (group_id, path)
	) STRICT;

	CREATE TABLE user_groups (
		user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
		PRIMARY KEY (user_id, group_id)
	) STRICT;
	CREATE INDEX user_groups_group ON user_groups (group_id);

	CREATE TABLE shares (
		id         INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		name_key   TEXT    NOT NULL UNIQUE,
		path       TEXT    NOT NULL,
		comment    TEXT    NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	) STRICT;

	CREATE TABLE grants (
		id            INTEGER PRIMARY KEY,
		share_id      INTEGER NOT NULL REFERENCES shares (id) ON DELETE CASCADE,
		user_id       INTEGER REFERENCES users (id) ON DELETE CASCADE,
		group_id      INTEGER REFERENCES groups (id) ON DELETE CASCADE,
		at            TEXT    NOT NULL,
		rights        INTEGER NOT NULL CHECK (rights >= 0),
		max_bytes     INTEGER NOT NULL DEFAULT 0 CHECK (max_bytes >= 0),
		max_files     INTEGER NOT NULL DEFAULT 0 CHECK (max_files >= 0),
		max_file_size INTEGER NOT NULL DEFAULT 0 CHECK (max_file_size >= 0),
		CHECK ((user_id IS NULL) <> (group_id IS NULL)),
		UNIQUE (share_id, user_id, at),
		UNIQUE (share_id, group_id, at)
	) STRICT;
	CREATE INDEX grants_user ON grants (user_id);
	CREATE INDEX grants_group ON grants (group_id);

	CREATE TABLE usage (
		kind     TEXT    NOT NULL CHECK (kind IN ('user', 'share')),
		name_key TEXT    NOT NULL,
		bytes    INTEGER NOT NULL CHECK (bytes >= 0),
		files    INTEGER NOT NULL CHECK (files >= 0),
		PRIMARY KEY (kind, name_key)
	) STRICT;

	CREATE TABLE generation (
		id    INTEGER PRIMARY KEY CHECK (id = 1),
		value INTEGER NOT NULL
	) STRICT;
	INSERT INTO generation (id, value) VALUES (1, 0);

	INSERT INTO user_perms (user_id, path, rights) SELECT id, '/', 2047 FROM users;`,

	// 3: password compliance. Users that existed before count their
	// password as set at the upgrade, so that turning on aging does not
	// expire every password at once; password_changed_at is NULL only when
	// an administrator stored a zero time. valid_until is NULL when the
	// account never lapses. password_history keeps previous hashes;
	// created_at is when that password was set. A group's password_rules is
	// the JSON of user.PasswordRules, '' when it overrides nothing.
	`ALTER TABLE users ADD COLUMN password_changed_at  INTEGER;
	ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));
	ALTER TABLE users ADD COLUMN aging_exempt         INTEGER NOT NULL DEFAULT 0 CHECK (aging_exempt IN (0, 1));
	ALTER TABLE users ADD COLUMN valid_until          INTEGER;
	UPDATE users SET password_changed_at = CAST(unixepoch('subsec') * 1000000000 AS INTEGER);

	CREATE TABLE password_history (
		id         INTEGER PRIMARY KEY,
		user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		hash       TEXT    NOT NULL,
		created_at INTEGER NOT NULL
	) STRICT;
	CREATE INDEX password_history_user ON password_history (user_id, created_at);

	ALTER TABLE groups ADD COLUMN password_rules TEXT NOT NULL DEFAULT ''
		CHECK (password_rules = '' OR json_valid(password_rules));`,

	// 4: the defender's state that must outlive a restart and be shared
	// with the command-line tool. bans holds one row per refused source,
	// keyed by its canonical (masked) CIDR text; until is NULL for a ban
	// that never ends, first_at and last_at NULL when unknown (a manual
	// ban). bans_version is the counter of ban changes, apart from
	// generation because a ban is not a change of rights and must not make
	// the server reload accounts. known_addresses remembers where each user
	// logged in from (its primary key also serves lookups and the cascade);
	// account_protection says until when an account under distributed
	// attack accepts only those addresses.
	`CREATE TABLE bans (
		prefix   TEXT    PRIMARY KEY,
		reason   TEXT    NOT NULL DEFAULT '',
		first_at INTEGER,
		last_at  INTEGER,
		count    INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
		level    INTEGER NOT NULL DEFAULT 0 CHECK (level >= 0),
		until    INTEGER,
		manual   INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1))
	) STRICT;

	CREATE TABLE bans_version (
		id    INTEGER PRIMARY KEY CHECK (id = 1),
		value INTEGER NOT NULL
	) STRICT;
	INSERT INTO bans_version (id, value) VALUES (1, 0);

	CREATE TABLE known_addresses (
		user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		addr      TEXT    NOT NULL,
		last_seen INTEGER NOT NULL,
		PRIMARY KEY (user_id, addr)
	) STRICT;

	CREATE TABLE account_protection (
		user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
		until   INTEGER NOT NULL
	) STRICT;`,

	// 5: validity start and access rules. valid_from is NULL when the
	// account is valid from its creation. time_zone is the zone of the
	// owner's schedule, '' for the server's. user_access and group_access
	// hold one row per entry of the owner's allow list, deny list or
	// schedule (kind 'window'); position keeps each list in the order it
	// was given. The values are stored as text and checked by the callers
	// (see access.go). Existing users and groups get no rules, which is
	// what they had: no restriction.
	`ALTER TABLE users  ADD COLUMN valid_from INTEGER;
	ALTER TABLE users  ADD COLUMN time_zone  TEXT NOT NULL DEFAULT '';
	ALTER TABLE groups ADD COLUMN time_zone  TEXT NOT NULL DEFAULT '';

	CREATE TABLE user_access (
		user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
		kind     TEXT    NOT NULL CHECK (kind IN ('allow', 'deny', 'window')),
		position INTEGER NOT NULL CHECK (position >= 0),
		value    TEXT    NOT NULL CHECK (value <> ''),
		PRIMARY KEY (user_id, kind, position)
	) STRICT;

	CREATE TABLE group_access (
		group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
		kind     TEXT    NOT NULL CHECK (kind IN ('allow', 'deny', 'window')),
		position INTEGER NOT NULL CHECK (position >= 0),
		value    TEXT    NOT NULL CHECK (value <> ''),
		PRIMARY KEY (group_id, kind, position)
	) STRICT;`,

	// 6: the audit trail and the admin API's tokens. audit_log keeps one
	// row per administrative change; before_state and after_state are JSON
	// objects, '' when there is no such state (nothing before a creation,
	// nothing after a deletion). admin_tokens holds only the hash of each
	// token; expires_at is NULL for a token that never expires,
	// last_used_at NULL until the first use.
	`CREATE TABLE audit_log (
		id           INTEGER PRIMARY KEY,
		time         INTEGER NOT NULL,
		actor        TEXT    NOT NULL,
		action       TEXT    NOT NULL,
		target       TEXT    NOT NULL DEFAULT '',
		before_state TEXT    NOT NULL DEFAULT '' CHECK (before_state = '' OR json_valid(before_state)),
		after_state  TEXT    NOT NULL DEFAULT '' CHECK (after_state = '' OR json_valid(after_state))
	) STRICT;
	CREATE INDEX audit_log_time ON audit_log (time);

	CREATE TABLE admin_tokens (
		id           INTEGER PRIMARY KEY,
		name         TEXT    NOT NULL UNIQUE CHECK (name <> ''),
		hash         TEXT    NOT NULL UNIQUE CHECK (hash <> ''),
		created_at   INTEGER NOT NULL,
		expires_at   INTEGER,
		last_used_at INTEGER
	) STRICT;`,

	// 7: read-only admin tokens (monitoring may read, never change).
	`ALTER TABLE admin_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1));`,
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
