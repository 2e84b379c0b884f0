package admin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// No request, however malformed, makes the API fail inside (5xx) or answer
// anything but JSON; a panic would be recovered, but would show here as a
// 500.
func FuzzRequest(f *testing.F) {
	fx := newFixture(f)
	for _, seed := range []struct{ method, path, body string }{
		{"GET", "/api/v1/users/alice", ""},
		{"PATCH", "/api/v1/users/alice", `{"disabled":true,"valid_until":"2031-01-01T00:00:00Z"}`},
		{"POST", "/api/v1/bans", `{"address":"203.0.113.0/24","reason":"scan","duration":"1d12h"}`},
		{"DELETE", "/api/v1/bans/2001:db8::/64", ""},
		{"DELETE", "/api/v1/shares/docs/grants?group=staff&at=/docs", ""},
		{"GET", "/api/v1/audit?since=2030-01-01T00:00:00Z&limit=5", ""},
		{"DELETE", "/api/v1/sessions/a1b2c3?reason=x", ""},
	} {
		f.Add(seed.method, seed.path, seed.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://admin"+path, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Authorization", "Bearer "+fx.token)
		rec := httptest.NewRecorder()
		fx.api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if b := rec.Body.Bytes(); len(b) > 0 && !json.Valid(b) && req.URL.Path != "/metrics" {
			t.Fatalf("%s %q: not JSON: %s", method, path, b)
		}
	})
}
