package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

const accessPassword = "access-Secret-77"

// storedGroup reads a group straight from the database.
func (e *env) storedGroup(name string) *user.Group {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(e.dataDir, "bulwark.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	g, err := st.GetGroup(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// writeConfig puts a bulwark.toml in the working directory.
func writeConfig(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(defaultConfigFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestUserAccessFlags(t *testing.T) {
	e := newEnv(t)
	e.ok(accessPassword+"\n", "user", "add", "alice", "--password-stdin",
		"--allow-ip", "203.0.113.0/24", "--allow-ip", " 192.0.2.7 ", "--allow-ip", "203.0.113.9/24",
		"--deny-ip", "203.0.113.66", "--schedule", "Mon-Fri  06:00-18:00", "--timezone", "Europe/Berlin",
		"--valid-from", "2026-01-01", "--valid-until", "2026-12-31")
	u := e.storedUser("alice")
	want := user.AccessRules{
		// Canonical forms; the same network given twice is kept once.
		AllowIPs: []string{"203.0.113.0/24", "192.0.2.7/32"},
		DenyIPs:  []string{"203.0.113.66/32"},
		Schedule: []string{"Mon-Fri 06:00-18:00"},
		TimeZone: "Europe/Berlin",
	}
	if !reflect.DeepEqual(u.Access, want) {
		t.Errorf("after add: %+v, want %+v", u.Access, want)
	}
	if !u.ValidFrom.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ValidFrom = %v", u.ValidFrom)
	}

	// Adding appends; clearing comes first, then adding.
	e.ok("", "user", "set", "alice", "--allow-ip", "198.51.100.0/24", "--schedule", "Sat 08:00-12:00")
	u = e.storedUser("alice")
	if got := u.Access.AllowIPs; !reflect.DeepEqual(got, []string{"203.0.113.0/24", "192.0.2.7/32", "198.51.100.0/24"}) {
		t.Errorf("after --allow-ip: %v", got)
	}
	if got := u.Access.Schedule; !reflect.DeepEqual(got, []string{"Mon-Fri 06:00-18:00", "Sat 08:00-12:00"}) {
		t.Errorf("after --schedule: %v", got)
	}
	e.ok("", "user", "set", "alice", "--clear-allow-ip", "--allow-ip", "10.0.0.0/8", "--clear-deny-ip",
		"--clear-schedule", "--timezone", "server", "--valid-from", "2026-02-01T08:30:00+01:00")
	u = e.storedUser("alice")
	want = user.AccessRules{AllowIPs: []string{"10.0.0.0/8"}}
	if !reflect.DeepEqual(normalize(u.Access), want) {
		t.Errorf("after clear: %+v, want %+v", u.Access, want)
	}
	if !u.ValidFrom.Equal(time.Date(2026, 2, 1, 7, 30, 0, 0, time.UTC)) {
		t.Errorf("ValidFrom = %v", u.ValidFrom)
	}
	e.ok("", "user", "set", "alice", "--clear-allow-ip", "--timezone", "America/New_York", "--valid-from", "none")
	u = e.storedUser("alice")
	if len(u.Access.AllowIPs) != 0 || u.Access.TimeZone != "America/New_York" || !u.ValidFrom.IsZero() {
		t.Errorf("after second clear: %+v, valid from %v", u.Access, u.ValidFrom)
	}
	e.ok("", "user", "set", "alice", "--timezone", "")
	if z := e.storedUser("alice").Access.TimeZone; z != "" {
		t.Errorf(`--timezone "": zone %q`, z)
	}
}

// normalize turns empty lists into nil, as a fresh AccessRules has them.
func normalize(r user.AccessRules) user.AccessRules {
	for _, l := range []*[]string{&r.AllowIPs, &r.DenyIPs, &r.Schedule} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return r
}

// A bad value exits 2 with the flag and the exact token in the message,
// and changes nothing.
func TestAccessFlagErrors(t *testing.T) {
	e := newEnv(t)
	e.ok(accessPassword+"\n", "user", "add", "bob", "--password-stdin", "--allow-ip", "192.0.2.0/24")
	e.ok("", "group", "add", "staff")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"user", "set", "bob", "--allow-ip", "10.0.0.300/8"}, []string{"--allow-ip", `"10.0.0.300/8"`}},
		{[]string{"user", "set", "bob", "--deny-ip", "example.com"}, []string{"--deny-ip", `"example.com"`}},
		{[]string{"user", "set", "bob", "--schedule", "Mon-Fri 06:00-25:00"}, []string{"--schedule", "25:00"}},
		{[]string{"user", "set", "bob", "--schedule", "Funday 06:00-18:00"}, []string{"--schedule", "Funday"}},
		{[]string{"user", "set", "bob", "--timezone", "Mars/Olympus_Mons"}, []string{"--timezone", `"Mars/Olympus_Mons"`}},
		{[]string{"user", "set", "bob", "--timezone", "Local"}, []string{"--timezone", `"Local"`}},
		{[]string{"user", "set", "bob", "--valid-from", "01/02/2026"}, []string{"--valid-from", `"01/02/2026"`}},
		{[]string{"user", "set", "bob", "--valid-from", "2027-01-01", "--valid-until", "2026-12-31"}, []string{"valid from", "2027-01-01"}},
		{[]string{"user", "add", "carol", "--password-stdin", "--deny-ip", "1.2.3.4/40"}, []string{"--deny-ip", `"1.2.3.4/40"`}},
		{[]string{"group", "add", "night", "--schedule", "Mon 22:00"}, []string{"--schedule", "Mon 22:00"}},
		{[]string{"group", "set", "staff", "--allow-ip", "::g"}, []string{"--allow-ip", `"::g"`}},
		{[]string{"group", "set", "staff", "--timezone", "Nowhere/City"}, []string{"--timezone", `"Nowhere/City"`}},
		{[]string{"group", "add", "x", "--valid-from", "2026-01-01"}, []string{"unknown flag: --valid-from"}},
	}
	for _, tt := range tests {
		r := e.run(accessPassword+"\n", tt.args...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", tt.args, r.code, exitUsage, r.stderr)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr %q lacks %s", tt.args, r.stderr, w)
			}
		}
	}
	if u := e.storedUser("bob"); !reflect.DeepEqual(u.Access.AllowIPs, []string{"192.0.2.0/24"}) || u.Access.TimeZone != "" || !u.ValidFrom.IsZero() {
		t.Errorf("bob changed by refused edits: %+v", u.Access)
	}
	if r := e.run("", "user", "show", "carol"); r.code == exitOK {
		t.Error("carol was created despite a bad --deny-ip")
	}
	if r := e.run("", "group", "show", "night"); r.code == exitOK {
		t.Error("group night was created despite a bad --schedule")
	}
}

func TestAccessShow(t *testing.T) {
	e := newEnv(t)
	writeConfig(t, "[access]\ntimezone = \"Asia/Tokyo\"\n")
	e.ok(accessPassword+"\n", "user", "add", "dora", "--password-stdin",
		"--allow-ip", "203.0.113.0/24", "--deny-ip", "203.0.113.66", "--schedule", "Mon-Fri 06:00-18:00",
		"--valid-from", "2026-01-01")
	r := e.ok("", "user", "show", "dora")
	for _, want := range []string{"valid from:", "2026-01-01", "allow ips:", "203.0.113.0/24", "deny ips:", "203.0.113.66/32",
		"schedule:", "Mon-Fri 06:00-18:00", "timezone:", "server (Asia/Tokyo)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("user show lacks %q:\n%s", want, r.stdout)
		}
	}
	m := showJSON(t, e, "dora")
	if m["valid_from"] != "2026-01-01T00:00:00Z" || m["timezone"] != "" ||
		!reflect.DeepEqual(m["allow_ips"], []any{"203.0.113.0/24"}) ||
		!reflect.DeepEqual(m["deny_ips"], []any{"203.0.113.66/32"}) ||
		!reflect.DeepEqual(m["schedule"], []any{"Mon-Fri 06:00-18:00"}) {
		t.Errorf("user show --json: %v", m)
	}

	e.ok("", "group", "add", "night", "--schedule", "Fri 22:00-02:00", "--timezone", "America/New_York", "--deny-ip", "2001:db8::/32")
	r = e.ok("", "group", "show", "night")
	for _, want := range []string{"allow ips:", "any", "2001:db8::/32", "Fri 22:00-02:00", "America/New_York"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("group show lacks %q:\n%s", want, r.stdout)
		}
	}
	e.ok("", "group", "set", "night", "--clear-schedule", "--allow-ip", "192.0.2.0/24", "--timezone", "server")
	r = e.ok("", "group", "show", "night", "--json")
	var g map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &g); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g["allow_ips"], []any{"192.0.2.0/24"}) || !reflect.DeepEqual(g["deny_ips"], []any{"2001:db8::/32"}) ||
		!reflect.DeepEqual(g["schedule"], []any{}) || g["timezone"] != "" {
		t.Errorf("group show --json: %v", g)
	}
	if got := e.storedGroup("night").Access.AllowIPs; !reflect.DeepEqual(got, []string{"192.0.2.0/24"}) {
		t.Errorf("stored group: %v", got)
	}
	// An empty user shows no restriction.
	e.ok(accessPassword+"\n", "user", "add", "eve", "--password-stdin")
	m = showJSON(t, e, "eve")
	if m["valid_from"] != nil || !reflect.DeepEqual(m["allow_ips"], []any{}) || !reflect.DeepEqual(m["schedule"], []any{}) {
		t.Errorf("plain user --json: %v", m)
	}
}

// checkJSON runs "access check --json" with the clock at now.
func checkJSON(t *testing.T, e *env, now time.Time, args ...string) (accessCheckJSON, result) {
	t.Helper()
	r := e.tryAt(now, append([]string{"access", "check", "--json"}, args...)...)
	var j accessCheckJSON
	if err := json.Unmarshal([]byte(r.stdout), &j); err != nil {
		t.Fatalf("access check --json %v: %v\n%s\n%s", args, err, r.stdout, r.stderr)
	}
	return j, r
}

func TestAccessCheck(t *testing.T) {
	e := newEnv(t)
	writeConfig(t, "[access]\ntimezone = \"UTC\"\n")
	e.ok(accessPassword+"\n", "user", "add", "nyc", "--password-stdin", "--allow-ip", "203.0.113.0/24",
		"--schedule", "Mon-Fri 06:00-18:00", "--timezone", "America/New_York")

	wednesday := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC) // 10:00 in New York
	saturday := time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC)

	// Allowed: exit 0, every step passes, the window closes at 18:00 New
	// York time (23:00 UTC).
	r := e.okAt(wednesday, "access", "check", "nyc", "--ip", "203.0.113.7")
	for _, want := range []string{"LEVEL", "RULE", "RESULT", "DETAIL", "server", "user nyc", "pass", "\nallowed\n",
		"closes: Wed 2026-03-04 23:00:00 UTC", "ban: none"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("allowed check lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "FAIL") {
		t.Errorf("allowed check shows a failure:\n%s", r.stdout)
	}

	// Saturday: refused, exit 1, nothing on stderr; it opens on Monday at
	// 06:00 New York daylight time (DST began on 8 March), 10:00 UTC.
	r = e.tryAt(saturday, "access", "check", "nyc", "--ip", "203.0.113.7")
	if r.code != exitError || r.stderr != "" {
		t.Errorf("saturday: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"FAIL", "refused: ", "opens: Mon 2026-03-09 10:00:00 UTC", "explanation: outside the allowed hours"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("saturday check lacks %q:\n%s", want, r.stdout)
		}
	}

	// Another address on a weekday: refused by the allow list.
	j, r := checkJSON(t, e, wednesday, "nyc", "--ip", "198.51.100.7")
	if r.code != exitError || j.Allowed || j.Reason == "" || j.IP != "198.51.100.7" || j.User != "nyc" {
		t.Errorf("other address: exit %d, %+v", r.code, j)
	}
	if !failedStep(j, "user nyc", "203.0.113.0/24") {
		t.Errorf("other address: no failed user step naming the allow list: %+v", j.Steps)
	}
	r = e.tryAt(wednesday, "access", "check", "nyc", "--ip", "198.51.100.7")
	if r.code != exitError || !strings.Contains(r.stdout, "opens: never from this address") {
		t.Errorf("other address: exit %d\n%s", r.code, r.stdout)
	}

	// --at in the server's zone, and RFC 3339.
	j, r = checkJSON(t, e, wednesday, "nyc", "--ip", "203.0.113.7", "--at", "2026-03-07 15:00")
	if r.code != exitError || j.Allowed || !j.At.Equal(saturday) || j.OpensAt == nil ||
		!j.OpensAt.Equal(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("--at saturday: exit %d, %+v", r.code, j)
	}
	j, r = checkJSON(t, e, saturday, "nyc", "--ip", "203.0.113.7", "--at", "2026-03-04T10:00:00-05:00")
	if r.code != exitOK || !j.Allowed || !j.At.Equal(wednesday) || j.ClosesAt == nil || len(j.Steps) == 0 || j.Ban != nil {
		t.Errorf("--at RFC 3339: exit %d, %+v", r.code, j)
	}

	// A group's rules are a level of their own.
	e.ok("", "group", "add", "contractors", "--deny-ip", "203.0.113.66")
	e.ok("", "user", "set", "nyc", "--add-group", "contractors")
	j, r = checkJSON(t, e, wednesday, "nyc", "--ip", "203.0.113.66")
	if r.code != exitError || j.Allowed || !failedStep(j, "group contractors", "203.0.113.66") {
		t.Errorf("group deny: exit %d, %+v", r.code, j)
	}

	// The defender's view: a ban in force on the address.
	e.okAt(wednesday, "ban", "add", "203.0.113.0/28", "--for", "2h", "--reason", "scan")
	r = e.okAt(wednesday, "access", "check", "nyc", "--ip", "203.0.113.7")
	if !strings.Contains(r.stdout, "ban: 203.0.113.0/28 until Wed 2026-03-04 17:00:00 UTC") {
		t.Errorf("ban line:\n%s", r.stdout)
	}
	j, _ = checkJSON(t, e, wednesday, "nyc", "--ip", "203.0.113.7")
	if j.Ban == nil || j.Ban.Prefix != "203.0.113.0/28" || j.Ban.Reason != "scan" {
		t.Errorf("ban in JSON: %+v", j.Ban)
	}
	// Once the ban has ended it is no longer shown.
	r = e.okAt(wednesday.Add(3*time.Hour), "access", "check", "nyc", "--ip", "203.0.113.7")
	if !strings.Contains(r.stdout, "ban: none") {
		t.Errorf("ended ban still shown:\n%s", r.stdout)
	}
}

func failedStep(j accessCheckJSON, level, detail string) bool {
	for _, s := range j.Steps {
		if s.Level == level && !s.Passed && strings.Contains(s.Detail, detail) {
			return true
		}
	}
	return false
}

// The server's own rules come first and can refuse alone.
func TestAccessCheckServerLevel(t *testing.T) {
	e := newEnv(t)
	writeConfig(t, "[access]\ntimezone = \"UTC\"\ndeny_ips = [\"192.0.2.0/24\"]\n")
	e.ok(accessPassword+"\n", "user", "add", "sam", "--password-stdin")
	at := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	j, r := checkJSON(t, e, at, "sam", "--ip", "192.0.2.10")
	if r.code != exitError || j.Allowed || !failedStep(j, "server", "192.0.2.0/24") {
		t.Errorf("server deny: exit %d, %+v", r.code, j)
	}
	j, r = checkJSON(t, e, at, "sam", "--ip", "::ffff:198.51.100.1")
	if r.code != exitOK || !j.Allowed || j.IP != "198.51.100.1" || j.ClosesAt != nil {
		t.Errorf("other address: exit %d, %+v", r.code, j)
	}
}

func TestAccessCheckErrors(t *testing.T) {
	e := newEnv(t)
	e.ok(accessPassword+"\n", "user", "add", "sam", "--password-stdin")
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"access", "check", "sam"}, exitUsage, "--ip"},
		{[]string{"access", "check", "sam", "--ip", "300.1.1.1"}, exitUsage, `"300.1.1.1"`},
		{[]string{"access", "check", "sam", "--ip", "192.0.2.1", "--at", "tomorrow"}, exitUsage, `"tomorrow"`},
		{[]string{"access", "check", "--ip", "192.0.2.1"}, exitUsage, "NAME"},
		{[]string{"access", "check", "nobody", "--ip", "192.0.2.1"}, exitError, `user "nobody": not found`},
		{[]string{"access"}, exitUsage, "missing command"},
	} {
		r := e.run("", tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tt.args, r.code, tt.code, r.stderr, tt.want)
		}
	}
}
