package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// storedUser reads a user straight from the database.
func (e *env) storedUser(name string) *user.User {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(e.dataDir, "bulwark.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	u, err := st.GetUser(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func checkPassword(t *testing.T, u *user.User, pw string) {
	t.Helper()
	ok, _, err := (&password.Hasher{}).Verify(u.PasswordHash, pw)
	if err != nil || !ok {
		t.Errorf("password of %s does not verify (err %v)", u.Name, err)
	}
}

func showJSON(t *testing.T, e *env, name string) map[string]any {
	t.Helper()
	r := e.ok("", "user", "show", name, "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		t.Fatalf("show --json: %v\n%s", err, r.stdout)
	}
	return m
}

func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	const pw1, pw2 = "first-Secret-9", "second-Secret-8"

	r := e.ok(pw1+"\n", "user", "add", "alice", "--password-stdin", "--comment", "from accounting", "--require-tls")
	home := filepath.Join(e.dataDir, "homes", "alice")
	if !strings.Contains(r.stdout, `user "alice" created`) || !strings.Contains(r.stdout, home) {
		t.Errorf("add output: %q", r.stdout)
	}
	fi, err := os.Stat(home)
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != homeDirMode {
		t.Fatalf("home %s: %v, %v", home, fi, err)
	}
	checkPassword(t, e.storedUser("alice"), pw1)

	other := filepath.Join(t.TempDir(), "bob-files")
	e.ok(pw2, "user", "add", "bob", "--password-stdin", "--home", other, "--disabled")
	if _, err := os.Stat(other); err != nil {
		t.Errorf("--home not created: %v", err)
	}

	// list --json: stable field names, no hash.
	r = e.ok("", "user", "list", "--json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("list --json: %v\n%s", err, r.stdout)
	}
	if len(list) != 2 || list[0]["name"] != "alice" || list[1]["name"] != "bob" {
		t.Fatalf("list: %v", list)
	}
	wantKeys := []string{"aging_exempt", "allow_ips", "comment", "created_at", "deny_ips", "disabled", "download_rate",
		"groups", "home", "last_login", "limits", "max_sessions", "must_change_password", "name", "password_algorithm",
		"password_changed_at", "password_expires_at", "password_set", "perms", "require_tls", "schedule", "timezone",
		"updated_at", "upload_rate", "valid_from", "valid_until"}
	var keys []string
	for k := range list[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("JSON keys %v, want %v", keys, wantKeys)
	}
	a := list[0]
	if a["home"] != home || a["require_tls"] != true || a["disabled"] != false || a["comment"] != "from accounting" ||
		a["password_set"] != true || a["password_algorithm"] != "argon2id" || a["last_login"] != nil {
		t.Errorf("alice in list: %v", a)
	}
	if list[1]["disabled"] != true || list[1]["home"] != other {
		t.Errorf("bob in list: %v", list[1])
	}
	if strings.Contains(r.stdout, "$argon2id$") {
		t.Error("list --json shows the hash")
	}

	r = e.ok("", "user", "list")
	for _, want := range []string{"NAME", "alice", "bob", "disabled", "enabled", "never"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = e.ok("", "user", "show", "alice")
	for _, want := range []string{"alice", "password:", "set (argon2id)", "from accounting", home} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "$argon2id$") {
		t.Error("show prints the hash")
	}

	// set changes only what is given.
	newHome := filepath.Join(t.TempDir(), "alice2")
	e.ok("", "user", "set", "alice", "--require-tls=false", "--comment", "moved", "--home", newHome)
	m := showJSON(t, e, "alice")
	if m["require_tls"] != false || m["comment"] != "moved" || m["home"] != newHome || m["disabled"] != false {
		t.Errorf("after set: %v", m)
	}
	if _, err := os.Stat(newHome); err != nil {
		t.Errorf("set --home did not create the directory: %v", err)
	}
	e.ok("", "user", "set", "alice", "--comment", "")
	if m := showJSON(t, e, "alice"); m["comment"] != "" || m["home"] != newHome {
		t.Errorf("after clearing the comment: %v", m)
	}

	// passwd
	r = e.ok(pw2+"\r\n", "user", "passwd", "alice", "--password-stdin")
	if !strings.Contains(r.stdout, "changed") {
		t.Errorf("passwd output: %q", r.stdout)
	}
	checkPassword(t, e.storedUser("alice"), pw2)

	// disable / enable
	e.ok("", "user", "disable", "alice")
	if !e.storedUser("alice").Disabled {
		t.Error("disable did not disable")
	}
	if r := e.ok("", "user", "disable", "alice"); !strings.Contains(r.stdout, "already disabled") {
		t.Errorf("second disable: %q", r.stdout)
	}
	e.ok("", "user", "enable", "alice")
	if e.storedUser("alice").Disabled {
		t.Error("enable did not enable")
	}

	// del: refused without a terminal and without --yes.
	r = e.run("y\n", "user", "del", "alice")
	if r.code != exitError || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("del without --yes: exit %d, %q", r.code, r.stderr)
	}
	e.storedUser("alice")
	r = e.ok("", "user", "del", "alice", "--yes")
	if !strings.Contains(r.stdout, "deleted") {
		t.Errorf("del output: %q", r.stdout)
	}
	if _, err := os.Stat(newHome); err != nil {
		t.Errorf("del removed the home directory: %v", err)
	}
	r = e.run("", "user", "show", "alice")
	if r.code != exitError || r.stderr != "bulwark: user \"alice\": not found\n" {
		t.Errorf("show after del: exit %d, %q", r.code, r.stderr)
	}

	e.never(pw1)
	e.never(pw2)
	e.never("$argon2id$")
}

func TestUserErrors(t *testing.T) {
	e := newEnv(t)
	const pw = "Walnut-Ferry-Glow-83"
	e.ok(pw+"\n", "user", "add", "alice", "--password-stdin")

	tests := []struct {
		name    string
		stdin   string
		args    []string
		code    int
		wantErr string
	}{
		{"duplicate", pw, []string{"user", "add", "alice", "--password-stdin"}, exitError, `bulwark: user "alice": already exists`},
		{"duplicate other case", pw, []string{"user", "add", "ALICE", "--password-stdin"}, exitError, "already exists"},
		{"show unknown", "", []string{"user", "show", "x"}, exitError, `bulwark: user "x": not found`},
		{"set unknown", "", []string{"user", "set", "x", "--comment", "c"}, exitError, `bulwark: user "x": not found`},
		{"passwd unknown", pw, []string{"user", "passwd", "x", "--password-stdin"}, exitError, `bulwark: user "x": not found`},
		{"disable unknown", "", []string{"user", "disable", "x"}, exitError, `bulwark: user "x": not found`},
		{"enable unknown", "", []string{"user", "enable", "x"}, exitError, `bulwark: user "x": not found`},
		{"del unknown", "", []string{"user", "del", "x", "--yes"}, exitError, `bulwark: user "x": not found`},
		{"short password", "Sh0rt\n", []string{"user", "add", "bob", "--password-stdin"}, exitError, "must be at least 8 characters"},
		{"empty password", "\n", []string{"user", "add", "bob", "--password-stdin"}, exitError, "empty password"},
		{"no password input", "", []string{"user", "add", "bob", "--password-stdin"}, exitError, "no input"},
		{"no terminal", pw, []string{"user", "add", "bob"}, exitUsage, "--password-stdin"},
		{"invalid name", pw, []string{"user", "add", "a b", "--password-stdin"}, exitError, "invalid user name"},
		{"missing name", "", []string{"user", "add"}, exitUsage, "NAME"},
		{"extra argument", "", []string{"user", "show", "a", "b"}, exitUsage, "NAME"},
		{"unknown flag", "", []string{"user", "list", "--nope"}, exitUsage, "--nope"},
		{"password as argument", "", []string{"user", "add", "bob", "--password", pw}, exitUsage, "--password"},
		{"unknown command", "", []string{"user", "rename"}, exitUsage, `unknown command "rename"`},
		{"missing command", "", []string{"user"}, exitUsage, "missing command"},
		{"nothing to set", "", []string{"user", "set", "alice"}, exitUsage, "nothing to change"},
		{"bad bool", "", []string{"user", "set", "alice", "--require-tls=maybe"}, exitUsage, "require-tls"},
		{"top-level typo", "", []string{"srve"}, exitUsage, `unknown command "srve"`},
		{"no command", "", nil, exitUsage, "missing command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(tt.stdin, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.wantErr)
			}
			if tt.code == exitUsage && !strings.Contains(r.stderr, "--help") {
				t.Errorf("usage error without a hint: %q", r.stderr)
			}
		})
	}
	// Nothing above created bob.
	if r := e.run("", "user", "show", "bob"); r.code != exitError {
		t.Errorf("bob exists after failed adds: %s", r.stdout)
	}
	e.never(pw)
}

func TestUserInteractive(t *testing.T) {
	e := newEnv(t)
	withTerm := func(ft *fakeTerm) func(*app) { return func(a *app) { a.term = ft } }

	const typed = "Typed-Secret-Otter-61"
	ft := &fakeTerm{passwords: []string{typed, typed + "x"}}
	r := e.runApp(withTerm(ft), "", "user", "add", "carol")
	if r.code != exitError || !strings.Contains(r.stderr, "do not match") {
		t.Errorf("mismatched passwords: exit %d, %q", r.code, r.stderr)
	}
	ft = &fakeTerm{passwords: []string{"short"}}
	if r := e.runApp(withTerm(ft), "", "user", "add", "carol"); r.code != exitError || !strings.Contains(r.stderr, "at least 8 characters") {
		t.Errorf("short password: exit %d, %q", r.code, r.stderr)
	}
	if len(ft.prompts) != 1 {
		t.Errorf("asked again after a refused password: %v", ft.prompts)
	}

	ft = &fakeTerm{passwords: []string{typed, typed}}
	if r := e.runApp(withTerm(ft), "", "user", "add", "carol"); r.code != exitOK {
		t.Fatalf("add: exit %d, %q", r.code, r.stderr)
	}
	checkPassword(t, e.storedUser("carol"), typed)

	ft = &fakeTerm{lines: []string{"n"}}
	if r := e.runApp(withTerm(ft), "", "user", "del", "carol"); r.code != exitError || !strings.Contains(r.stderr, "not deleted") {
		t.Errorf("del answered no: exit %d, %q", r.code, r.stderr)
	}
	e.storedUser("carol")
	ft = &fakeTerm{lines: []string{"yes"}}
	if r := e.runApp(withTerm(ft), "", "user", "del", "carol"); r.code != exitOK {
		t.Errorf("del answered yes: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run("", "user", "show", "carol"); r.code != exitError {
		t.Error("carol still exists")
	}
	e.never(typed)
}

func TestCheckNewPassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		// Only what no policy allows; the policy judges the rest.
		{"", false},
		{"1", true},
		{"äöüäöüäö", true},
		{"abcdefg\xff", false},
	}
	for _, tt := range tests {
		if err := checkNewPassword(tt.pw); (err == nil) != tt.ok {
			t.Errorf("checkNewPassword(%q) = %v", tt.pw, err)
		}
	}
}

func TestHashAlgorithm(t *testing.T) {
	tests := map[string]string{
		"":                      "none",
		"$argon2id$v=19$m=1$x":  "argon2id",
		"$2b$10$abc":            "bcrypt",
		"$2y$10$abc":            "bcrypt",
		"$6$salt$hash":          "sha512-crypt",
		"plain text, not a PHC": "unknown",
	}
	for in, want := range tests {
		if got := hashAlgorithm(in); got != want {
			t.Errorf("hashAlgorithm(%q) = %q, want %q", in, got, want)
		}
	}
}
