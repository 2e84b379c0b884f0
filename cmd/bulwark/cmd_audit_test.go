package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/bulwark-ftp/bulwark/internal/admin"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

func auditEntries(t *testing.T, e *env, extra ...string) []admin.AuditEntry {
	t.Helper()
	var out []admin.AuditEntry
	e.jsonOf(&out, append([]string{"audit", "list", "--limit", "0", "--json"}, extra...)...)
	return out
}

// TestAuditRecordsEveryChange runs each command that changes the store and
// checks the trail: one entry each, in order, by the local actor, with the
// state before and after and never a secret.
func TestAuditRecordsEveryChange(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	steps := []struct {
		args   []string
		stdin  string
		action string
		target string
	}{
		{[]string{"group", "add", "staff"}, "", "group.create", "staff"},
		{[]string{"group", "set", "staff", "--perm", "/pub=read"}, "", "group.update", "staff"},
		{[]string{"user", "add", "alice", "--password-stdin"}, testPassword, "user.create", "alice"},
		{[]string{"user", "set", "alice", "--add-group", "staff", "--comment", "ops"}, "", "user.update", "alice"},
		{[]string{"user", "passwd", "alice", "--password-stdin"}, "Other-Walnut-Ferry-72\n", "user.password", "alice"},
		{[]string{"user", "disable", "alice"}, "", "user.disable", "alice"},
		{[]string{"user", "enable", "alice"}, "", "user.enable", "alice"},
		{[]string{"share", "add", "projects", "--path", dir}, "", "share.create", "projects"},
		{[]string{"share", "set", "projects", "--comment", "team"}, "", "share.update", "projects"},
		{[]string{"share", "grant", "projects", "--user", "alice", "--at", "/p", "--perm", "read"}, "", "share.grant", "projects"},
		{[]string{"share", "grant", "projects", "--user", "alice", "--at", "/p", "--perm", "read,upload"}, "", "share.grant", "projects"},
		{[]string{"share", "revoke", "projects", "--user", "alice"}, "", "share.revoke", "projects"},
		{[]string{"share", "del", "projects", "--yes"}, "", "share.delete", "projects"},
		{[]string{"ban", "add", "203.0.113.7", "--reason", "guessing"}, "", "ban.add", "203.0.113.7/32"},
		{[]string{"ban", "del", "203.0.113.7"}, "", "ban.delete", "203.0.113.7/32"},
		{[]string{"admin", "token", "create", "ops"}, "", "token.create", "ops"},
		{[]string{"admin", "token", "revoke", "ops"}, "", "token.revoke", "ops"},
		{[]string{"user", "del", "alice", "--yes"}, "", "user.delete", "alice"},
		{[]string{"group", "del", "staff", "--yes"}, "", "group.delete", "staff"},
	}
	for _, s := range steps {
		e.ok(s.stdin, s.args...)
	}
	// A command that fails changes nothing and records nothing.
	if r := e.run("", "user", "del", "nobody", "--yes"); r.code != exitError {
		t.Fatalf("del of an unknown user: exit %d", r.code)
	}

	got := auditEntries(t, e)
	if len(got) != len(steps) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(steps), got)
	}
	actor := audit.LocalActor()
	for i, s := range steps {
		g := got[i]
		if g.Action != s.action || g.Target != s.target || g.Actor != actor {
			t.Errorf("entry %d = %s %s by %s, want %s %s by %s", i, g.Action, g.Target, g.Actor, s.action, s.target, actor)
		}
		if i > 0 && g.Time.Before(got[i-1].Time) {
			t.Errorf("entry %d is older than the one before", i)
		}
	}
	byIndex := func(i int) (before, after map[string]any) {
		t.Helper()
		json.Unmarshal(got[i].Before, &before)
		json.Unmarshal(got[i].After, &after)
		return before, after
	}
	// Creation: nothing before. Deletion: nothing after.
	if b, a := byIndex(2); b != nil || a["name"] != "alice" {
		t.Errorf("user.create before %v after %v", b, a)
	}
	if b, a := byIndex(17); b["name"] != "alice" || a != nil {
		t.Errorf("user.delete before %v after %v", b, a)
	}
	// An update has both states, with the change in them.
	if b, a := byIndex(3); b["comment"] != nil || a["comment"] != "ops" || fmt.Sprint(a["groups"]) != "[staff]" {
		t.Errorf("user.update before %v after %v", b, a)
	}
	if b, a := byIndex(5); b["disabled"] != false || a["disabled"] != true {
		t.Errorf("user.disable before %v after %v", b["disabled"], a["disabled"])
	}
	if _, a := byIndex(4); fmt.Sprint(a) != "map[password:changed]" {
		t.Errorf("user.password after %v", a)
	}
	// The second grant replaced the first: its before is the first.
	if b, a := byIndex(10); b["rights"] != "read" || a["rights"] != "read,upload" {
		t.Errorf("share.grant (replace) before %v after %v", b, a)
	}
	if b, _ := byIndex(9); b != nil {
		t.Errorf("first share.grant before %v, want none", b)
	}
	if b, a := byIndex(14); b["reason"] != "guessing" || a != nil {
		t.Errorf("ban.delete before %v after %v", b, a)
	}

	// No secret in the trail: no password hash, no token.
	st := e.db()
	raw, err := st.ListAudit(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		for _, s := range []string{r.Before, r.After} {
			for _, secret := range []string{"$argon2id", "password_hash", "bwk_", `"hash"`, strings.TrimSpace(testPassword)} {
				if strings.Contains(s, secret) {
					t.Errorf("%s entry holds %q: %s", r.Action, secret, s)
				}
			}
		}
	}
}

func TestAuditListTableAndFilters(t *testing.T) {
	e := newEnv(t)
	st := e.db()
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, en := range []store.AuditEntry{
		{Actor: "cli:root", Action: "user.update", Target: "alice",
			Before: `{"name":"alice","disabled":false,"comment":"x"}`, After: `{"name":"alice","disabled":true,"comment":"x"}`},
		{Actor: "token:ops", Action: "ban.add", Target: "203.0.113.7/32", After: `{"prefix":"203.0.113.7/32","reason":"manual","manual":true,"level":1,"count":0}`},
		{Actor: "cli:root", Action: "group.delete", Target: "staff", Before: `{"name":"staff","perms":[]}`},
	} {
		en.Time = base.Add(time.Duration(i) * time.Hour)
		if err := st.AppendAudit(ctx, &en); err != nil {
			t.Fatal(err)
		}
	}
	now := base.Add(2*time.Hour + 30*time.Minute)
	r := e.okAt(now, "audit", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("table:\n%s", r.stdout)
	}
	for i, want := range []string{
		"disabled: false→true",
		"+ level=1 manual=true prefix=203.0.113.7/32 reason=manual",
		"- name=staff",
	} {
		if !strings.HasSuffix(lines[i+1], want) {
			t.Errorf("line %d = %q, want it to end in %q", i+1, lines[i+1], want)
		}
	}
	if !strings.Contains(lines[2], "token:ops") || !strings.Contains(lines[2], "ban.add") {
		t.Errorf("line 2 = %q", lines[2])
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--since", "90m"}, "[ban.add group.delete]"},
		{[]string{"--since", "1d"}, "[user.update ban.add group.delete]"},
		{[]string{"--since", base.Add(2 * time.Hour).Format(time.RFC3339)}, "[group.delete]"},
		{[]string{"--limit", "2"}, "[ban.add group.delete]"},
		{[]string{"--since", "3h", "--limit", "1"}, "[group.delete]"},
	} {
		rr := e.okAt(now, append([]string{"audit", "list", "--json"}, c.args...)...)
		var got []admin.AuditEntry
		if err := json.Unmarshal([]byte(rr.stdout), &got); err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, g := range got {
			actions = append(actions, g.Action)
		}
		if fmt.Sprint(actions) != c.want {
			t.Errorf("%v: %v, want %s", c.args, actions, c.want)
		}
	}
	// JSON: the states as objects, null when absent.
	rr := e.okAt(now, "audit", "list", "--json", "--limit", "1")
	if !strings.Contains(rr.stdout, `"after": null`) || !strings.Contains(rr.stdout, `"before": {`) {
		t.Errorf("json:\n%s", rr.stdout)
	}

	for _, args := range [][]string{{"--since", "yesterday"}, {"--limit", "-1"}, {"extra"}} {
		if rr := e.tryAt(now, append([]string{"audit", "list"}, args...)...); rr.code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, rr.code, exitUsage)
		}
	}
}

func TestAuditListEmpty(t *testing.T) {
	e := newEnv(t)
	if r := e.ok("", "audit", "list"); strings.TrimSpace(r.stdout) != "no audit entries" {
		t.Errorf("empty: %q", r.stdout)
	}
	if r := e.ok("", "audit", "list", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty --json: %q", r.stdout)
	}
}

// TestAuditFailureKeepsChange: when the trail cannot be written, the change
// stands, the command succeeds and says so on standard error.
func TestAuditFailureKeepsChange(t *testing.T) {
	e := newEnv(t)
	e.ok("", "ban", "list") // creates the database
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.Join(e.dataDir, "bulwark.db")}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit disk full'); END`); err != nil {
		t.Fatal(err)
	}
	r := e.ok("", "ban", "add", "198.51.100.9")
	if !strings.Contains(r.stderr, "warning: ban.add 198.51.100.9/32 was done but not recorded in the audit trail") {
		t.Errorf("stderr: %q", r.stderr)
	}
	if bans := listBansJSON(t, e, time.Now()); len(bans) != 1 || bans[0].Prefix != "198.51.100.9/32" {
		t.Errorf("bans after a failed record: %+v", bans)
	}
}

func TestChangeSummary(t *testing.T) {
	long := `{"comment":"` + strings.Repeat("x", 200) + `"}`
	for _, c := range []struct{ before, after, want string }{
		{"", "", "-"},
		{`{"a":1,"b":"x"}`, `{"a":1,"b":"y"}`, `b: "x"→"y"`},
		{`{"a":1}`, `{"a":1}`, "no change"},
		{`{"a":1}`, `{"a":1,"c":[1]}`, "c: -→[1]"},
		{`{"a":1,"z":true}`, `{"a":2}`, "a: 1→2, z: true→-"},
		{"", `{"password":"changed"}`, "+ password=changed"},
		{"", `{"name":"a b","n":0,"l":[],"o":{}}`, `+ name="a b"`},
		{`{"name":"x"}`, "", "- name=x"},
		{"", `{"comment":"line\nbreak"}`, `+ comment="line\nbreak"`},
		{"not json", "", "-"},
	} {
		if got := changeSummary(c.before, c.after); got != c.want {
			t.Errorf("changeSummary(%q, %q) = %q, want %q", c.before, c.after, got, c.want)
		}
	}
	if got := changeSummary("", long); len([]rune(got)) != maxSummary || !strings.HasSuffix(got, "…") {
		t.Errorf("long summary = %q", got)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"90m", now.Add(-90 * time.Minute)},
		{"2d", now.Add(-48 * time.Hour)},
		{"1w", now.Add(-7 * 24 * time.Hour)},
		{"2026-03-01T00:00:00Z", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-03-01T01:00:00+01:00", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := parseSince(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "soon", "2026-03-01", "-5h"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) succeeded", bad)
		}
	}
}

func TestAuditPurge(t *testing.T) {
	e := newEnv(t)
	// Three changes a day apart, by the clock the command line is run with.
	for i, name := range []string{"old", "mid", "new"} {
		e.okAt(t0.Add(time.Duration(i)*24*time.Hour), "ban", "add", "203.0.113."+strconv.Itoa(i+1), "--reason", name)
	}
	now := t0.Add(2*24*time.Hour + time.Hour)
	if r := e.tryAt(now, "audit", "purge", "--before", "36h"); r.code == exitOK {
		t.Fatalf("purge without --yes and without a terminal succeeded: %q", r.stdout)
	}
	if r := e.tryAt(now, "audit", "purge", "--yes"); r.code != exitUsage {
		t.Errorf("purge without --before: exit %d", r.code)
	}
	r := e.okAt(now, "audit", "purge", "--before", "36h", "--yes")
	if !strings.HasPrefix(r.stdout, "removed 1 audit entries older than 2026-11-29T23:00:00Z") {
		t.Errorf("purge said %q", r.stdout)
	}
	var actions []string
	for _, en := range auditEntries(t, e) {
		actions = append(actions, en.Action+" "+en.Target)
	}
	if got := strings.Join(actions, ", "); got != "ban.add 203.0.113.2/32, ban.add 203.0.113.3/32, audit.purge " {
		t.Errorf("left: %s", got)
	}
}
