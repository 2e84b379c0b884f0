package admin

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	f := newFixture(t)
	big := `{"comment":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	cases := []struct {
		name, method, path, body string
		code                     int
		want                     string // in the error text
	}{
		{"bad JSON", "PATCH", "/api/v1/users/alice", `{"disabled":`, 400, "not valid JSON"},
		{"not an object", "PATCH", "/api/v1/users/alice", `[true]`, 400, "JSON object"},
		{"two objects", "PATCH", "/api/v1/users/alice", `{"disabled":true}{"disabled":false}`, 400, "exactly one"},
		{"trailing junk", "PATCH", "/api/v1/users/alice", `{"disabled":true} x`, 400, "exactly one"},
		{"empty body", "PATCH", "/api/v1/users/alice", ``, 400, "empty"},
		{"empty object", "PATCH", "/api/v1/users/alice", `{}`, 400, "nothing to change"},
		{"unknown field", "PATCH", "/api/v1/users/alice", `{"password_hash":"x"}`, 400, `unknown field "password_hash"`},
		{"wrong type", "PATCH", "/api/v1/users/alice", `{"disabled":"yes"}`, 400, `field "disabled"`},
		{"bad valid_until", "PATCH", "/api/v1/users/alice", `{"valid_until":"tomorrow"}`, 400, "RFC 3339"},
		{"valid_until number", "PATCH", "/api/v1/users/alice", `{"valid_until":5}`, 400, "RFC 3339"},
		{"valid_until far", "PATCH", "/api/v1/users/alice", `{"valid_until":"9999-01-01T00:00:00Z"}`, 400, "between the years"},
		{"comment on two lines", "PATCH", "/api/v1/users/alice", `{"comment":"a\nb"}`, 400, "one line"},
		{"too large body", "PATCH", "/api/v1/users/alice", big, 413, "too large"},
		{"bad user name", "GET", "/api/v1/users/-x", "", 400, "invalid user name"},
		{"bad user name on patch", "PATCH", "/api/v1/users/a%20b", `{"disabled":true}`, 400, "invalid user name"},
		{"long user name", "DELETE", "/api/v1/users/" + strings.Repeat("a", 65), "", 400, "invalid user name"},
		{"bad group name", "GET", "/api/v1/groups/a$b", "", 400, "invalid group name"},
		{"bad share name", "DELETE", "/api/v1/shares/.x", "", 400, "invalid share name"},
		{"escaped slash in name", "GET", "/api/v1/users/a%2Fb", "", 400, "invalid user name"},
		{"revoke without grantee", "DELETE", "/api/v1/shares/docs/grants", "", 400, "exactly one"},
		{"revoke with both", "DELETE", "/api/v1/shares/docs/grants?user=alice&group=staff", "", 400, "exactly one"},
		{"revoke bad grantee", "DELETE", "/api/v1/shares/docs/grants?user=", "", 400, "invalid user name"},
		{"revoke bad at", "DELETE", "/api/v1/shares/docs/grants?user=alice&at=docs", "", 400, "must start with /"},
		{"revoke dotdot at", "DELETE", "/api/v1/shares/docs/grants?user=alice&at=/a/../b", "", 400, "not allowed"},
		{"ban bad JSON", "POST", "/api/v1/bans", `{`, 400, "not valid JSON"},
		{"ban unknown field", "POST", "/api/v1/bans", `{"address":"203.0.113.7","for":"1h"}`, 400, `unknown field "for"`},
		{"ban without address", "POST", "/api/v1/bans", `{"reason":"x"}`, 400, "required"},
		{"ban bad address", "POST", "/api/v1/bans", `{"address":"203.0.113.300"}`, 400, "not an IP address"},
		{"ban bad prefix", "POST", "/api/v1/bans", `{"address":"203.0.113.0/33"}`, 400, "not a CIDR prefix"},
		{"ban bad duration", "POST", "/api/v1/bans", `{"address":"203.0.113.7","duration":"soon"}`, 400, "not a duration"},
		{"ban zero duration", "POST", "/api/v1/bans", `{"address":"203.0.113.7","duration":"0s"}`, 400, "longer than zero"},
		{"ban negative duration", "POST", "/api/v1/bans", `{"address":"203.0.113.7","duration":"-1h"}`, 400, "not a duration"},
		{"ban endless duration", "POST", "/api/v1/bans", `{"address":"203.0.113.7","duration":"36000d2000000h"}`, 400, "duration"},
		{"ban reason on two lines", "POST", "/api/v1/bans", `{"address":"203.0.113.7","reason":"a\u0007b"}`, 400, "one line"},
		{"ban too large", "POST", "/api/v1/bans", `{"address":"203.0.113.7","reason":"` + strings.Repeat("y", maxBodyBytes) + `"}`, 413, "too large"},
		{"unban bad prefix", "DELETE", "/api/v1/bans/203.0.113.0/99", "", 400, "not an IP address or CIDR"},
		{"unban not an address", "DELETE", "/api/v1/bans/example.com", "", 400, "not an IP address or CIDR"},
		{"unban zone", "DELETE", "/api/v1/bans/fe80::1%25eth0", "", 400, "not an IP address or CIDR"},
		{"kill bad id", "DELETE", "/api/v1/sessions/a%0Ab", "", 400, "invalid session id"},
		{"kill bad reason", "DELETE", "/api/v1/sessions/a1b2c3?reason=a%0Db", "", 400, "one line"},
		{"audit bad since", "GET", "/api/v1/audit?since=yesterday", "", 400, "RFC 3339"},
		{"audit bad limit", "GET", "/api/v1/audit?limit=-1", "", 400, "limit"},
		{"audit huge limit", "GET", "/api/v1/audit?limit=99999999999999999999", "", 400, "limit"},
		{"bans bad all", "GET", "/api/v1/bans?all=maybe", "", 400, "true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(tc.method, tc.path, tc.body)
			if r.code != tc.code || !strings.Contains(r.errText(), tc.want) {
				t.Errorf("%s %s: %d %s; want %d with %q", tc.method, tc.path, r.code, r, tc.code, tc.want)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	// Nothing was changed by any of them.
	if entries := f.auditEntries(); len(entries) != 0 {
		t.Errorf("bad requests wrote audit entries: %+v", entries)
	}
	if n := f.live.refreshes.Load(); n != 0 {
		t.Errorf("bad requests refreshed the server %d times", n)
	}
	u, err := f.st.GetUser(context.Background(), "alice")
	if err != nil || u.Disabled || u.Comment != "" {
		t.Errorf("alice changed: %+v, %v", u, err)
	}
	if bans, _ := f.st.ListBans(context.Background()); len(bans) != 1 {
		t.Errorf("bans changed: %+v", bans)
	}
}

// TestInternalErrorHidden checks that a store failure is logged but not
// told to the client.
func TestInternalErrorHidden(t *testing.T) {
	f := newFixture(t)
	f.st.Close()
	r := f.do("GET", "/api/v1/users", "")
	// The token lookup fails first, against the closed store.
	f.expect(r, http.StatusInternalServerError, "closed store")
	if r.errText() != msgInternal {
		t.Errorf("500 answer %s", r)
	}
	if !strings.Contains(f.logs.String(), "admin api: request failed") {
		t.Errorf("failure not logged: %s", f.logs)
	}
}
