package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

func TestAuthRefused(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Metrics = http.NotFoundHandler()
		o.MetricsRequireToken = true
	})
	expired := f.newToken("old", start.Add(-time.Second))
	expiresNow := f.newToken("edge", start)
	wrong, _ := NewToken()
	cases := []struct {
		name, header string
	}{
		{"no header", ""},
		{"empty bearer", "Bearer "},
		{"basic scheme", "Basic " + f.token},
		{"token without scheme", f.token},
		{"unknown token", "Bearer " + wrong},
		{"expired token", "Bearer " + expired},
		{"token expiring now", "Bearer " + expiresNow},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/status", "/api/v1/users", "/metrics"} {
				req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				resp, err := f.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401", path, resp.StatusCode)
				}
				if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("%s: WWW-Authenticate %q", path, got)
				}
			}
		})
	}
	logs := f.logs.String()
	if n := strings.Count(logs, `msg="admin api: authentication failed"`); n != 3*len(cases) {
		t.Errorf("%d authentication warnings logged, want %d", n, 3*len(cases))
	}
	if !strings.Contains(logs, "remote=127.0.0.1:") {
		t.Errorf("warning does not name the remote address: %s", logs)
	}
	for _, secret := range []string{f.token, wrong, expired, HashToken(wrong)} {
		if strings.Contains(logs, secret) {
			t.Errorf("a token or its hash appears in the log")
		}
	}
	// Only the client's own requests are refused; nothing was changed.
	if entries := f.auditEntries(); len(entries) != 0 {
		t.Errorf("refused requests wrote audit entries: %+v", entries)
	}
}

func TestAuthLowercaseScheme(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/status", nil)
	req.Header.Set("Authorization", "bearer "+f.token)
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("lower-case scheme: status %d, want 200", resp.StatusCode)
	}
}

func TestAuthNotNeededForHealth(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		f.expect(f.doToken("", "GET", path, ""), http.StatusOK, path)
	}
}

func TestTokenUseRecordedOncePerMinute(t *testing.T) {
	f := newFixture(t)
	lastUsed := func() time.Time {
		t.Helper()
		tok, err := f.st.TokenByHash(context.Background(), HashToken(f.token))
		if err != nil {
			t.Fatal(err)
		}
		return tok.LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("new token already used")
	}
	f.expect(f.do("GET", "/api/v1/status", ""), http.StatusOK, "first use")
	if got := lastUsed(); !got.Equal(start) {
		t.Fatalf("last use %v, want %v", got, start)
	}
	f.clock.Add(59 * time.Second)
	f.expect(f.do("GET", "/api/v1/status", ""), http.StatusOK, "use within the minute")
	if got := lastUsed(); !got.Equal(start) {
		t.Errorf("last use recorded again within a minute: %v", got)
	}
	f.clock.Add(time.Second)
	f.expect(f.do("GET", "/api/v1/status", ""), http.StatusOK, "use a minute later")
	if got := lastUsed(); !got.Equal(start.Add(time.Minute)) {
		t.Errorf("last use %v, want %v", got, start.Add(time.Minute))
	}
}

func TestTokenExpiresWhileInUse(t *testing.T) {
	f := newFixture(t)
	tok := f.newToken("temp", start.Add(time.Hour))
	f.expect(f.doToken(tok, "GET", "/api/v1/status", ""), http.StatusOK, "before expiry")
	f.clock.Add(time.Hour)
	f.expect(f.doToken(tok, "GET", "/api/v1/status", ""), http.StatusUnauthorized, "at expiry")
}

func TestDeletedTokenRefused(t *testing.T) {
	f := newFixture(t)
	f.expect(f.do("GET", "/api/v1/status", ""), http.StatusOK, "before deletion")
	if err := f.st.DeleteToken(context.Background(), "ops"); err != nil {
		t.Fatal(err)
	}
	f.expect(f.do("GET", "/api/v1/status", ""), http.StatusUnauthorized, "after deletion")
}

// The record of recent token uses stays small although every command-line
// call uses a token of its own.
func TestTouchedTokensForgotten(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range maxTouched + 10 {
		f.api.touch(ctx, fmt.Sprintf("cli-x-%d", i))
	}
	f.clock.Add(touchInterval)
	f.api.touch(ctx, "ops")
	f.api.touchMu.Lock()
	n := len(f.api.touched)
	f.api.touchMu.Unlock()
	if n != 1 {
		t.Fatalf("%d token uses remembered after the interval, want 1", n)
	}
}

// A read-only token reads everything a token may read and changes
// nothing: every other method is refused with 403, before any handler.
func TestReadOnlyToken(t *testing.T) {
	f := newFixture(t)
	tok, hash := NewToken()
	if err := f.st.CreateToken(context.Background(), &store.AdminToken{Name: "grafana", Hash: hash, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	for _, rt := range f.api.Routes() {
		if !rt.Auth {
			continue
		}
		path := strings.NewReplacer("{name}", "alice", "{id}", "a1b2c3", "{prefix...}", "203.0.113.7/32").Replace(rt.Pattern)
		r := f.doToken(tok, rt.Method, path, `{"disabled":true}`)
		if rt.Method == http.MethodGet {
			if r.code == http.StatusUnauthorized || r.code == http.StatusForbidden {
				t.Errorf("GET %s with a read-only token: %d %s", path, r.code, r)
			}
			continue
		}
		if r.code != http.StatusForbidden || !strings.Contains(r.errText(), "may only read") {
			t.Errorf("%s %s with a read-only token: %d %s", rt.Method, path, r.code, r)
		}
	}
	if n := len(f.auditEntries()); n != 0 {
		t.Errorf("%d audit entries after refused changes", n)
	}
	if n := f.live.refreshes.Load(); n != 0 {
		t.Errorf("%d refreshes after refused changes", n)
	}
	if u, err := f.st.GetUser(context.Background(), "alice"); err != nil || u.Disabled {
		t.Errorf("alice after refused changes: %+v, %v", u, err)
	}
	if !strings.Contains(f.logs.String(), "change refused to a read-only token") {
		t.Error("no log line for the refused change")
	}
}
