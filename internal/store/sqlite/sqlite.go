// Package sqlite is the SQLite implementation of store.Store. It uses the
// cgo-free modernc.org/sqlite driver so Bulwark stays a single static binary.
//
// The database runs in WAL mode with a busy timeout and every transaction
// taken with BEGIN IMMEDIATE, so the server and the command-line tool can use
// the same file at the same time: readers never block, and a writer waits for
// another instead of failing at once.
//
// Every change to users, groups, shares or grants also increases a counter
// in the same transaction (see Store.Generation), so a running server learns
// of a change made by another process with one cheap read. Bans have a
// counter of their own (see Store.BansVersion): a new ban is not a change of
// rights and must not make the server reload accounts.
//
// User, group and share names are unique without regard to case: "Alice"
// and "alice" cannot both exist, and every lookup by name ignores case. Folding is Unicode-aware
// (see nameKey), not limited to ASCII as SQLite's NOCASE collation would be.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeoutMS is how long a connection waits for another writer (in this
// or another process) before giving up with SQLITE_BUSY.
const busyTimeoutMS = 5000

// Store is an account store in one SQLite file. It is safe for concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. A new file is created with mode 0600: it holds password hashes.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := createPrivate(abs); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	if err := migrate(ctx, db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	return &Store{db: db}, nil
}

// Close releases the database. It does not wait for other processes.
func (s *Store) Close() error {
	return s.db.Close()
}

// createPrivate makes sure the database file exists before SQLite opens it,
// so that it is created 0600 rather than with the process umask's default.
// SQLite gives the -wal and -shm files the same mode as the database. An
// existing file is left as the administrator set it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// dsn builds a file: URI so that any character in the path ('?', '#', '%')
// reaches SQLite intact. The pragmas are applied by the driver on every new
// connection of the pool, not only the first.
func dsn(abs string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction. A
	// deferred transaction that reads and then writes cannot wait for the
	// lock (SQLite returns SQLITE_BUSY at once to avoid a deadlock), so two
	// processes updating at the same time would fail instead of queueing.
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}
