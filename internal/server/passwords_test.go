package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/admin"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// adminAPI is the admin API over a running server, as serve wires it,
// served on 127.0.0.1.
type adminAPI struct {
	t     *testing.T
	srv   *httptest.Server
	token string
	// answers keeps every answer body, to look for leaked secrets.
	answers []string
}

func newAdminAPI(t *testing.T, e *servertest.Env) *adminAPI {
	t.Helper()
	api := admin.New(admin.Options{Store: e.Store, Live: e.Server, Logger: e.Logger, Passwords: e.Server.Passwords()})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	tok, hash := admin.NewToken()
	if err := e.Store.CreateToken(context.Background(), &store.AdminToken{Name: "provisioning", Hash: hash}); err != nil {
		t.Fatal(err)
	}
	return &adminAPI{t: t, srv: srv, token: tok}
}

// call sends one request and returns the status and the JSON answer.
func (a *adminAPI) call(method, path, body string) (int, map[string]any) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	a.answers = append(a.answers, string(b))
	var v map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			a.t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, b)
		}
	}
	return resp.StatusCode, v
}

// expect sends a request and fails unless it gets code.
func (a *adminAPI) expect(method, path, body string, code int) map[string]any {
	a.t.Helper()
	got, v := a.call(method, path, body)
	if got != code {
		a.t.Fatalf("%s %s: %d %v, want %d", method, path, got, v, code)
	}
	return v
}

// canLogIn reports whether name can log in with pass over FTPS.
func canLogIn(t *testing.T, e *servertest.Env, name, pass string) bool {
	t.Helper()
	return dial(t, e.Explicit(), false).Login(name, pass) == nil
}

// noSecrets fails if a password or hash is in the log, the audit trail
// or an answer; a generated password may be in the one answer that
// delivered it, and no other.
func noSecrets(t *testing.T, e *servertest.Env, a *adminAPI, secrets, generated []string) {
	t.Helper()
	entries, err := e.Store.ListAudit(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	kept := []string{e.Logs.String()}
	for _, en := range entries {
		kept = append(kept, en.Before, en.After)
	}
	for _, s := range append(append(secrets, generated...), "$argon2id$", "password_hash") {
		for _, text := range kept {
			if strings.Contains(text, s) {
				t.Errorf("%q leaks into the log or the audit trail", s)
			}
		}
	}
	for _, s := range append(secrets, "$argon2id$", "password_hash") {
		for _, text := range a.answers {
			if strings.Contains(text, s) {
				t.Errorf("%q leaks into an answer: %s", s, text)
			}
		}
	}
	for _, s := range generated {
		n := 0
		for _, text := range a.answers {
			if strings.Contains(text, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("generated password %q is in %d answers, want 1", s, n)
		}
	}
}

func TestAdminCreateUserThenLogin(t *testing.T) {
	e := servertest.New(t)
	ctx := context.Background()
	min24 := 24
	if err := e.Store.CreateGroup(ctx, &user.Group{Name: "Admins", PasswordRules: user.PasswordRules{MinLength: &min24}}); err != nil {
		t.Fatal(err)
	}
	e.Start(t)
	a := newAdminAPI(t, e)

	// A given password, the default home and rights.
	v := a.expect("POST", "/api/v1/users", `{"name":"carol","password":"Tall-Cedar-Orbit-42","comment":"provisioned"}`, 201)
	if _, ok := v["password"]; ok {
		t.Errorf("a given password is answered: %v", v)
	}
	home := e.Config.DefaultHome("carol")
	if got := v["user"].(map[string]any)["home"]; got != home {
		t.Errorf("home %v, want %s", got, home)
	}
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o750 {
		t.Errorf("home directory: %v, %v; want a 0750 directory", fi, err)
	}
	c := dial(t, e.Explicit(), false)
	if err := c.Login("carol", "Tall-Cedar-Orbit-42"); err != nil {
		t.Fatalf("login with the password given: %v", err)
	}
	if err := c.Stor("hello.txt", bytes.NewReader([]byte("hi"))); err != nil {
		t.Errorf("upload with the default rights: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "hello.txt")); err != nil {
		t.Errorf("upload not in the home: %v", err)
	}

	// A generated password, answered once, in a group with a stricter
	// rule of its own.
	v = a.expect("POST", "/api/v1/users", `{"name":"dave","generate_password":true,"groups":["admins"]}`, 201)
	gen, _ := v["password"].(string)
	if len([]rune(gen)) < 24 {
		t.Fatalf("generated password %q does not follow the group's min_length", gen)
	}
	if groups := v["user"].(map[string]any)["groups"].([]any); len(groups) != 1 || groups[0] != "Admins" {
		t.Errorf("groups %v", groups)
	}
	if !canLogIn(t, e, "dave", gen) {
		t.Error("the generated password does not log in")
	}
	if _, again := a.call("GET", "/api/v1/users/dave", ""); strings.Contains(a.answers[len(a.answers)-1], gen) {
		t.Errorf("the password is shown again: %v", again)
	}

	// Refusals create nothing.
	_, v = a.call("POST", "/api/v1/users", `{"name":"erin","password":"password1"}`)
	msg, _ := v["error"].(string)
	for _, want := range []string{"password refused", "needs an uppercase letter", "too easy to guess"} {
		if !strings.Contains(msg, want) {
			t.Errorf("weak password: %q does not say %q", msg, want)
		}
	}
	_, v = a.call("POST", "/api/v1/users", `{"name":"erin","password":"Tall-Cedar-Orbit-42","groups":["admins"]}`)
	if msg, _ := v["error"].(string); !strings.Contains(msg, "at least 24 characters") {
		t.Errorf("group rule: %q", msg)
	}
	a.expect("POST", "/api/v1/users", `{"name":"erin","password":"Tall-Cedar-Orbit-42","groups":["nobody"]}`, 400)
	a.expect("POST", "/api/v1/users", `{"name":"admin","password":"Tall-Cedar-Orbit-42"}`, 400) // a honeypot name
	if _, err := e.Store.GetUser(ctx, "erin"); err == nil {
		t.Error("erin was created by a refused request")
	}
	if _, err := os.Stat(e.Config.DefaultHome("erin")); !os.IsNotExist(err) {
		t.Errorf("a refused request made a home: %v", err)
	}
	a.expect("POST", "/api/v1/users", `{"name":"CAROL","password":"Tall-Cedar-Orbit-42"}`, 409)

	entries, err := e.Store.ListAudit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, en := range entries {
		if en.Action == "user.create" && en.Actor == "token:provisioning" {
			created = append(created, en.Target)
		}
	}
	if strings.Join(created, ",") != "carol,dave" {
		t.Errorf("user.create entries for %v, want carol,dave", created)
	}
	carol, _ := e.Store.GetUser(ctx, "carol")
	noSecrets(t, e, a, []string{"Tall-Cedar-Orbit-42", carol.PasswordHash}, []string{gen})
}

func TestAdminSetPassword(t *testing.T) {
	e := servertest.New(t)
	old := e.AddUser(t, "alice", "Old-Pass-42x")
	e.Start(t)
	a := newAdminAPI(t, e)
	ctx := context.Background()
	session := rawLogin(t, e, "alice", "Old-Pass-42x")

	v := a.expect("PUT", "/api/v1/users/alice/password", `{"password":"New-Pass-77-Strong","must_change_password":true}`, 200)
	if _, ok := v["password"]; ok || v["user"].(map[string]any)["must_change_password"] != true {
		t.Errorf("answer %v", v)
	}
	// The open session goes on; the new password counts from the next
	// login.
	session.c.Expect("NOOP", 200)
	if canLogIn(t, e, "alice", "Old-Pass-42x") {
		t.Error("the old password still logs in")
	}
	// must_change_password: the next login may only change it. The old
	// password joined the history, so SITE PSWD will not take it back.
	c := rawLogin(t, e, "alice", "New-Pass-77-Strong")
	c.c.Expect("PWD", 530)
	if code, text := c.c.Send(`SITE PSWD New-Pass-77-Strong Old-Pass-42x`); code != 550 || !strings.Contains(text, "used recently") {
		t.Errorf("SITE PSWD back to the replaced password: %d %q", code, text)
	}
	hist, err := e.Store.PasswordHistory(ctx, "alice", 10)
	if err != nil || len(hist) != 1 || hist[0] != old.PasswordHash {
		t.Errorf("history %d entries, %v", len(hist), err)
	}

	// Policy refusals change nothing.
	_, v = a.call("PUT", "/api/v1/users/alice/password", `{"password":"alice"}`)
	if msg, _ := v["error"].(string); !strings.Contains(msg, "must be at least 8 characters") || !strings.Contains(msg, "must not contain the user name") {
		t.Errorf("weak password: %v", v)
	}
	a.expect("PUT", "/api/v1/users/nobody/password", `{"password":"New-Pass-77-Strong"}`, 404)

	// As `bulwark user passwd`, an administrator may restore a password
	// from the history.
	a.expect("PUT", "/api/v1/users/alice/password", `{"password":"Old-Pass-42x","must_change_password":false}`, 200)
	if !canLogIn(t, e, "alice", "Old-Pass-42x") || canLogIn(t, e, "alice", "New-Pass-77-Strong") {
		t.Error("after restoring: the wrong password logs in")
	}

	// A generated one, answered once; must_change_password defaults to
	// password_policy.change_after_reset (false here).
	v = a.expect("PUT", "/api/v1/users/alice/password", `{"generate_password":true}`, 200)
	gen, _ := v["password"].(string)
	if gen == "" || v["user"].(map[string]any)["must_change_password"] != false {
		t.Fatalf("answer %v", v)
	}
	if !canLogIn(t, e, "alice", gen) {
		t.Error("the generated password does not log in")
	}

	entries, err := e.Store.ListAudit(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, en := range entries {
		if en.Action == "user.password" {
			n++
			if en.Actor != "token:provisioning" || en.Target != "alice" || en.Before != "" || en.After != `{"password":"changed"}` {
				t.Errorf("audit entry %+v", en)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d user.password entries, want 3", n)
	}
	now, _ := e.Store.GetUser(ctx, "alice")
	noSecrets(t, e, a, []string{"Old-Pass-42x", "New-Pass-77-Strong", old.PasswordHash, now.PasswordHash}, []string{gen})
}

// The API checks with the policy in force: a reload that raises
// min_length applies to the next request.
func TestAdminPasswordsFollowReload(t *testing.T) {
	e := servertest.New(t)
	e.Start(t)
	a := newAdminAPI(t, e)
	a.expect("POST", "/api/v1/users", `{"name":"carol","password":"Tall-Cedar-Orbit-42"}`, 201)
	next := *e.Config
	next.PasswordPolicy.MinLength = 30
	next.PasswordPolicy.ChangeAtFirstLogin = true
	if err := next.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := e.Server.Reload(&next); err != nil {
		t.Fatal(err)
	}
	_, v := a.call("POST", "/api/v1/users", `{"name":"dave","password":"Tall-Cedar-Orbit-42"}`)
	if msg, _ := v["error"].(string); !strings.Contains(msg, "at least 30 characters") {
		t.Errorf("after the reload: %v", v)
	}
	v = a.expect("POST", "/api/v1/users", `{"name":"dave","generate_password":true}`, 201)
	if gen, _ := v["password"].(string); len(gen) < 30 || v["user"].(map[string]any)["must_change_password"] != true {
		t.Errorf("after the reload: %v", v)
	}
}

// Defaults follow the configuration in force: an absolute home under
// users.home_root, full rights, the change_* settings, honeypot names
// refused.
func TestPasswordsDefaults(t *testing.T) {
	e := servertest.New(t, func(c *config.Config) {
		c.Users.HomeRoot = "ftp-homes"
		c.PasswordPolicy.ChangeAfterReset = true
	})
	e.Start(t)
	p := e.Server.Passwords()
	d := p.Defaults("carol")
	if d.Home != filepath.Join(e.Config.DataDir, "ftp-homes", "carol") || !filepath.IsAbs(d.Home) ||
		len(d.Perms) != 1 || d.Perms[0].String() != "/=all" || d.ChangeAtFirstLogin || !d.ChangeAfterReset || d.NameRefused != "" {
		t.Errorf("defaults %+v", d)
	}
	if d := p.Defaults("Administrator"); !strings.Contains(d.NameRefused, "honeypot_users") {
		t.Errorf("honeypot name: %+v", d)
	}
	if err := p.CreateHome("relative/home"); err == nil {
		t.Error("a relative home was created")
	}
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := p.CreateHome(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("home %v, %v", fi, err)
	}
	// A generated password never holds the user name, and passes the
	// policy Prepare applies.
	u := &user.User{Name: "abc"}
	for range 50 {
		pw, err := p.Generate(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(pw), "abc") {
			t.Fatalf("generated %q holds the user name", pw)
		}
		if _, _, err := p.Prepare(context.Background(), u, pw); err != nil {
			t.Fatalf("generated %q refused: %v", pw, err)
		}
	}
}
