package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
)

// strongPassword passes the default policy for any test user.
const strongPassword = "Quiet-Harbor-Lamp-47"

// at runs args with the app's clock stopped at now.
func (e *env) at(now time.Time, stdin string, args ...string) result {
	e.t.Helper()
	r := e.runApp(func(a *app) { a.now = func() time.Time { return now } }, stdin, args...)
	if r.code != exitOK {
		e.t.Fatalf("%v at %v: exit %d\nstdout: %s\nstderr: %s", args, now, r.code, r.stdout, r.stderr)
	}
	return r
}

// withConfig writes a configuration file and returns the flags that use it.
func withConfig(t *testing.T, toml string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--config", path}
}

// generatedPassword finds the "password: X" line and checks it is printed
// only once.
func generatedPassword(t *testing.T, stdout string) string {
	t.Helper()
	var found []string
	for line := range strings.Lines(stdout) {
		if pw, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "password: "); ok {
			found = append(found, pw)
		}
	}
	if len(found) != 1 || found[0] == "" {
		t.Fatalf("want one \"password: \" line, got %q in:\n%s", found, stdout)
	}
	if n := strings.Count(stdout, found[0]); n != 1 {
		t.Errorf("generated password printed %d times", n)
	}
	return found[0]
}

// field is the value of "label:" in the text of "user show".
func field(t *testing.T, stdout, label string) string {
	t.Helper()
	for line := range strings.Lines(stdout) {
		if rest, ok := strings.CutPrefix(line, label+":"); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no %q in:\n%s", label, stdout)
	return ""
}

func TestPasswordPolicyRefusals(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		pw   string
		want []string // every failed rule, each on its own line
	}{
		{"weak", "password", []string{"needs an uppercase letter", "needs a digit", "too easy to guess"}},
		{"short", "Ab1", []string{"must be at least 8 characters", "too easy to guess"}},
		{"guessable", "Password1", []string{"too easy to guess"}},
		{"user name", "Erin-Quiet-Harbor-47", []string{"must not contain the user name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(tt.pw+"\n", "user", "add", "erin", "--password-stdin")
			if r.code != exitError || !strings.HasPrefix(r.stderr, "bulwark: password refused:\n") {
				t.Fatalf("exit %d, stderr %q; want exit 1 and the refusal", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")[1:]
			if len(lines) != len(tt.want) {
				t.Errorf("reasons %q, want %d of them: %q", lines, len(tt.want), tt.want)
			}
			for i, want := range tt.want {
				if i < len(lines) && !strings.HasPrefix(lines[i], "  - "+want) {
					t.Errorf("reason %d: %q, want %q", i, lines[i], "  - "+want)
				}
			}
		})
	}
	if r := e.run("", "user", "show", "erin"); r.code != exitError {
		t.Fatal("a refused password created the user")
	}
	e.ok(strongPassword+"\n", "user", "add", "erin", "--password-stdin")
	checkPassword(t, e.storedUser("erin"), strongPassword)

	// passwd applies the same policy, at the terminal too, before asking
	// for the password again.
	if r := e.run("password\n", "user", "passwd", "erin", "--password-stdin"); r.code != exitError ||
		!strings.Contains(r.stderr, "\n  - needs a digit\n") {
		t.Errorf("passwd with a weak password: exit %d, %q", r.code, r.stderr)
	}
	ft := &fakeTerm{passwords: []string{"password", "password"}}
	r := e.runApp(func(a *app) { a.term = ft }, "", "user", "passwd", "erin")
	if r.code != exitError || !strings.Contains(r.stderr, "needs an uppercase letter") || len(ft.prompts) != 1 {
		t.Errorf("weak password at the terminal: exit %d, %q, prompts %q", r.code, r.stderr, ft.prompts)
	}
	checkPassword(t, e.storedUser("erin"), strongPassword)
	e.never(strongPassword)
}

func TestGeneratedPasswords(t *testing.T) {
	e := newEnv(t)
	r := e.ok("", "user", "add", "gina", "--generate")
	pw := generatedPassword(t, r.stdout)
	checkPassword(t, e.storedUser("gina"), pw)
	if err := password.DefaultPolicy().Check(pw, "gina"); err != nil {
		t.Errorf("generated password breaks the policy: %v", err)
	}

	r = e.ok("", "user", "passwd", "gina", "--generate")
	pw2 := generatedPassword(t, r.stdout)
	if pw2 == pw {
		t.Error("passwd --generate gave the same password again")
	}
	checkPassword(t, e.storedUser("gina"), pw2)

	for _, args := range [][]string{
		{"user", "add", "hal", "--generate", "--password-stdin"},
		{"user", "add", "hal", "--generate", "--password-hash", "$2b$04$x"},
		{"user", "passwd", "gina", "--generate", "--password-stdin"},
	} {
		if r := e.run(strongPassword+"\n", args...); r.code != exitUsage || !strings.Contains(r.stderr, "cannot be used together") {
			t.Errorf("%v: exit %d, %q; want a usage error", args, r.code, r.stderr)
		}
	}
}

func TestFirstUserPasswordMeetsPolicy(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	st, err := openStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	u, pw, err := createFirstUser(context.Background(), cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), now)
	if err != nil || u == nil {
		t.Fatalf("createFirstUser: %v, %v", u, err)
	}
	pol, err := cfg.PasswordPolicy.Build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := pol.Check(pw, u.Name); err != nil {
		t.Errorf("first user's password: %v", err)
	}
	if !u.PasswordChangedAt.Equal(now) {
		t.Errorf("password changed at %v, want %v", u.PasswordChangedAt, now)
	}
}

func TestPasswordHistoryKept(t *testing.T) {
	e := newEnv(t)
	e.ok(strongPassword+"\n", "user", "add", "ivy", "--password-stdin")
	first := e.storedUser("ivy").PasswordHash
	e.ok("Second-Morning-Kettle-58\n", "user", "passwd", "ivy", "--password-stdin")
	second := e.storedUser("ivy").PasswordHash
	// An administrator's reset skips the history: the first password
	// comes back.
	e.ok(strongPassword+"\n", "user", "passwd", "ivy", "--password-stdin")
	hist, err := e.db().PasswordHistory(context.Background(), "ivy", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0] != second || hist[1] != first {
		t.Errorf("history has %d hashes, want the 2 previous ones newest first", len(hist))
	}
	checkPassword(t, e.storedUser("ivy"), strongPassword)
}

func TestMustChange(t *testing.T) {
	e := newEnv(t)
	e.ok(strongPassword+"\n", "user", "add", "jo", "--password-stdin", "--must-change")
	if m := showJSON(t, e, "jo"); m["must_change_password"] != true {
		t.Errorf("add --must-change: %v", m["must_change_password"])
	}
	if got := field(t, e.ok("", "user", "show", "jo").stdout, "must change at next login"); got != "yes" {
		t.Errorf("show: must change %q", got)
	}
	e.ok("", "user", "set", "jo", "--must-change=false")
	if m := showJSON(t, e, "jo"); m["must_change_password"] != false {
		t.Errorf("set --must-change=false: %v", m["must_change_password"])
	}
	if got := field(t, e.ok("", "user", "show", "jo").stdout, "must change at next login"); got != "no" {
		t.Errorf("show: must change %q", got)
	}
	e.ok("", "user", "set", "jo", "--must-change")
	if !e.storedUser("jo").MustChangePassword {
		t.Error("set --must-change did not set it")
	}
	// A reset without --must-change and without change_after_reset
	// lifts it; --must-change sets it again.
	e.ok("Second-Morning-Kettle-58\n", "user", "passwd", "jo", "--password-stdin")
	if e.storedUser("jo").MustChangePassword {
		t.Error("passwd kept must-change")
	}
	e.ok(strongPassword+"\n", "user", "passwd", "jo", "--password-stdin", "--must-change")
	if !e.storedUser("jo").MustChangePassword {
		t.Error("passwd --must-change did not set it")
	}

	// The configuration's defaults, and the flag overriding them.
	cfg := withConfig(t, "[password_policy]\nchange_at_first_login = true\nchange_after_reset = true\n")
	e.ok(strongPassword+"\n", append(cfg, "user", "add", "kim", "--password-stdin")...)
	if !e.storedUser("kim").MustChangePassword {
		t.Error("change_at_first_login did not apply")
	}
	e.ok(strongPassword+"\n", append(cfg, "user", "add", "lee", "--password-stdin", "--must-change=false")...)
	if e.storedUser("lee").MustChangePassword {
		t.Error("--must-change=false did not override change_at_first_login")
	}
	e.ok("Second-Morning-Kettle-58\n", append(cfg, "user", "passwd", "lee", "--password-stdin")...)
	if !e.storedUser("lee").MustChangePassword {
		t.Error("change_after_reset did not apply")
	}
	e.ok(strongPassword+"\n", append(cfg, "user", "passwd", "lee", "--password-stdin", "--must-change=false")...)
	if e.storedUser("lee").MustChangePassword {
		t.Error("--must-change=false did not override change_after_reset")
	}
}

func TestImportHashFlag(t *testing.T) {
	e := newEnv(t)
	bc, err := bcrypt.GenerateFromPassword([]byte("Imported-Pass-1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	r := e.ok("", "user", "add", "max", "--password-hash", string(bc))
	if u := e.storedUser("max"); u.PasswordHash != string(bc) || u.MustChangePassword {
		t.Errorf("stored hash %q, must change %v", u.PasswordHash, u.MustChangePassword)
	}
	if !strings.Contains(r.stderr, "note: the password policy cannot be checked for an imported hash") ||
		!strings.Contains(r.stderr, "--must-change") {
		t.Errorf("no note about the unchecked policy: %q", r.stderr)
	}
	r = e.ok("", "user", "add", "ned", "--password-hash", string(bc), "--must-change")
	if !e.storedUser("ned").MustChangePassword || strings.Contains(r.stderr, "note:") {
		t.Errorf("--must-change with an imported hash: stderr %q", r.stderr)
	}
	if r := e.run("", "user", "add", "oli", "--password-hash", "plain-text"); r.code != exitError ||
		!strings.Contains(r.stderr, "--password-hash: password hash not recognised") {
		t.Errorf("bad hash: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run(string(bc)+"\n", "user", "add", "oli", "--password-hash", string(bc), "--password-hash-stdin"); r.code != exitUsage {
		t.Errorf("two hash sources: exit %d, %q", r.code, r.stderr)
	}
	e.never(string(bc))
}

func TestExpiring(t *testing.T) {
	e := newEnv(t)
	t0 := time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	// The default policy's passwords last 90 days.
	e.at(t0, strongPassword+"\n", "user", "add", "pat", "--password-stdin")
	e.at(t0.Add(30*day), strongPassword+"\n", "user", "add", "quinn", "--password-stdin")
	e.at(t0, strongPassword+"\n", "user", "add", "robot", "--password-stdin", "--aging-exempt")

	now := t0.Add(80 * day)
	r := e.at(now, "", "user", "list", "--expiring", "14d")
	if !strings.Contains(r.stdout, "pat") || strings.Contains(r.stdout, "quinn") || strings.Contains(r.stdout, "robot") ||
		!strings.Contains(r.stdout, "in 10 days") {
		t.Errorf("--expiring 14d:\n%s", r.stdout)
	}
	r = e.at(now, "", "user", "list", "--expiring", "6w", "--json")
	var list []userJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "pat" || list[1].Name != "quinn" ||
		list[0].PasswordExpiresAt == nil || !list[0].PasswordExpiresAt.Equal(t0.Add(90*day)) {
		t.Errorf("--expiring 6w --json: %+v", list)
	}
	if r := e.at(now, "", "user", "list", "--expiring", "36h"); r.stdout != "no password expires within 36h\n" {
		t.Errorf("--expiring 36h: %q", r.stdout)
	}
	// Expired passwords are listed too, and shown as expired.
	later := t0.Add(100 * day)
	if r := e.at(later, "", "user", "list", "--expiring", "1d"); !strings.Contains(r.stdout, "expired 10 days ago") {
		t.Errorf("expired password:\n%s", r.stdout)
	}
	if got := field(t, e.at(later, "", "user", "show", "robot").stdout, "password expires"); got != "exempt" {
		t.Errorf("show exempt: %q", got)
	}
	r = e.at(later, "", "user", "show", "quinn")
	if got := field(t, r.stdout, "password expires"); !strings.HasSuffix(got, "(in 20 days)") {
		t.Errorf("show quinn: expires %q", got)
	}
	if got := field(t, r.stdout, "password changed"); got != formatTime(t0.Add(30*day)) {
		t.Errorf("show quinn: changed %q", got)
	}
	m := showJSON(t, e, "robot")
	if m["password_expires_at"] != nil || m["aging_exempt"] != true || m["password_changed_at"] != t0.Format(time.RFC3339) {
		t.Errorf("show --json exempt: %v", m)
	}
	e.ok("", "user", "set", "robot", "--aging-exempt=false")
	if m := showJSON(t, e, "robot"); m["password_expires_at"] != t0.Add(90*day).Format(time.RFC3339) {
		t.Errorf("after --aging-exempt=false: %v", m["password_expires_at"])
	}

	for _, bad := range []string{"", "14", "d", "-2d", "2y", "x1w"} {
		if r := e.run("", "user", "list", "--expiring", bad); r.code != exitUsage || !strings.Contains(r.stderr, "--expiring") {
			t.Errorf("--expiring %q: exit %d, %q", bad, r.code, r.stderr)
		}
	}
}

func TestParseSpan(t *testing.T) {
	tests := map[string]time.Duration{
		"36h": 36 * time.Hour, "14d": 14 * 24 * time.Hour, "2w": 14 * 24 * time.Hour,
		"0d": 0, "90m": 90 * time.Minute, " 1d ": 24 * time.Hour,
	}
	for in, want := range tests {
		if got, err := parseSpan(in); err != nil || got != want {
			t.Errorf("parseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestGroupPasswordRules(t *testing.T) {
	e := newEnv(t)
	const tenChars = "Vq7#mZp2wL"
	e.ok("", "group", "add", "strict", "--password-rule", "min_length=12", "--password-rule", "require_symbol=true")
	e.ok("", "group", "add", "loose")

	r := e.run(tenChars+"\n", "user", "add", "sam", "--password-stdin", "--group", "strict")
	if r.code != exitError || !strings.Contains(r.stderr, "  - must be at least 12 characters") {
		t.Errorf("10 characters for a member of strict: exit %d, %q", r.code, r.stderr)
	}
	e.ok(tenChars+"\n", "user", "add", "sam", "--password-stdin", "--group", "loose")
	if r := e.run(tenChars+"\n", "user", "passwd", "sam", "--password-stdin"); r.code != exitOK {
		t.Errorf("passwd for a member of loose: exit %d, %q", r.code, r.stderr)
	}
	e.ok("", "user", "set", "sam", "--add-group", "strict")
	if r := e.run(tenChars+"\n", "user", "passwd", "sam", "--password-stdin"); r.code != exitError ||
		!strings.Contains(r.stderr, "at least 12 characters") {
		t.Errorf("passwd after joining strict: exit %d, %q", r.code, r.stderr)
	}

	var shown groupShowJSON
	e.jsonOf(&shown, "group", "show", "strict", "--json")
	if shown.PasswordRules.MinLength == nil || *shown.PasswordRules.MinLength != 12 ||
		shown.PasswordRules.RequireSymbol == nil || !*shown.PasswordRules.RequireSymbol || shown.PasswordRules.History != nil {
		t.Errorf("show --json: %+v", shown.PasswordRules)
	}
	r = e.ok("", "group", "show", "strict", "--json")
	if !strings.Contains(r.stdout, `"password_rules": {`) || !strings.Contains(r.stdout, `"min_length": 12`) {
		t.Errorf("JSON keys:\n%s", r.stdout)
	}
	r = e.ok("", "group", "show", "strict")
	if !strings.Contains(r.stdout, "password rules:\n  min_length      12\n  require_symbol  true\n") {
		t.Errorf("show:\n%s", r.stdout)
	}
	if r := e.ok("", "group", "show", "loose"); !strings.Contains(r.stdout, "password rules: none") {
		t.Errorf("show loose:\n%s", r.stdout)
	}

	e.ok("", "group", "set", "strict", "--password-rule", "require_symbol=", "--password-rule", "history=3")
	shown = groupShowJSON{}
	e.jsonOf(&shown, "group", "show", "strict", "--json")
	if shown.PasswordRules.RequireSymbol != nil || shown.PasswordRules.History == nil || *shown.PasswordRules.History != 3 ||
		*shown.PasswordRules.MinLength != 12 {
		t.Errorf("after set: %+v", shown.PasswordRules)
	}
	e.ok("", "group", "set", "strict", "--clear-password-rules")
	shown = groupShowJSON{}
	e.jsonOf(&shown, "group", "show", "strict", "--json")
	if !shown.PasswordRules.IsZero() {
		t.Errorf("after --clear-password-rules: %+v", shown.PasswordRules)
	}
	e.ok(tenChars+"\n", "user", "passwd", "sam", "--password-stdin")
}

func TestBadPasswordRules(t *testing.T) {
	e := newEnv(t)
	e.ok("", "group", "add", "g")
	for _, bad := range []string{"min_length=abc", "nokey=1", "require_upper=maybe", "min_score=9", "min_length",
		"min_length=0", "history=-1", "max_age_days=99999"} {
		for _, cmd := range [][]string{{"group", "add", "h"}, {"group", "set", "g"}} {
			r := e.run("", append(cmd, "--password-rule", bad)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, `--password-rule "`+bad+`"`) {
				t.Errorf("%v %q: exit %d, %q", cmd, bad, r.code, r.stderr)
			}
		}
	}
	if r := e.run("", "group", "show", "h"); r.code != exitError {
		t.Error("a refused --password-rule created the group")
	}
}

func TestValidUntil(t *testing.T) {
	e := newEnv(t)
	e.ok(strongPassword+"\n", "user", "add", "tess", "--password-stdin", "--valid-until", "2030-06-30")
	if got := e.storedUser("tess").ValidUntil; !got.Equal(time.Date(2030, 6, 30, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("valid until %v", got)
	}
	if m := showJSON(t, e, "tess"); m["valid_until"] != "2030-06-30T23:59:59Z" {
		t.Errorf("JSON valid_until %v", m["valid_until"])
	}
	if got := field(t, e.ok("", "user", "show", "tess").stdout, "valid until"); got != "2030-06-30 (until 23:59:59 UTC)" {
		t.Errorf("show: valid until %q", got)
	}
	e.ok("", "user", "set", "tess", "--valid-until", "never")
	if m := showJSON(t, e, "tess"); m["valid_until"] != nil {
		t.Errorf("after never: %v", m["valid_until"])
	}
	if got := field(t, e.ok("", "user", "show", "tess").stdout, "valid until"); got != "never" {
		t.Errorf("show: valid until %q", got)
	}
	r := e.at(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), "", "user", "set", "tess", "--valid-until", "2030-12-31")
	if !strings.Contains(r.stderr, "its logins are refused") {
		t.Errorf("no note for a past date: %q", r.stderr)
	}
	for _, bad := range []string{"30/06/2030", "2030-02-30", "tomorrow", ""} {
		r := e.run("", "user", "set", "tess", "--valid-until", bad)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--valid-until") {
			t.Errorf("--valid-until %q: exit %d, %q", bad, r.code, r.stderr)
		}
	}
}
