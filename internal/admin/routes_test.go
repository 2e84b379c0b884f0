package admin

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

func TestHealthAndReady(t *testing.T) {
	var notReady error
	f := newFixture(t, func(o *Options) {
		o.Ready = func(context.Context) error { return notReady }
	})
	r := f.doToken("", "GET", "/healthz", "")
	f.expect(r, http.StatusOK, "healthz")
	if strings.TrimSpace(r.String()) != `{"status":"ok"}` {
		t.Errorf("healthz body %s", r)
	}
	f.expect(f.doToken("", "GET", "/readyz", ""), http.StatusOK, "readyz")
	notReady = errors.New("store unavailable")
	r = f.doToken("", "GET", "/readyz", "")
	f.expect(r, http.StatusServiceUnavailable, "readyz when not ready")
	if !strings.Contains(r.errText(), "store unavailable") {
		t.Errorf("readyz error %q does not give the reason", r.errText())
	}
}

func TestStatus(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/status", "")
	f.expect(r, http.StatusOK, "status")
	var st Status
	f.decode(r, &st)
	want := Status{Version: "1.2.3", Started: start.Add(-time.Hour), Listeners: []string{"127.0.0.1:2121"},
		Sessions: 2, LoggedIn: 1, Transfers: 1, UptimeSeconds: 3600}
	if !st.Started.Equal(want.Started) || st.Version != want.Version || !slices.Equal(st.Listeners, want.Listeners) ||
		st.Sessions != want.Sessions || st.LoggedIn != want.LoggedIn || st.Transfers != want.Transfers ||
		st.UptimeSeconds != want.UptimeSeconds {
		t.Errorf("status = %+v, want %+v", st, want)
	}
}

func TestSessions(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/sessions", "")
	f.expect(r, http.StatusOK, "sessions")
	var list []map[string]any
	f.decode(r, &list)
	if len(list) != 2 {
		t.Fatalf("got %d sessions, want 2: %s", len(list), r)
	}
	s := list[0]
	if s["id"] != "a1b2c3" || s["user"] != "alice" || s["remote"] != "127.0.0.2:40000" || s["tls"] != true ||
		s["tls_version"] != "TLS 1.3" || s["tls_cipher"] != "TLS_AES_128_GCM_SHA256" || s["started"] != "2030-01-02T02:54:05Z" {
		t.Errorf("session 0 = %v", s)
	}
	x, _ := s["transfer"].(map[string]any)
	if x == nil || x["command"] != "RETR" || x["path"] != "/big.iso" || x["bytes"] != 4000.0 ||
		x["rate_bytes_per_second"] != 1000.0 || x["started"] != "2030-01-02T03:04:01Z" {
		t.Errorf("transfer of session 0 = %v", s["transfer"])
	}
	if v, ok := list[1]["transfer"]; !ok || v != nil {
		t.Errorf("idle session: transfer = %v (present %v), want null", v, ok)
	}
	if list[1]["user"] != "" {
		t.Errorf("session before login: user = %v", list[1]["user"])
	}
}

func TestKillSession(t *testing.T) {
	f := newFixture(t)
	f.expect(f.do("DELETE", "/api/v1/sessions/d4e5f6?reason=maintenance", ""), http.StatusNoContent, "kill")
	if got := f.live.closed["d4e5f6"]; got != "maintenance" {
		t.Errorf("closed with reason %q, want maintenance", got)
	}
	f.expect(f.do("DELETE", "/api/v1/sessions/a1b2c3", ""), http.StatusNoContent, "kill without reason")
	if got := f.live.closed["a1b2c3"]; got != defaultKillReason {
		t.Errorf("closed with reason %q, want the default", got)
	}
	r := f.do("DELETE", "/api/v1/sessions/a1b2c3", "")
	f.expect(r, http.StatusNotFound, "kill of a closed session")
	if r.errText() == msgNoRoute {
		t.Errorf("unknown session answered as an unknown route")
	}
	entries := f.auditEntries()
	if len(entries) != 2 || entries[0].Action != "session.kill" || entries[0].Target != "d4e5f6" ||
		entries[0].Actor != "token:ops" || !strings.Contains(entries[0].Before, "127.0.0.3") || entries[0].After != "" {
		t.Errorf("audit trail = %+v", entries)
	}
}

func TestUsers(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/users", "")
	f.expect(r, http.StatusOK, "list users")
	var list []audit.UserView
	f.decode(r, &list)
	if len(list) != 2 || list[0].Name != "alice" || list[1].Name != "bob" || !slices.Equal(list[0].Groups, []string{"staff"}) {
		t.Errorf("users = %+v", list)
	}
	r = f.do("GET", "/api/v1/users/ALICE", "")
	f.expect(r, http.StatusOK, "get user")
	var u audit.UserView
	f.decode(r, &u)
	if u.Name != "alice" || u.Disabled {
		t.Errorf("user = %+v", u)
	}
	r = f.do("GET", "/api/v1/users/nobody", "")
	f.expect(r, http.StatusNotFound, "get unknown user")
	if r.errText() == msgNoRoute {
		t.Errorf("unknown user answered as an unknown route")
	}

	r = f.do("PATCH", "/api/v1/users/alice", `{"disabled":true,"must_change_password":true,"comment":"left","valid_until":"2031-06-30T12:00:00+02:00"}`)
	f.expect(r, http.StatusOK, "patch user")
	got, err := f.st.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Disabled || !got.MustChangePassword || got.Comment != "left" ||
		!got.ValidUntil.Equal(time.Date(2031, 6, 30, 10, 0, 0, 0, time.UTC)) || got.PasswordHash != secretHash {
		t.Errorf("after patch: %+v", got)
	}
	if n := f.live.refreshes.Load(); n != 1 {
		t.Errorf("Refresh called %d times after a change, want 1", n)
	}
	f.expect(f.do("PATCH", "/api/v1/users/alice", `{"valid_until":null,"disabled":false}`), http.StatusOK, "clear valid_until")
	if got, _ = f.st.GetUser(context.Background(), "alice"); !got.ValidUntil.IsZero() || got.Disabled || got.Comment != "left" {
		t.Errorf("after second patch: %+v", got)
	}

	f.expect(f.do("DELETE", "/api/v1/users/bob", ""), http.StatusNoContent, "delete user")
	if _, err := f.st.GetUser(context.Background(), "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob still there: %v", err)
	}
	f.expect(f.do("DELETE", "/api/v1/users/bob", ""), http.StatusNotFound, "delete deleted user")
	if n := f.live.refreshes.Load(); n != 3 {
		t.Errorf("Refresh called %d times after 3 changes, want 3", n)
	}

	var actions []string
	for _, e := range f.auditEntries() {
		actions = append(actions, e.Action+" "+e.Target)
	}
	if want := []string{"user.update alice", "user.update alice", "user.delete bob"}; !slices.Equal(actions, want) {
		t.Errorf("audit actions %q, want %q", actions, want)
	}
}

func TestGroups(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/groups", "")
	f.expect(r, http.StatusOK, "list groups")
	var list []audit.GroupView
	f.decode(r, &list)
	if len(list) != 1 || list[0].Name != "staff" || list[0].Comment != "the staff" {
		t.Errorf("groups = %+v", list)
	}
	r = f.do("GET", "/api/v1/groups/staff", "")
	f.expect(r, http.StatusOK, "get group")
	var g struct {
		Name    string   `json:"name"`
		Members []string `json:"members"`
	}
	f.decode(r, &g)
	if g.Name != "staff" || !slices.Equal(g.Members, []string{"alice"}) {
		t.Errorf("group = %+v", g)
	}
	f.expect(f.do("GET", "/api/v1/groups/nobody", ""), http.StatusNotFound, "unknown group")
}

func TestShares(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/shares", "")
	f.expect(r, http.StatusOK, "list shares")
	var list []audit.ShareView
	f.decode(r, &list)
	if len(list) != 1 || list[0].Name != "docs" {
		t.Errorf("shares = %+v", list)
	}
	r = f.do("GET", "/api/v1/shares/docs", "")
	f.expect(r, http.StatusOK, "get share")
	var s struct {
		Name   string            `json:"name"`
		Grants []audit.GrantView `json:"grants"`
	}
	f.decode(r, &s)
	if s.Name != "docs" || len(s.Grants) != 3 {
		t.Errorf("share = %+v", s)
	}

	f.expect(f.do("DELETE", "/api/v1/shares/docs/grants?user=alice&at=/docs2/", ""), http.StatusNoContent, "revoke one")
	f.expect(f.do("DELETE", "/api/v1/shares/docs/grants?user=alice&at=/docs2", ""), http.StatusNotFound, "revoke it again")
	f.expect(f.do("DELETE", "/api/v1/shares/docs/grants?group=staff", ""), http.StatusNoContent, "revoke from group")
	grants, err := f.st.ListGrants(context.Background(), "docs")
	if err != nil || len(grants) != 1 || grants[0].User != "alice" || grants[0].At != "/docs" {
		t.Errorf("grants left: %+v, %v", grants, err)
	}
	f.expect(f.do("DELETE", "/api/v1/shares/docs", ""), http.StatusNoContent, "delete share")
	f.expect(f.do("GET", "/api/v1/shares/docs", ""), http.StatusNotFound, "deleted share")
	f.expect(f.do("DELETE", "/api/v1/shares/docs/grants?user=alice", ""), http.StatusNotFound, "revoke on deleted share")
	if n := f.live.refreshes.Load(); n != 3 {
		t.Errorf("Refresh called %d times after 3 changes, want 3", n)
	}
	var actions []string
	for _, e := range f.auditEntries() {
		actions = append(actions, e.Action+" "+e.Target)
	}
	if want := []string{"share.revoke docs", "share.revoke docs", "share.delete docs"}; !slices.Equal(actions, want) {
		t.Errorf("audit actions %q, want %q", actions, want)
	}
}

func TestBans(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/bans", "")
	f.expect(r, http.StatusOK, "list bans")
	var list []audit.BanView
	f.decode(r, &list)
	if len(list) != 1 || list[0].Prefix != "198.51.100.0/24" {
		t.Errorf("bans = %+v", list)
	}

	r = f.do("POST", "/api/v1/bans", `{"address":"203.0.113.7","reason":"password guessing","duration":"1d2h"}`)
	f.expect(r, http.StatusCreated, "add ban")
	var b audit.BanView
	f.decode(r, &b)
	if b.Prefix != "203.0.113.7/32" || b.Reason != "password guessing" || !b.Manual || b.Until == nil ||
		!b.Until.Equal(start.Add(26*time.Hour)) {
		t.Errorf("new ban = %+v", b)
	}
	r = f.do("POST", "/api/v1/bans", `{"address":"2001:db8::/48"}`)
	f.expect(r, http.StatusCreated, "add permanent ban")
	b = audit.BanView{}
	f.decode(r, &b)
	if b.Prefix != "2001:db8::/48" || b.Until != nil || b.Reason != defaultBanReason {
		t.Errorf("permanent ban = %+v", b)
	}
	bans, _ := f.st.ListBans(context.Background())
	if len(bans) != 3 {
		t.Errorf("store holds %d bans, want 3", len(bans))
	}

	f.expect(f.do("DELETE", "/api/v1/bans/203.0.113.7", ""), http.StatusNoContent, "delete ban by address")
	f.expect(f.do("DELETE", "/api/v1/bans/2001:db8::/48", ""), http.StatusNoContent, "delete ban by prefix")
	f.expect(f.do("DELETE", "/api/v1/bans/198.51.100.0/24", ""), http.StatusNoContent, "delete ban by prefix")
	f.expect(f.do("DELETE", "/api/v1/bans/203.0.113.7/32", ""), http.StatusNotFound, "delete lifted ban")
	if bans, _ = f.st.ListBans(context.Background()); len(bans) != 0 {
		t.Errorf("bans left: %+v", bans)
	}
	if n := f.live.refreshes.Load(); n != 5 {
		t.Errorf("Refresh called %d times after 5 changes, want 5", n)
	}

	// An ended ban is listed only with ?all=true.
	f.expect(f.do("POST", "/api/v1/bans", `{"address":"192.0.2.1","duration":"30m"}`), http.StatusCreated, "short ban")
	f.clock.Add(31 * time.Minute)
	f.decode(f.do("GET", "/api/v1/bans", ""), &list)
	if len(list) != 0 {
		t.Errorf("ended ban listed: %+v", list)
	}
	f.decode(f.do("GET", "/api/v1/bans?all=true", ""), &list)
	if len(list) != 1 {
		t.Errorf("?all=true lists %d bans, want 1", len(list))
	}
}

func TestAuditList(t *testing.T) {
	f := newFixture(t)
	f.expect(f.do("POST", "/api/v1/bans", `{"address":"203.0.113.7"}`), http.StatusCreated, "ban")
	f.clock.Add(time.Hour)
	f.expect(f.do("PATCH", "/api/v1/users/bob", `{"comment":"new"}`), http.StatusOK, "patch")
	f.clock.Add(time.Hour)
	f.expect(f.do("DELETE", "/api/v1/bans/203.0.113.7", ""), http.StatusNoContent, "unban")

	type entry struct {
		ID     int64           `json:"id"`
		Time   time.Time       `json:"time"`
		Actor  string          `json:"actor"`
		Action string          `json:"action"`
		Target string          `json:"target"`
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	}
	var all []entry
	f.decode(f.do("GET", "/api/v1/audit", ""), &all)
	if len(all) != 3 || all[0].Action != "ban.add" || all[1].Action != "user.update" || all[2].Action != "ban.delete" {
		t.Fatalf("audit = %+v", all)
	}
	if string(all[0].Before) != "null" || string(all[2].After) != "null" {
		t.Errorf("missing states not null: %s / %s", all[0].Before, all[2].After)
	}
	var before, after audit.UserView
	if err := json.Unmarshal(all[1].Before, &before); err != nil {
		t.Fatalf("before is not an embedded object: %s", all[1].Before)
	}
	if err := json.Unmarshal(all[1].After, &after); err != nil {
		t.Fatalf("after is not an embedded object: %s", all[1].After)
	}
	if before.Comment != "" || after.Comment != "new" || after.Name != "bob" {
		t.Errorf("before %+v after %+v", before, after)
	}
	var some []entry
	f.decode(f.do("GET", "/api/v1/audit?since=2030-01-02T04:00:00Z", ""), &some)
	if len(some) != 2 || some[0].Action != "user.update" {
		t.Errorf("since: %+v", some)
	}
	f.decode(f.do("GET", "/api/v1/audit?limit=1", ""), &some)
	if len(some) != 1 || some[0].Action != "ban.delete" {
		t.Errorf("limit=1: %+v", some)
	}
}

func TestMetrics(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte("bulwark_up 1\n"))
	})
	for _, tc := range []struct {
		name    string
		require bool
	}{{"token required", true}, {"open", false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Metrics, o.MetricsRequireToken = metrics, tc.require })
			r := f.do("GET", "/metrics", "")
			f.expect(r, http.StatusOK, "metrics with token")
			if r.String() != "bulwark_up 1\n" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
				t.Errorf("metrics answer %q, %q", r, r.header.Get("Content-Type"))
			}
			want := http.StatusOK
			if tc.require {
				want = http.StatusUnauthorized
			}
			f.expect(f.doToken("", "GET", "/metrics", ""), want, "metrics without token")
		})
	}
	f := newFixture(t)
	f.expect(f.do("GET", "/metrics", ""), http.StatusNotFound, "metrics not enabled")
}

func TestUnknownRouteAndMethod(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/api/v1/nothing", "")
	f.expect(r, http.StatusNotFound, "unknown route")
	if r.errText() != msgNoRoute || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("unknown route answer %q (%s)", r, r.header.Get("Content-Type"))
	}
	r = f.do("PUT", "/api/v1/users/alice", "{}")
	f.expect(r, http.StatusMethodNotAllowed, "wrong method")
	if r.errText() != msgNoMethod || !strings.Contains(r.header.Get("Allow"), "PATCH") {
		t.Errorf("405 answer %q, Allow %q", r, r.header.Get("Allow"))
	}
}

func TestPanicRecovered(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Ready = func(context.Context) error { panic("boom /secret/host/path") }
	})
	r := f.doToken("", "GET", "/readyz", "")
	f.expect(r, http.StatusInternalServerError, "panicking handler")
	if strings.Contains(r.String(), "secret") || r.errText() != msgInternal {
		t.Errorf("panic answer leaks: %s", r)
	}
	if !strings.Contains(f.logs.String(), "admin api: panic") {
		t.Errorf("panic not logged: %s", f.logs)
	}
	// The server keeps serving.
	f.expect(f.doToken("", "GET", "/healthz", ""), http.StatusOK, "after panic")
}

func TestRateOfJustStartedTransfer(t *testing.T) {
	f := newFixture(t)
	f.live.mu.Lock()
	f.live.sessions[0].TransferStarted = start
	f.live.mu.Unlock()
	var list []Session
	f.decode(f.do("GET", "/api/v1/sessions", ""), &list)
	if rate := list[0].Transfer.Rate; rate != 0 || math.IsNaN(rate) {
		t.Errorf("rate of a transfer started now = %v, want 0", rate)
	}
}
