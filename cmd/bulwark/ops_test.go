package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"github.com/bulwark-ftp/bulwark/internal/admin"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/audit"
)

const opsPassword = "Ops-Tested-Pass-41"

// ftpLogin logs in to a running serve over explicit TLS as name.
func ftpLogin(t *testing.T, e *env, s *serving, name string) *ftp.ServerConn {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(e.dataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := ftp.Dial(s.addrs[0].String(), ftp.DialWithTimeout(10*time.Second),
		ftp.DialWithExplicitTLS(&tls.Config{RootCAs: pool, ServerName: "localhost",
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Quit() })
	if err := c.Login(name, opsPassword); err != nil {
		t.Fatalf("login as %s: %v", name, err)
	}
	return c
}

// waitGone polls until the client's session is over.
func waitGone(t *testing.T, c *ftp.ServerConn, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.NoOp() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the session is still open", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// apiGet calls the running admin API with token and returns the body.
func apiGet(t *testing.T, s *serving, token, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.admin+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The administrator's round: see who is connected, close a session, watch
// the metrics, disable a user, and find every change in the audit trail,
// all against a real serve through the CLI and the admin API.
func TestOperationsEndToEnd(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"alice", "bob"} {
		e.ok(opsPassword+"\n", "user", "add", name, "--password-stdin")
	}
	s := startServe(t, e)
	defer s.stop(t)
	via := []string{"--admin", s.admin}

	alice := ftpLogin(t, e, s, "alice")
	bob := ftpLogin(t, e, s, "bob")
	if err := alice.Stor("a.txt", bytes.NewReader([]byte("alice's file"))); err != nil {
		t.Fatal(err)
	}

	// session list (with a temporary token the CLI makes and removes).
	r := e.ok("", append([]string{"session", "list", "--json"}, via...)...)
	var sessions []admin.Session
	if err := json.Unmarshal([]byte(r.stdout), &sessions); err != nil {
		t.Fatalf("session list --json: %v\n%s", err, r.stdout)
	}
	ids := map[string]string{}
	for _, si := range sessions {
		ids[si.User] = si.ID
		if !si.TLS || si.TLSVersion == "" {
			t.Errorf("session %+v: want TLS details", si)
		}
	}
	if ids["alice"] == "" || ids["bob"] == "" {
		t.Fatalf("session list shows %v, want alice and bob", ids)
	}
	table := e.ok("", append([]string{"session", "list"}, via...)...).stdout
	if !strings.Contains(table, "alice") || !strings.Contains(table, ids["bob"]) {
		t.Errorf("session list table:\n%s", table)
	}

	// session kill: bob's client is cut off, alice goes on.
	e.ok("", append([]string{"session", "kill", ids["bob"], "--reason", "maintenance"}, via...)...)
	waitGone(t, bob, "killed session")
	if err := alice.NoOp(); err != nil {
		t.Fatalf("alice lost her session too: %v", err)
	}
	if r := e.run("", append([]string{"session", "kill", ids["bob"]}, via...)...); r.code == exitOK {
		t.Error("killing a session that is gone succeeded")
	}

	// status
	r = e.ok("", append([]string{"status", "--json"}, via...)...)
	var st struct {
		Sessions int      `json:"sessions"`
		LoggedIn int      `json:"logged_in"`
		Version  string   `json:"version"`
		Listen   []string `json:"listeners"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.LoggedIn != 1 || len(st.Listen) != 2 || st.Version == "" {
		t.Errorf("status --json: %+v, %v\n%s", st, err, r.stdout)
	}

	// A token of one's own; the API refuses requests without one.
	token := strings.TrimSpace(e.ok("", "admin", "token", "create", "monitoring", "--read-only").stdout)
	if list := e.ok("", "admin", "token", "list").stdout; !strings.Contains(list, "monitoring  read-only") {
		t.Errorf("token list:\n%s", list)
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://"+s.admin+"/api/v1/sessions/"+ids["alice"], nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Error(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a read-only token closing a session: %s", resp.Status)
		}
	}
	if err := alice.NoOp(); err != nil {
		t.Fatalf("a read-only token closed a session: %v", err)
	}
	if code, _ := apiGet(t, s, "", "/api/v1/sessions"); code != http.StatusUnauthorized {
		t.Errorf("sessions without a token: %d", code)
	}
	if code, body := apiGet(t, s, "", "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := apiGet(t, s, "", "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	code, metrics := apiGet(t, s, token, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`bulwark_logins_total{reason="",result="success"} 2`,
		`bulwark_sessions_logged_in 1`,
		`bulwark_transfers_total{command="STOR",result="ok"} 1`,
		`bulwark_transfer_bytes_total{direction="in"} 12`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Disabling a user with the CLI (another process, as far as the
	// server knows) ends her session at once.
	e.ok("", "user", "disable", "alice")
	waitGone(t, alice, "disabled user")

	// The audit trail has every change, with who made it.
	r = e.ok("", "audit", "list", "--json")
	var entries []struct {
		Actor, Action, Target string
	}
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil {
		t.Fatalf("audit list --json: %v\n%s", err, r.stdout)
	}
	var got []string
	for _, en := range entries {
		by := strings.SplitN(en.Actor, ":", 2)[0]
		if strings.HasPrefix(en.Actor, "token:cli-") {
			// A temporary token of the command line: its name says who.
			name := strings.TrimPrefix(en.Actor, "token:cli-")
			by = "cli token of " + name[:strings.LastIndex(name, "-")]
		}
		got = append(got, en.Action+" "+en.Target+" by "+by)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"user.create alice by cli", "session.kill " + ids["bob"] + " by cli token of " + strings.TrimPrefix(audit.LocalActor(), "cli:"),
		"token.create monitoring by cli", "user.disable alice by cli"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, all)
		}
	}
	e.never(opsPassword)
}

// The transfer log gets one xferlog line per transfer and, like the main
// log, moves to a new file on SIGUSR1 (logrotate renames, then signals).
func TestTransferLogReopenedOnSIGUSR1(t *testing.T) {
	e := newEnv(t)
	e.ok(opsPassword+"\n", "user", "add", "alice", "--password-stdin")
	dir := t.TempDir()
	xfer := filepath.Join(dir, "xferlog")
	cfgFile := filepath.Join(dir, "bulwark.toml")
	if err := os.WriteFile(cfgFile, []byte("[log]\ntransfer_log = \""+xfer+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, e, "--config", cfgFile)
	defer s.stop(t)
	c := ftpLogin(t, e, s, "alice")
	if err := c.Stor("one.txt", bytes.NewReader([]byte("first"))); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(xfer, xfer+".1"); err != nil {
		t.Fatal(err)
	}
	s.sigs <- sigReopen
	s.waitLog(t, "log files reopened")
	if err := c.Stor("two.txt", bytes.NewReader([]byte("second"))); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(xfer + ".1")
	cur, _ := os.ReadFile(xfer)
	if !strings.Contains(string(old), " 5 /one.txt b _ i r alice ftp 0 * c") || strings.Count(string(old), "\n") != 1 {
		t.Errorf("rotated transfer log:\n%s", old)
	}
	if !strings.Contains(string(cur), " 6 /two.txt b _ i r alice ftp 0 * c") || strings.Count(string(cur), "\n") != 1 {
		t.Errorf("new transfer log:\n%s", cur)
	}
}

// A reload that changes the configuration is in the audit trail, with the
// keys it changed.
func TestReloadAudited(t *testing.T) {
	e := newEnv(t)
	cfgFile := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgFile, []byte("[server]\nbanner = \"one\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, e, "--config", cfgFile)
	defer s.stop(t)
	s.sigs <- syscall.SIGHUP // nothing changed: nothing recorded
	s.waitLog(t, "configuration reloaded")
	if err := os.WriteFile(cfgFile, []byte("[server]\nbanner = \"two\"\n[access]\nexplain_denials = true\n[tls]\npolicy = \"optional\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.sigs <- syscall.SIGHUP
	deadline := time.Now().Add(10 * time.Second)
	for {
		out := e.ok("", "audit", "list", "--json").stdout
		var entries []struct {
			Actor, Action string
			After         struct{ Changed []string }
		}
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatal(err)
		}
		var reloads []string
		for _, en := range entries {
			if en.Action == "config.reload" {
				reloads = append(reloads, en.Actor+" "+strings.Join(en.After.Changed, ","))
			}
		}
		if len(reloads) > 0 {
			if len(reloads) != 1 || reloads[0] != "system:reload access.explain_denials,server.banner,tls.policy" {
				t.Fatalf("reloads recorded: %q", reloads)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reload in the audit trail:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Loosening by reload is logged as at start-up.
	s.waitLog(t, "tls.policy is optional")
}
