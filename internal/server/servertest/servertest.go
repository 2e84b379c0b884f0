// Package servertest starts a whole Bulwark server inside a test process:
// the real SQLite account store, real listeners on 127.0.0.1 and the
// self-signed certificate, built the way `bulwark serve` builds them, with
// settings that keep tests fast. Only tests import it.
package servertest

import (
	"context"
	"crypto/tls"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Config returns the default configuration made fit for a test, then
// changed by each edit in order, and validated: the data directory is a
// fresh t.TempDir(), both listeners are on 127.0.0.1:0, Argon2id runs at
// its lowest cost (tests are about the server, not the hash) and a failed
// login waits 5 ms instead of the default delay.
func Config(t testing.TB, edit ...func(*config.Config)) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.ImplicitListen = "127.0.0.1:0"
	cfg.Auth.FailureDelay.Duration = 5 * time.Millisecond
	cfg.PasswordHash.MemoryKiB = config.MinMemoryKiB
	cfg.PasswordHash.Iterations = 1
	for _, e := range edit {
		e(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// OpenStore opens the account store at cfg.DatabasePath(), creating the
// data directory if an edit moved it somewhere new, and closes the store
// when the test ends.
func OpenStore(t testing.TB, cfg *config.Config) *sqlite.Store {
	t.Helper()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), cfg.DatabasePath())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Env is one server with its configuration and store. Fields may be
// changed between New and Start.
type Env struct {
	Config *config.Config
	Store  *sqlite.Store
	// Hasher hashes passwords with the configuration's Argon2id
	// parameters, as the CLI does.
	Hasher *password.Hasher
	// Logs collects what the default Logger writes; it is printed when
	// the test fails.
	Logs *testutil.Buffer
	// Logger is given to the server by Start: debug-level text into Logs,
	// unless replaced (for another level, format or writer).
	Logger *slog.Logger
	// Options are passed to server.New by Start.
	Options []server.Option
	// Server is the server the last call of Start started.
	Server *server.Server
}

// New prepares a server with Config(t, edit...) and its store; add users,
// then call Start.
func New(t testing.TB, edit ...func(*config.Config)) *Env {
	t.Helper()
	cfg := Config(t, edit...)
	e := &Env{
		Config: cfg,
		Store:  OpenStore(t, cfg),
		Hasher: cfg.PasswordHash.Hasher(),
		Logs:   &testutil.Buffer{},
	}
	e.Logger = slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// Registered before any server's shutdown, so it runs after it: the
	// log is complete by then.
	t.Cleanup(func() {
		if log := e.Logs.String(); t.Failed() && log != "" {
			t.Logf("server log:\n%s", log)
		}
	})
	return e
}

// Start builds and starts a server from the Env's fields and shuts it down
// when the test ends. It may be called again after a Shutdown, to restart.
func (e *Env) Start(t testing.TB) {
	t.Helper()
	srv, err := server.New(e.Config, e.Store, e.Logger, e.Options...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	})
	e.Server = srv
}

// AddUser creates an account with full rights in its default home (which
// it does not create); edit may change it before it is stored.
func (e *Env) AddUser(t testing.TB, name, pass string, edit ...func(*user.User)) *user.User {
	t.Helper()
	hash, err := e.Hasher.Hash(pass)
	if err != nil {
		t.Fatal(err)
	}
	u := &user.User{Name: name, PasswordHash: hash, Home: e.Config.DefaultHome(name),
		Perms: user.Rules{{Path: "/", Rights: user.RightsAll}}}
	for _, f := range edit {
		f(u)
	}
	if err := e.Store.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

// Explicit is host:port of the explicit FTPS (AUTH TLS) listener.
func (e *Env) Explicit() string { return e.Server.Addrs()[0].String() }

// Implicit is host:port of the implicit FTPS listener, which must be
// configured.
func (e *Env) Implicit() string { return e.Server.Addrs()[1].String() }

// ClientTLS is a client configuration for the self-signed certificate. It
// keeps a session cache, as FTPS clients must so that data connections
// resume the control connection's session. Go's client keys that cache by
// ServerName (or, without one, by host:port, which differs for every data
// connection), so ServerName is set.
func ClientTLS() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // the test server's certificate is self-signed
		ServerName:         "localhost",
		ClientSessionCache: tls.NewLRUClientSessionCache(8),
	}
}
