package admin

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAuditTrail makes every kind of change and checks each entry's actor
// and action, and that no password hash leaks into the trail or any answer.
func TestAuditTrail(t *testing.T) {
	f := newFixture(t)
	other := f.newToken("deploy-bot", start.Add(3600e9))
	var answers []string
	step := func(token, method, path, body string, code int) {
		t.Helper()
		r := f.doToken(token, method, path, body)
		f.expect(r, code, method+" "+path)
		answers = append(answers, r.String())
	}
	step(f.token, "PATCH", "/api/v1/users/alice", `{"disabled":true}`, 200)
	step(other, "DELETE", "/api/v1/users/bob", "", 204)
	step(f.token, "DELETE", "/api/v1/shares/docs/grants?group=staff&at=/team", "", 204)
	step(other, "DELETE", "/api/v1/shares/docs", "", 204)
	step(f.token, "POST", "/api/v1/bans", `{"address":"2001:db8::1","reason":"abuse"}`, 201)
	step(f.token, "POST", "/api/v1/bans", `{"address":"2001:db8::1","reason":"abuse again","duration":"2h"}`, 201)
	step(other, "DELETE", "/api/v1/bans/2001:db8::1/128", "", 204)
	step(f.token, "DELETE", "/api/v1/sessions/a1b2c3", "", 204)
	for _, path := range []string{"/api/v1/users", "/api/v1/users/alice", "/api/v1/audit", "/api/v1/groups/staff", "/api/v1/sessions"} {
		step(f.token, "GET", path, "", 200)
	}

	want := []struct{ actor, action, target string }{
		{"token:ops", "user.update", "alice"},
		{"token:deploy-bot", "user.delete", "bob"},
		{"token:ops", "share.revoke", "docs"},
		{"token:deploy-bot", "share.delete", "docs"},
		{"token:ops", "ban.add", "2001:db8::1/128"},
		{"token:ops", "ban.add", "2001:db8::1/128"},
		{"token:deploy-bot", "ban.delete", "2001:db8::1/128"},
		{"token:ops", "session.kill", "a1b2c3"},
	}
	entries := f.auditEntries()
	if len(entries) != len(want) {
		t.Fatalf("%d audit entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i, e := range entries {
		w := want[i]
		if e.Actor != w.actor || e.Action != w.action || e.Target != w.target || !e.Time.Equal(start) {
			t.Errorf("entry %d = %s %s %s at %v, want %s %s %s", i, e.Actor, e.Action, e.Target, e.Time, w.actor, w.action, w.target)
		}
		for _, state := range []string{e.Before, e.After} {
			if state != "" && !json.Valid([]byte(state)) {
				t.Errorf("entry %d: state is not JSON: %s", i, state)
			}
		}
		answers = append(answers, e.Before, e.After)
	}
	// A replaced ban records the ban it replaced.
	if !strings.Contains(entries[5].Before, `"reason":"abuse"`) || !strings.Contains(entries[5].After, `"abuse again"`) {
		t.Errorf("replacing ban: before %s after %s", entries[5].Before, entries[5].After)
	}
	if !strings.Contains(entries[0].Before, `"disabled":false`) || !strings.Contains(entries[0].After, `"disabled":true`) {
		t.Errorf("user.update: before %s after %s", entries[0].Before, entries[0].After)
	}
	if !strings.Contains(entries[3].Before, `"grants"`) {
		t.Errorf("share.delete does not record the grants it removed: %s", entries[3].Before)
	}
	for _, text := range answers {
		if strings.Contains(text, "SECRETHASHMARKER") || strings.Contains(text, "argon2") || strings.Contains(text, "password_hash") {
			t.Errorf("a password hash leaks: %s", text)
		}
	}
	if strings.Contains(f.logs.String(), "SECRETHASHMARKER") {
		t.Errorf("a password hash leaks into the log")
	}
}
