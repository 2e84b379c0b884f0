package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// env is one running server with its store, built the way `bulwark serve`
// builds it.
type env struct {
	cfg    *config.Config
	store  *sqlite.Store
	srv    *server.Server
	hasher *password.Hasher
	logs   *syncBuffer
	opts   []server.Option
}

type syncBuffer = testutil.Buffer

func newEnv(t testing.TB, edit ...func(*config.Config)) *env {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.ImplicitListen = "127.0.0.1:0"
	cfg.Auth.FailureDelay.Duration = 5 * time.Millisecond
	cfg.PasswordHash.MemoryKiB = 1024
	cfg.PasswordHash.Iterations = 1
	for _, e := range edit {
		e(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{cfg: cfg, store: st, hasher: &password.Hasher{Params: cfg.PasswordHash.Params()}, logs: &syncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	return e
}

func (e *env) start(t testing.TB) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(e.cfg, e.store, logger, e.opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	e.srv = srv
}

func (e *env) addUser(t testing.TB, name, pass string, edit ...func(*user.User)) *user.User {
	t.Helper()
	hash, err := e.hasher.Hash(pass)
	if err != nil {
		t.Fatal(err)
	}
	u := &user.User{Name: name, PasswordHash: hash, Home: e.cfg.DefaultHome(name),
		Perms: user.Rules{{Path: "/", Rights: user.RightsAll}}}
	for _, f := range edit {
		f(u)
	}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) explicit() string { return e.srv.Addrs()[0].String() }
func (e *env) implicit() string { return e.srv.Addrs()[1].String() }

// clientTLS keeps a session cache, as FTPS clients must so that data
// connections resume the control connection's session. Go's client keys that
// cache by ServerName (or, without one, by host:port, which differs for every
// data connection), so ServerName must be set.
func clientTLS() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // the test server's certificate is self-signed
		ServerName:         "localhost",
		ClientSessionCache: tls.NewLRUClientSessionCache(8),
	}
}

func dial(t testing.TB, addr string, implicit bool) *ftp.ServerConn {
	t.Helper()
	opt := ftp.DialWithExplicitTLS(clientTLS())
	if implicit {
		opt = ftp.DialWithTLS(clientTLS())
	}
	c, err := ftp.Dial(addr, opt, ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Quit() })
	return c
}

func TestUploadDownloadBothListeners(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", "Correct-Horse-7")
	e.start(t)
	for _, implicit := range []bool{false, true} {
		addr := e.explicit()
		if implicit {
			addr = e.implicit()
		}
		c := dial(t, addr, implicit)
		if err := c.Login("alice", "Correct-Horse-7"); err != nil {
			t.Fatalf("login (implicit=%v): %v", implicit, err)
		}
		data := make([]byte, 3<<20)
		rand.Read(data)
		if err := c.Stor("f.bin", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		onDisk, err := os.ReadFile(filepath.Join(e.cfg.DefaultHome("alice"), "f.bin"))
		if err != nil || !bytes.Equal(onDisk, data) {
			t.Fatalf("file on disk differs (err %v)", err)
		}
		r, err := c.Retr("f.bin")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("download differs (err %v)", err)
		}
	}
}

// An unknown user and a wrong password must look exactly alike to the
// client; only the log tells them apart.
func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", "Correct-Horse-7")
	e.start(t)
	reply := func(name, pass string) string {
		c := ftptest.Dial(t, e.explicit())
		c.UpgradeTLS(clientTLS())
		c.Expect("USER "+name, 331)
		code, text := c.Send("PASS " + pass)
		if code != 530 {
			t.Fatalf("PASS for %q: %d %s, want 530", name, code, text)
		}
		return text
	}
	wrong := reply("alice", "not-the-password")
	unknown := reply("mallory", "whatever-1")
	if wrong != unknown {
		t.Fatalf("replies differ: wrong password %q, unknown user %q", wrong, unknown)
	}
	logs := e.logs.String()
	for _, want := range []string{"reason=bad_password", "reason=unknown_user"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(logs, "not-the-password") {
		t.Error("the log contains a password")
	}
}

// Changes made through the store (as the CLI makes them) apply at the next
// login, without a restart.
func TestStoreChangesApplyAtNextLogin(t *testing.T) {
	e := newEnv(t)
	u := e.addUser(t, "alice", "First-Pass-1")
	e.start(t)
	login := func(pass string) error {
		c := dial(t, e.explicit(), false)
		return c.Login("alice", pass)
	}
	if err := login("First-Pass-1"); err != nil {
		t.Fatal(err)
	}
	hash, _ := e.hasher.Hash("Second-Pass-2")
	if err := e.store.SetPasswordHash(context.Background(), "alice", hash); err != nil {
		t.Fatal(err)
	}
	if err := login("First-Pass-1"); err == nil {
		t.Fatal("old password still accepted")
	}
	if err := login("Second-Pass-2"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	u, _ = e.store.GetUser(context.Background(), "alice")
	u.Disabled = true
	if err := e.store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if err := login("Second-Pass-2"); err == nil {
		t.Fatal("disabled user logged in")
	}
}

// A user marked require-TLS is refused in clear text even where the server
// allows clear text, and accepted over TLS.
func TestRequireTLSUser(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.TLS.Policy = config.PolicyOptional })
	e.addUser(t, "bob", "Plain-Pass-3")
	e.addUser(t, "carol", "Secret-Pass-4", func(u *user.User) { u.RequireTLS = true })
	e.start(t)

	plain, err := ftp.Dial(e.explicit(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Quit()
	if err := plain.Login("bob", "Plain-Pass-3"); err != nil {
		t.Fatalf("clear-text login refused under policy optional: %v", err)
	}
	plain2, err := ftp.Dial(e.explicit(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer plain2.Quit()
	if err := plain2.Login("carol", "Secret-Pass-4"); err == nil {
		t.Fatal("require-TLS user logged in over clear text")
	}
	if err := dial(t, e.explicit(), false).Login("carol", "Secret-Pass-4"); err != nil {
		t.Fatalf("require-TLS user refused over TLS: %v", err)
	}
}

// With the default policy nobody logs in before AUTH TLS.
func TestCleartextLoginRefusedByDefault(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "bob", "Plain-Pass-3")
	e.start(t)
	c := ftptest.Dial(t, e.explicit())
	code, text := c.Send("USER bob")
	if code != 530 || !strings.Contains(strings.ToLower(text), "tls") {
		t.Fatalf("USER before AUTH TLS: %d %q, want 530 naming TLS", code, text)
	}
}

// SIGHUP's Reload swaps the certificate for new handshakes while a session
// that is already up keeps working.
func TestReloadCertificate(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", "Correct-Horse-7")
	e.start(t)
	before := certs.Fingerprint(e.srv.Certificate())

	c := dial(t, e.explicit(), false)
	if err := c.Login("alice", "Correct-Horse-7"); err != nil {
		t.Fatal(err)
	}

	// Replace the self-signed pair by a fresh one, as an administrator
	// replacing files on disk would.
	newDir := t.TempDir()
	if _, _, err := certs.LoadOrCreate(newDir, "", "", time.Now); err != nil {
		t.Fatal(err)
	}
	cfg := *e.cfg
	cfg.TLS.CertFile = filepath.Join(newDir, "cert.pem")
	cfg.TLS.KeyFile = filepath.Join(newDir, "key.pem")
	if err := e.srv.Reload(&cfg); err != nil {
		t.Fatal(err)
	}
	after := certs.Fingerprint(e.srv.Certificate())
	if after == before {
		t.Fatal("certificate unchanged after reload")
	}
	conn, err := tls.Dial("tcp", e.implicit(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	leaf := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	if got := certs.Fingerprint(&tls.Certificate{Certificate: [][]byte{leaf.Raw}}); got != after {
		t.Fatalf("new handshake served %s, want %s", got, after)
	}
	if err := c.NoOp(); err != nil {
		t.Fatalf("existing session dropped by reload: %v", err)
	}

	// A reload that fails keeps the current certificate.
	cfg.TLS.CertFile = filepath.Join(newDir, "missing.pem")
	if err := e.srv.Reload(&cfg); err == nil {
		t.Fatal("reload with a missing file succeeded")
	}
	if got := certs.Fingerprint(e.srv.Certificate()); got != after {
		t.Fatal("failed reload changed the certificate")
	}
}

// A temporary file left by a crash is removed at start once it is old; a
// fresh one (an upload that may still be running elsewhere) is kept.
func TestStaleUploadsRemovedAtStart(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "alice", "Correct-Horse-7")
	home := e.cfg.DefaultHome("alice")
	if err := os.MkdirAll(home, 0o750); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(home, ".bulwark-upload-0123456789abcdef")
	fresh := filepath.Join(home, ".bulwark-upload-fedcba9876543210")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	e.start(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := os.Stat(stale)
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stale upload file not removed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh upload file removed: %v", err)
	}
}
