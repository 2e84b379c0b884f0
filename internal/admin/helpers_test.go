package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// secretHash is the password hash of every seeded user; it must never
// appear in an answer or in the audit trail.
const secretHash = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0c2FsdA$SECRETHASHMARKER"

// clock is an injected time that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeLive stands for the running server.
type fakeLive struct {
	mu        sync.Mutex
	sessions  []ftp.SessionInfo
	closed    map[string]string // id -> reason
	refreshes atomic.Int64
	status    Status
}

func (f *fakeLive) Sessions() []ftp.SessionInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sessions)
}

func (f *fakeLive) CloseSession(id, reason string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.sessions, func(s ftp.SessionInfo) bool { return s.ID == id })
	if i < 0 {
		return false
	}
	f.sessions = slices.Delete(f.sessions, i, i+1)
	f.closed[id] = reason
	return true
}

func (f *fakeLive) Refresh(context.Context) { f.refreshes.Add(1) }

func (f *fakeLive) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

// fixture is an API over a real SQLite store, served on 127.0.0.1.
type fixture struct {
	t     testing.TB
	st    *sqlite.Store
	live  *fakeLive
	clock *clock
	logs  *testutil.Buffer
	api   *API
	srv   *httptest.Server
	token string // valid, named "ops"
}

var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

type fixtureOption func(*Options)

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bulwark.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, clock: &clock{t: start}, logs: &testutil.Buffer{}}
	f.live = &fakeLive{closed: map[string]string{}, status: Status{
		Version: "1.2.3", Started: start.Add(-time.Hour), Listeners: []string{"127.0.0.1:2121"}, BansActive: 0}}
	f.live.sessions = []ftp.SessionInfo{
		{ID: "a1b2c3", Remote: netip.MustParseAddrPort("127.0.0.2:40000"), User: "alice", TLS: true,
			Started: start.Add(-10 * time.Minute), TLSVersion: "TLS 1.3", TLSCipher: "TLS_AES_128_GCM_SHA256",
			Transferring: true, TransferVerb: "RETR", TransferPath: "/big.iso",
			TransferStarted: start.Add(-4 * time.Second), TransferBytes: 4000},
		{ID: "d4e5f6", Remote: netip.MustParseAddrPort("127.0.0.3:40001"), Started: start.Add(-time.Minute)},
	}
	f.seed(ctx)
	o := Options{Store: st, Live: f.live, Now: f.clock.Now, Passwords: &fakePasswords{},
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, opt := range opts {
		opt(&o)
	}
	f.api = New(o)
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) seed(ctx context.Context) {
	t := f.t
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	must(f.st.CreateGroup(ctx, &user.Group{Name: "staff", Comment: "the staff"}))
	for _, name := range []string{"alice", "bob"} {
		u := &user.User{Name: name, PasswordHash: secretHash, Home: filepath.Join(f.t.TempDir(), name)}
		if name == "alice" {
			u.Groups = []string{"staff"}
		}
		must(f.st.CreateUser(ctx, u))
	}
	must(f.st.CreateShare(ctx, &user.Share{Name: "docs", Path: f.t.TempDir(), Comment: "documents"}))
	must(f.st.SetGrant(ctx, user.Grant{Share: "docs", User: "alice", At: "/docs", Rights: user.RightsAll}))
	must(f.st.SetGrant(ctx, user.Grant{Share: "docs", User: "alice", At: "/docs2", Rights: user.RightsAll}))
	must(f.st.SetGrant(ctx, user.Grant{Share: "docs", Group: "staff", At: "/team", Rights: user.RightsAll}))
	must(f.st.SaveBan(ctx, store.Ban{Prefix: "198.51.100.0/24", Reason: "scan", First: start, Last: start, Level: 1}))
	f.token = f.newToken("ops", time.Time{})
}

// newToken stores a token named name (expiring at expires unless zero)
// and returns it.
func (f *fixture) newToken(name string, expires time.Time) string {
	f.t.Helper()
	tok, hash := NewToken()
	if err := f.st.CreateToken(context.Background(), &store.AdminToken{Name: name, Hash: hash, ExpiresAt: expires}); err != nil {
		f.t.Fatalf("CreateToken: %v", err)
	}
	return tok
}

// response is an answer read in full.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) String() string { return string(r.body) }

// errText returns the "error" of a JSON error body.
func (r response) errText() string {
	var e errorBody
	json.Unmarshal(r.body, &e)
	return e.Error
}

// do sends a request with the fixture's token.
func (f *fixture) do(method, path, body string) response {
	f.t.Helper()
	return f.doToken(f.token, method, path, body)
}

// doToken sends a request with token (none when empty).
func (f *fixture) doToken(token, method, path, body string) response {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatalf("NewRequest: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

// decode parses a JSON answer into v, failing the test if it is not JSON.
func (f *fixture) decode(r response, v any) {
	f.t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	if err := dec.Decode(v); err != nil {
		f.t.Fatalf("answer is not the expected JSON (%v): %s", err, r.body)
	}
}

// expect fails unless r has the given status code.
func (f *fixture) expect(r response, code int, what string) {
	f.t.Helper()
	if r.code != code {
		f.t.Fatalf("%s: status %d, want %d; body: %s", what, r.code, code, r.body)
	}
}

// auditEntries returns the whole audit trail.
func (f *fixture) auditEntries() []store.AuditEntry {
	f.t.Helper()
	list, err := f.st.ListAudit(context.Background(), time.Time{}, 0)
	if err != nil {
		f.t.Fatalf("ListAudit: %v", err)
	}
	return list
}
