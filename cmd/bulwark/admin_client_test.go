package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/admin"
	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
)

// fakeAdmin stands for the admin API of a running server (another
// process): it checks bearer tokens against its own handle on the store
// and answers as the API contract says.
type fakeAdmin struct {
	t   *testing.T
	st  *sqlite.Store
	now time.Time
	// extra is a token accepted without being in the store (given with
	// --token or the environment).
	extra string

	mu   sync.Mutex
	reqs []fakeReq
}

// fakeReq is what the fake saw of one request.
type fakeReq struct {
	method, path, reason string
	// token names the token used ("extra" for the extra one), and
	// expires when it is stored; stored counts the tokens in the store at
	// that moment.
	token    string
	expires  time.Time
	stored   int
	readOnly bool
}

func newFakeAdmin(t *testing.T, e *env) *fakeAdmin {
	return &fakeAdmin{t: t, st: e.db(), now: t0}
}

func (f *fakeAdmin) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

func writeFakeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintln(w, body)
}

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := fakeReq{method: r.Method, path: r.URL.EscapedPath(), reason: r.URL.Query().Get("reason")}
	tokens, _ := f.st.ListTokens(r.Context())
	req.stored = len(tokens)
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch t, err := f.st.TokenByHash(r.Context(), admin.HashToken(tok)); {
	case scheme != "Bearer":
	case f.extra != "" && tok == f.extra:
		req.token = "extra"
	case err == nil && (t.ExpiresAt.IsZero() || f.now.Before(t.ExpiresAt)):
		req.token, req.expires, req.readOnly = t.Name, t.ExpiresAt, t.ReadOnly
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if req.token == "" {
		writeFakeJSON(w, http.StatusUnauthorized, `{"error":"authentication required: send a valid admin token"}`)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
		writeFakeJSON(w, 200, `{"version":"1.4.0","started":"2026-11-29T07:00:00Z","listeners":["ftp 127.0.0.1:2121","ftps 127.0.0.1:9990"],
			"bans_active":2,"sessions":3,"logged_in":2,"transfers":1,"uptime_seconds":10800.5}`)
	})
	mux.HandleFunc("GET /api/v1/sessions", func(w http.ResponseWriter, _ *http.Request) {
		writeFakeJSON(w, 200, `[
			{"id":"7","user":"alice","remote":"203.0.113.7:50123","tls":true,"tls_version":"TLS 1.3","tls_cipher":"TLS_AES_128_GCM_SHA256",
			 "started":"2026-11-29T09:55:00Z","transfer":{"command":"RETR","path":"/big.bin","bytes":12897485,
			 "started":"2026-11-29T09:59:00Z","rate_bytes_per_second":47900000.5}},
			{"id":"8","user":"","remote":"198.51.100.2:4000","tls":false,"tls_version":"","tls_cipher":"",
			 "started":"2026-11-29T07:55:00Z","transfer":null}]`)
	})
	mux.HandleFunc("DELETE /api/v1/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "7" {
			writeFakeJSON(w, http.StatusNotFound, `{"error":"no such session"}`)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.ServeHTTP(w, r)
}

// writeAdminConfig writes a configuration whose admin API is at listen,
// plus extra TOML, and returns its path.
func writeAdminConfig(t *testing.T, listen, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("[admin]\nlisten = %q\n%s", listen, extra)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveTCP serves h on 127.0.0.1 and returns admin.listen for it.
func serveTCP(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// serveUnix serves h on a Unix socket and returns admin.listen for it.
func serveUnix(t *testing.T, h http.Handler) string {
	// Socket paths are short (about 100 bytes): t.TempDir() may be too long.
	dir, err := os.MkdirTemp("", "bwk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "admin.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("no Unix sockets here: %v", err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return "unix:" + path
}

// TestTemporaryToken: without --token the command makes a token in the
// store, which the server finds, and removes it afterwards.
func TestTemporaryToken(t *testing.T) {
	for _, transport := range []string{"tcp", "unix"} {
		t.Run(transport, func(t *testing.T) {
			e := newEnv(t)
			t.Setenv(adminTokenEnv, "")
			f := newFakeAdmin(t, e)
			listen := serveTCP(t, f)
			if transport == "unix" {
				listen = serveUnix(t, f)
			}
			cfg := writeAdminConfig(t, listen, "")
			r := e.okAt(t0, "--config", cfg, "session", "list")
			if !strings.HasPrefix(r.stdout, "ID") {
				t.Errorf("output:\n%s", r.stdout)
			}
			reqs := f.requests()
			if len(reqs) != 1 || reqs[0].method != "GET" || reqs[0].path != "/api/v1/sessions" {
				t.Fatalf("requests %+v", reqs)
			}
			if !strings.HasPrefix(reqs[0].token, "cli-") || !reqs[0].expires.Equal(t0.Add(tempTokenLifetime)) || reqs[0].stored != 1 ||
				!reqs[0].readOnly {
				t.Errorf("token seen by the server: %+v", reqs[0])
			}
			if tokens, err := f.st.ListTokens(context.Background()); err != nil || len(tokens) != 0 {
				t.Errorf("tokens left in the store: %+v, %v", tokens, err)
			}
			// Plumbing, not a change: the trail stays empty.
			if entries, _ := f.st.ListAudit(context.Background(), time.Time{}, 0); len(entries) != 0 {
				t.Errorf("audit entries: %+v", entries)
			}
		})
	}
}

// A temporary token a killed command left behind is removed by the next
// command once it has expired; other tokens stay.
func TestExpiredTemporaryTokensRemoved(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	f := newFakeAdmin(t, e)
	cfg := writeAdminConfig(t, serveTCP(t, f), "")
	ctx := context.Background()
	for _, tk := range []store.AdminToken{
		{Name: "cli-root-old", Hash: "h1", CreatedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(-time.Minute)},
		{Name: "cli-root-fresh", Hash: "h2", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)},
		{Name: "monitoring", Hash: "h3", CreatedAt: t0.Add(-time.Hour), ExpiresAt: t0.Add(-time.Minute)},
	} {
		if err := f.st.CreateToken(ctx, &tk); err != nil {
			t.Fatal(err)
		}
	}
	e.okAt(t0, "--config", cfg, "session", "list")
	tokens, err := f.st.ListTokens(ctx)
	var names []string
	for _, tk := range tokens {
		names = append(names, tk.Name)
	}
	if err != nil || strings.Join(names, ",") != "cli-root-fresh,monitoring" {
		t.Errorf("tokens left: %v, %v", names, err)
	}
}

// TestGivenToken: --token, else the environment, is used as is and
// nothing is written to the store.
func TestGivenToken(t *testing.T) {
	e := newEnv(t)
	f := newFakeAdmin(t, e)
	f.extra = "bwk_given"
	cfg := writeAdminConfig(t, serveTCP(t, f), "")

	t.Setenv(adminTokenEnv, "")
	e.okAt(t0, "--config", cfg, "status", "--token", "bwk_given")
	t.Setenv(adminTokenEnv, "bwk_given")
	e.okAt(t0, "--config", cfg, "status")
	// The flag wins over the environment.
	r := e.tryAt(t0, "--config", cfg, "status", "--token", "bwk_wrong")
	if r.code != exitError || !strings.Contains(r.stderr, "refused the token (check --token or "+adminTokenEnv+"): authentication required") {
		t.Errorf("wrong token: exit %d, %q", r.code, r.stderr)
	}
	for _, q := range f.requests() {
		if q.stored != 0 {
			t.Errorf("a token was stored during %+v", q)
		}
	}
	if got := f.requests(); len(got) != 3 || got[0].token != "extra" || got[1].token != "extra" || got[2].token != "" {
		t.Errorf("requests %+v", got)
	}
}

func TestAdminUnreachable(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	missing := "unix:" + filepath.Join(t.TempDir(), "no.sock")
	for _, listen := range []string{closed, missing} {
		cfg := writeAdminConfig(t, listen, "")
		for _, args := range [][]string{{"session", "list"}, {"session", "kill", "7"}, {"status", "--json"}} {
			r := e.tryAt(t0, append([]string{"--config", cfg}, args...)...)
			want := "bulwark: cannot reach the admin API at " + listen + ": is bulwark serve running?\n"
			if r.code != exitError || r.stderr != want || r.stdout != "" {
				t.Errorf("%s %v: exit %d\nstderr %q\nwant   %q", listen, args, r.code, r.stderr, want)
			}
		}
	}
	// The temporary tokens were removed even though the calls failed.
	if tokens, _ := e.db().ListTokens(context.Background()); len(tokens) != 0 {
		t.Errorf("tokens left: %+v", tokens)
	}
}

func TestAdminDisabled(t *testing.T) {
	e := newEnv(t)
	cfg := writeAdminConfig(t, "", "")
	for _, args := range [][]string{{"session", "list"}, {"status"}, {"session", "kill", "1"}} {
		r := e.run("", append([]string{"--config", cfg}, args...)...)
		if r.code != exitError || r.stderr != "bulwark: admin.listen is empty: the admin API is disabled\n" {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stderr)
		}
	}
}

// TestAdminHTTPS: an admin API on a non-loopback listener is reached over
// TLS, trusting the server's own certificate file.
func TestAdminHTTPS(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	f := newFakeAdmin(t, e)
	cert, _, err := certs.LoadOrCreate(filepath.Join(e.dataDir, "tls"), "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(f)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	// A wildcard listener: not loopback, so TLS; reached on 127.0.0.1.
	cfg := writeAdminConfig(t, "0.0.0.0:"+port, "")
	r := e.okAt(t0, "--config", cfg, "status", "--json")
	if !strings.Contains(r.stdout, `"version": "1.4.0"`) {
		t.Errorf("status over TLS:\n%s", r.stdout)
	}

	// Another certificate in tls.cert_file: the server's is not trusted.
	other := t.TempDir()
	if _, _, err := certs.LoadOrCreate(other, "", "", nil); err != nil {
		t.Fatal(err)
	}
	tlsConf := fmt.Sprintf("[tls]\ncert_file = %q\nkey_file = %q\n",
		filepath.Join(other, certs.SelfSignedCert), filepath.Join(other, certs.SelfSignedKey))
	cfg = writeAdminConfig(t, "0.0.0.0:"+port, tlsConf)
	r = e.tryAt(t0, "--config", cfg, "status")
	if r.code != exitError || !strings.Contains(r.stderr, "admin API at 0.0.0.0:"+port+": ") || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("untrusted certificate: exit %d, %q", r.code, r.stderr)

	}
	if tokens, _ := f.st.ListTokens(context.Background()); len(tokens) != 0 {
		t.Errorf("tokens left: %+v", tokens)
	}
}

func TestAdminErrorAnswers(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/status":
			http.Error(w, "oops\nat /srv/secret/path", http.StatusInternalServerError)
		default:
			writeFakeJSON(w, 200, `{"not":"a list"}`)
		}
	})
	cfg := writeAdminConfig(t, serveTCP(t, h), "")
	r := e.tryAt(t0, "--config", cfg, "status")
	if r.code != exitError || r.stderr != "bulwark: Internal Server Error\n" {
		t.Errorf("plain-text 500: exit %d, %q", r.code, r.stderr)
	}
	r = e.tryAt(t0, "--config", cfg, "session", "list")
	if r.code != exitError || !strings.Contains(r.stderr, "unexpected answer to GET /api/v1/sessions") {
		t.Errorf("wrong JSON: exit %d, %q", r.code, r.stderr)
	}
}

func TestDialHost(t *testing.T) {
	for in, want := range map[string]string{
		"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1", "127.0.0.2": "127.0.0.2",
		"192.0.2.1": "192.0.2.1", "ftp.example.com": "ftp.example.com",
	} {
		if got := dialHost(in); got != want {
			t.Errorf("dialHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAdminTLSConfigPinning checks both ways to trust a server: the exact
// pinned certificate whatever name was dialled, or the system roots (which
// know nothing of a self-signed certificate).
func TestAdminTLSConfigPinning(t *testing.T) {
	cert, _, err := certs.LoadOrCreate(t.TempDir(), "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	dial := func(conf *tls.Config) error {
		c, err := tls.Dial("tcp", srv.Listener.Addr().String(), conf)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(adminTLSConfig("192.0.2.1", []*x509.Certificate{cert.Leaf})); err != nil {
		t.Errorf("pinned certificate under another name: %v", err)
	}
	var uerr x509.UnknownAuthorityError
	if err := dial(adminTLSConfig("127.0.0.1", nil)); !errors.As(err, &uerr) {
		t.Errorf("no pin: %v, want an unknown-authority error", err)
	}
}
