package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// dial opens an FTPS client session to addr, closed when the test ends.
func dial(t testing.TB, addr string, implicit bool) *ftp.ServerConn {
	t.Helper()
	opt := ftp.DialWithExplicitTLS(servertest.ClientTLS())
	if implicit {
		opt = ftp.DialWithTLS(servertest.ClientTLS())
	}
	c, err := ftp.Dial(addr, opt, ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Quit() })
	return c
}

func TestUploadDownloadBothListeners(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	e.Start(t)
	for _, implicit := range []bool{false, true} {
		addr := e.Explicit()
		if implicit {
			addr = e.Implicit()
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
		onDisk, err := os.ReadFile(filepath.Join(e.Config.DefaultHome("alice"), "f.bin"))
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
	e := servertest.New(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	e.Start(t)
	reply := func(name, pass string) string {
		c := ftptest.Dial(t, e.Explicit())
		c.UpgradeTLS(servertest.ClientTLS())
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
	logs := e.Logs.String()
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
	e := servertest.New(t)
	u := e.AddUser(t, "alice", "First-Pass-1")
	e.Start(t)
	login := func(pass string) error {
		c := dial(t, e.Explicit(), false)
		return c.Login("alice", pass)
	}
	if err := login("First-Pass-1"); err != nil {
		t.Fatal(err)
	}
	hash, _ := e.Hasher.Hash("Second-Pass-2")
	if err := e.Store.SetPasswordHash(context.Background(), "alice", hash); err != nil {
		t.Fatal(err)
	}
	if err := login("First-Pass-1"); err == nil {
		t.Fatal("old password still accepted")
	}
	if err := login("Second-Pass-2"); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	u, _ = e.Store.GetUser(context.Background(), "alice")
	u.Disabled = true
	if err := e.Store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if err := login("Second-Pass-2"); err == nil {
		t.Fatal("disabled user logged in")
	}
}

// A user marked require-TLS is refused in clear text even where the server
// allows clear text, and accepted over TLS.
func TestRequireTLSUser(t *testing.T) {
	e := servertest.New(t, func(c *config.Config) { c.TLS.Policy = config.PolicyOptional })
	e.AddUser(t, "bob", "Plain-Pass-3")
	e.AddUser(t, "carol", "Secret-Pass-4", func(u *user.User) { u.RequireTLS = true })
	e.Start(t)

	plain, err := ftp.Dial(e.Explicit(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Quit()
	if err := plain.Login("bob", "Plain-Pass-3"); err != nil {
		t.Fatalf("clear-text login refused under policy optional: %v", err)
	}
	plain2, err := ftp.Dial(e.Explicit(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer plain2.Quit()
	if err := plain2.Login("carol", "Secret-Pass-4"); err == nil {
		t.Fatal("require-TLS user logged in over clear text")
	}
	if err := dial(t, e.Explicit(), false).Login("carol", "Secret-Pass-4"); err != nil {
		t.Fatalf("require-TLS user refused over TLS: %v", err)
	}
}

// With the default policy nobody logs in before AUTH TLS.
func TestCleartextLoginRefusedByDefault(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "bob", "Plain-Pass-3")
	e.Start(t)
	c := ftptest.Dial(t, e.Explicit())
	code, text := c.Send("USER bob")
	if code != 530 || !strings.Contains(strings.ToLower(text), "tls") {
		t.Fatalf("USER before AUTH TLS: %d %q, want 530 naming TLS", code, text)
	}
}

// SIGHUP's Reload swaps the certificate for new handshakes while a session
// that is already up keeps working.
func TestReloadCertificate(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	e.Start(t)
	before := certs.Fingerprint(e.Server.Certificate())

	c := dial(t, e.Explicit(), false)
	if err := c.Login("alice", "Correct-Horse-7"); err != nil {
		t.Fatal(err)
	}

	// Replace the self-signed pair by a fresh one, as an administrator
	// replacing files on disk would.
	newDir := t.TempDir()
	if _, _, err := certs.LoadOrCreate(newDir, "", "", time.Now); err != nil {
		t.Fatal(err)
	}
	cfg := *e.Config
	cfg.TLS.CertFile = filepath.Join(newDir, "cert.pem")
	cfg.TLS.KeyFile = filepath.Join(newDir, "key.pem")
	if err := e.Server.Reload(&cfg); err != nil {
		t.Fatal(err)
	}
	after := certs.Fingerprint(e.Server.Certificate())
	if after == before {
		t.Fatal("certificate unchanged after reload")
	}
	conn, err := tls.Dial("tcp", e.Implicit(), &tls.Config{InsecureSkipVerify: true})
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
	if err := e.Server.Reload(&cfg); err == nil {
		t.Fatal("reload with a missing file succeeded")
	}
	if got := certs.Fingerprint(e.Server.Certificate()); got != after {
		t.Fatal("failed reload changed the certificate")
	}
}

// A temporary file left by a crash is removed at start once it is old; a
// fresh one (an upload that may still be running elsewhere) is kept.
func TestStaleUploadsRemovedAtStart(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	home := e.Config.DefaultHome("alice")
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
	e.Start(t)
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
