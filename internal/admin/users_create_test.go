package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// fakeHashMarker starts every hash fakePasswords makes: it must never
// appear in an answer, the audit trail or the log.
const fakeHashMarker = "$fakehash$"

// fakePasswords stands for the server's password checks: a password needs
// 12 characters, and must not contain the user name; members of the group
// "strict" need 20. It creates no directories.
type fakePasswords struct {
	mu           sync.Mutex
	homes        []string // CreateHome's arguments
	homeErr      error
	generated    int
	changeAtNew  bool
	changeAfter  bool
	prepareCalls int
}

func fakeHash(pw string) string {
	sum := sha256.Sum256([]byte(pw))
	return fakeHashMarker + hex.EncodeToString(sum[:])
}

func (p *fakePasswords) Defaults(name string) Defaults {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := Defaults{Home: "/srv/bulwark/homes/" + name, Perms: user.Rules{{Path: "/", Rights: user.RightsAll}},
		ChangeAtFirstLogin: p.changeAtNew, ChangeAfterReset: p.changeAfter}
	if strings.EqualFold(name, "root") {
		d.NameRefused = "the name is in defender.honeypot_users"
	}
	return d
}

func (p *fakePasswords) Prepare(_ context.Context, u *user.User, pw string) (string, int, error) {
	p.mu.Lock()
	p.prepareCalls++
	p.mu.Unlock()
	minLen := 12
	if slices.Contains(u.Groups, "strict") {
		minLen = 20
	}
	var fail []string
	if len(pw) < minLen {
		fail = append(fail, fmt.Sprintf("must be at least %d characters", minLen))
	}
	if strings.Contains(strings.ToLower(pw), strings.ToLower(u.Name)) {
		fail = append(fail, "must not contain the user name")
	}
	if len(fail) > 0 {
		return "", 0, &password.PolicyError{Failures: fail}
	}
	return fakeHash(pw), 3, nil
}

func (p *fakePasswords) Generate(context.Context, *user.User) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.generated++
	return fmt.Sprintf("Gen-%03d-Kq7Wz9Pv2Lm4", p.generated), nil
}

func (p *fakePasswords) CreateHome(dir string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.homeErr != nil {
		return p.homeErr
	}
	p.homes = append(p.homes, dir)
	return nil
}

func (p *fakePasswords) madeHomes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.homes)
}

// newPasswordsFixture is a fixture whose fakePasswords the test can see.
func newPasswordsFixture(t *testing.T, edit ...func(*fakePasswords)) (*fixture, *fakePasswords) {
	t.Helper()
	fp := &fakePasswords{}
	for _, e := range edit {
		e(fp)
	}
	return newFixture(t, func(o *Options) { o.Passwords = fp }), fp
}

// answer is both routes' answer.
type answer struct {
	User struct {
		Name               string   `json:"name"`
		Home               string   `json:"home"`
		Groups             []string `json:"groups"`
		Perms              []string `json:"perms"`
		Comment            string   `json:"comment"`
		RequireTLS         bool     `json:"require_tls"`
		MustChangePassword bool     `json:"must_change_password"`
	} `json:"user"`
	Password *string `json:"password"`
}

func TestCreateUserWithPassword(t *testing.T) {
	f, fp := newPasswordsFixture(t)
	r := f.do("POST", "/api/v1/users", `{"name":"carol","password":"Long-Enough-Pass-42","groups":["STAFF"],`+
		`"perms":["/=read","/incoming=upload,mkdir"],"comment":"from provisioning","require_tls":true}`)
	f.expect(r, http.StatusCreated, "create")
	if loc := r.header.Get("Location"); loc != "/api/v1/users/carol" {
		t.Errorf("Location %q", loc)
	}
	var a answer
	f.decode(r, &a)
	if a.Password != nil {
		t.Errorf("a given password is sent back: %s", r)
	}
	if a.User.Name != "carol" || a.User.Home != "/srv/bulwark/homes/carol" || !slices.Equal(a.User.Groups, []string{"staff"}) ||
		!slices.Equal(a.User.Perms, []string{"/=read", "/incoming=upload,mkdir"}) || a.User.Comment != "from provisioning" ||
		!a.User.RequireTLS || a.User.MustChangePassword {
		t.Errorf("answer %s", r)
	}
	u, err := f.st.GetUser(context.Background(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash != fakeHash("Long-Enough-Pass-42") || !u.PasswordChangedAt.Equal(start) {
		t.Errorf("stored hash %q changed %v", u.PasswordHash, u.PasswordChangedAt)
	}
	if got := fp.madeHomes(); !slices.Equal(got, []string{"/srv/bulwark/homes/carol"}) {
		t.Errorf("homes made %v", got)
	}
	entries := f.auditEntries()
	last := entries[len(entries)-1]
	if last.Actor != "token:ops" || last.Action != "user.create" || last.Target != "carol" || last.Before != "" ||
		!strings.Contains(last.After, `"require_tls":true`) {
		t.Errorf("audit entry %+v", last)
	}
	if f.live.refreshes.Load() != 1 {
		t.Errorf("%d refreshes, want 1", f.live.refreshes.Load())
	}
	assertNoSecret(t, f, []string{"Long-Enough-Pass-42"}, r.String())
}

func TestCreateUserDefaultsAndGenerated(t *testing.T) {
	f, fp := newPasswordsFixture(t, func(p *fakePasswords) { p.changeAtNew = true })
	r := f.do("POST", "/api/v1/users", `{"name":"dave","generate_password":true,"home":"/data/ftp/dave/"}`)
	f.expect(r, http.StatusCreated, "create")
	var a answer
	f.decode(r, &a)
	if a.Password == nil || *a.Password != "Gen-001-Kq7Wz9Pv2Lm4" {
		t.Fatalf("generated password not in the answer: %s", r)
	}
	if a.User.Home != "/data/ftp/dave" || !slices.Equal(a.User.Perms, []string{"/=all"}) || !a.User.MustChangePassword ||
		len(a.User.Groups) != 0 {
		t.Errorf("defaults not applied: %s", r)
	}
	u, _ := f.st.GetUser(context.Background(), "dave")
	if u == nil || u.PasswordHash != fakeHash(*a.Password) {
		t.Fatalf("stored user %+v", u)
	}
	if got := fp.madeHomes(); !slices.Equal(got, []string{"/data/ftp/dave"}) {
		t.Errorf("homes made %v", got)
	}
	// Shown once: reading the user again gives no password.
	if again := f.do("GET", "/api/v1/users/dave", ""); strings.Contains(again.String(), *a.Password) {
		t.Errorf("the password is shown again: %s", again)
	}
	assertNoSecret(t, f, []string{*a.Password}, "")

	// must_change_password given beats the setting; [] gives no rules of
	// the user's own.
	r = f.do("POST", "/api/v1/users", `{"name":"erin","password":"Long-Enough-Pass-42","must_change_password":false,"perms":[]}`)
	f.expect(r, http.StatusCreated, "create erin")
	f.decode(r, &a)
	if a.User.MustChangePassword || len(a.User.Perms) != 0 {
		t.Errorf("erin: %s", r)
	}
}

// Every refusal answers with its status and plain reason, and leaves no
// trace: no user, no home, no audit entry, no refresh.
func TestCreateUserRefused(t *testing.T) {
	cases := []struct {
		name, body string
		code       int
		want       string
	}{
		{"weak password", `{"name":"carol","password":"carol-short"}`, 400,
			"password refused: must be at least 12 characters; must not contain the user name"},
		{"group policy", `{"name":"carol","password":"Long-Enough-Pass-42","groups":["strict"]}`, 400, "at least 20 characters"},
		{"exists", `{"name":"alice","password":"Long-Enough-Pass-42"}`, 409, `user "alice" already exists`},
		{"exists, other case", `{"name":"ALICE","password":"Long-Enough-Pass-42"}`, 409, "already exists"},
		{"unknown group", `{"name":"carol","password":"Long-Enough-Pass-42","groups":["nobody"]}`, 400, `group "nobody" not found`},
		{"bad group name", `{"name":"carol","password":"Long-Enough-Pass-42","groups":["a b"]}`, 400, "invalid group name"},
		{"honeypot name", `{"name":"root","password":"Long-Enough-Pass-42"}`, 400, "honeypot_users"},
		{"bad name", `{"name":"-x","password":"Long-Enough-Pass-42"}`, 400, "invalid user name"},
		{"no name", `{"password":"Long-Enough-Pass-42"}`, 400, "invalid user name: empty"},
		{"no password", `{"name":"carol"}`, 400, `give a "password", or "generate_password": true`},
		{"both", `{"name":"carol","password":"Long-Enough-Pass-42","generate_password":true}`, 400, "not both"},
		{"empty password", `{"name":"carol","password":""}`, 400, `"password": empty`},
		{"line break", `{"name":"carol","password":"Long-Enough\nPass-42"}`, 400, "line breaks"},
		{"huge password", `{"name":"carol","password":"` + strings.Repeat("x", password.MaxLengthLimit+1) + `"}`, 400, "longer than"},
		{"relative home", `{"name":"carol","password":"Long-Enough-Pass-42","home":"homes/carol"}`, 400, "absolute path"},
		{"empty home", `{"name":"carol","password":"Long-Enough-Pass-42","home":""}`, 400, `"home": empty`},
		{"bad rule", `{"name":"carol","password":"Long-Enough-Pass-42","perms":["/=fly"]}`, 400, `field "perms"`},
		{"rule without path", `{"name":"carol","password":"Long-Enough-Pass-42","perms":["all"]}`, 400, "/PATH=RIGHTS"},
		{"two rules, one path", `{"name":"carol","password":"Long-Enough-Pass-42","perms":["/x=all","/x/=read"]}`, 400, "two rules for /x"},
		{"comment", `{"name":"carol","password":"Long-Enough-Pass-42","comment":"a\nb"}`, 400, "one line"},
		{"unknown field", `{"name":"carol","password":"Long-Enough-Pass-42","disabled":true}`, 400, "unknown field"},
		{"wrong type", `{"name":"carol","password":"Long-Enough-Pass-42","groups":"staff"}`, 400, "wrong type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, fp := newPasswordsFixture(t)
			if err := f.st.CreateGroup(context.Background(), &user.Group{Name: "strict"}); err != nil {
				t.Fatal(err)
			}
			before := len(f.auditEntries())
			r := f.do("POST", "/api/v1/users", c.body)
			f.expect(r, c.code, c.name)
			if !strings.Contains(r.errText(), c.want) {
				t.Errorf("error %q, want it to say %q", r.errText(), c.want)
			}
			if _, err := f.st.GetUser(context.Background(), "carol"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("carol exists after a refusal: %v", err)
			}
			if n := len(f.auditEntries()); n != before {
				t.Errorf("%d audit entries after a refusal, want %d", n, before)
			}
			if len(fp.madeHomes()) != 0 || f.live.refreshes.Load() != 0 {
				t.Errorf("homes %v, refreshes %d after a refusal", fp.madeHomes(), f.live.refreshes.Load())
			}
			if strings.Contains(f.logs.String(), "Long-Enough-Pass-42") || strings.Contains(f.logs.String(), "carol-short") {
				t.Error("a password reached the log")
			}
		})
	}
}

// A home that cannot be made: the client's own choice is a 400 naming the
// field, the default home a 500; the host's error is only in the log.
func TestCreateUserHomeFails(t *testing.T) {
	f, _ := newPasswordsFixture(t, func(p *fakePasswords) {
		p.homeErr = &fs.PathError{Op: "mkdir", Path: "/secret/host/path", Err: fs.ErrPermission}
	})
	r := f.do("POST", "/api/v1/users", `{"name":"carol","password":"Long-Enough-Pass-42","home":"/data/carol"}`)
	f.expect(r, http.StatusBadRequest, "given home")
	if !strings.Contains(r.errText(), `"home"`) || !strings.Contains(r.errText(), "permission denied") ||
		strings.Contains(r.String(), "/secret") {
		t.Errorf("error %s", r)
	}
	r = f.do("POST", "/api/v1/users", `{"name":"carol","password":"Long-Enough-Pass-42"}`)
	f.expect(r, http.StatusInternalServerError, "default home")
	if strings.Contains(r.String(), "/secret") || !strings.Contains(f.logs.String(), "/secret/host/path") {
		t.Errorf("answer %s; the log should hold the host's error", r)
	}
	if _, err := f.st.GetUser(context.Background(), "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("carol exists without a home: %v", err)
	}
}

func TestPasswordRoutesOff(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Passwords = nil })
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/users", `{"name":"carol","password":"Long-Enough-Pass-42"}`},
		{"PUT", "/api/v1/users/alice/password", `{"password":"Long-Enough-Pass-42"}`},
	} {
		r := f.do(c.method, c.path, c.body)
		f.expect(r, http.StatusNotImplemented, c.method+" "+c.path)
		if !strings.Contains(r.errText(), "not available") {
			t.Errorf("error %q", r.errText())
		}
	}
	// Still behind the token.
	f.expect(f.doToken("", "POST", "/api/v1/users", `{}`), http.StatusUnauthorized, "no token")
}

func TestSetPassword(t *testing.T) {
	f, _ := newPasswordsFixture(t, func(p *fakePasswords) { p.changeAfter = true })
	ctx := context.Background()
	f.clock.Add(3600e9)
	r := f.do("PUT", "/api/v1/users/ALICE/password", `{"password":"New-Secret-Pass-99x"}`)
	f.expect(r, http.StatusOK, "set")
	var a answer
	f.decode(r, &a)
	if a.Password != nil || a.User.Name != "alice" || !a.User.MustChangePassword {
		t.Errorf("answer %s", r)
	}
	u, err := f.st.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash != fakeHash("New-Secret-Pass-99x") || !u.PasswordChangedAt.Equal(start.Add(3600e9)) || !u.MustChangePassword {
		t.Errorf("stored: hash %q changed %v must change %v", u.PasswordHash, u.PasswordChangedAt, u.MustChangePassword)
	}
	// The replaced hash joins the history, as deep as the policy says.
	hist, err := f.st.PasswordHistory(ctx, "alice", 10)
	if err != nil || !slices.Equal(hist, []string{secretHash}) {
		t.Errorf("history %v, %v", hist, err)
	}
	entries := f.auditEntries()
	last := entries[len(entries)-1]
	if last.Actor != "token:ops" || last.Action != "user.password" || last.Target != "alice" ||
		last.Before != "" || last.After != `{"password":"changed"}` {
		t.Errorf("audit entry %+v", last)
	}
	if f.live.refreshes.Load() != 1 {
		t.Errorf("%d refreshes, want 1", f.live.refreshes.Load())
	}

	// Generated, and must_change_password given.
	r = f.do("PUT", "/api/v1/users/alice/password", `{"generate_password":true,"must_change_password":false}`)
	f.expect(r, http.StatusOK, "generate")
	f.decode(r, &a)
	if a.Password == nil || a.User.MustChangePassword {
		t.Fatalf("answer %s", r)
	}
	if u, _ := f.st.GetUser(ctx, "alice"); u.PasswordHash != fakeHash(*a.Password) || u.MustChangePassword {
		t.Errorf("stored %+v", u)
	}
	assertNoSecret(t, f, []string{"New-Secret-Pass-99x", *a.Password}, "")
}

func TestSetPasswordRefused(t *testing.T) {
	cases := []struct {
		name, path, body string
		code             int
		want             string
	}{
		{"weak", "/api/v1/users/alice/password", `{"password":"Alice-1"}`, 400,
			"password refused: must be at least 12 characters; must not contain the user name"},
		{"unknown user", "/api/v1/users/zed/password", `{"password":"Long-Enough-Pass-42"}`, 404, `user "zed" not found`},
		{"bad name", "/api/v1/users/a%20b/password", `{"password":"Long-Enough-Pass-42"}`, 400, "invalid user name"},
		{"neither", "/api/v1/users/alice/password", `{"must_change_password":true}`, 400, `give a "password"`},
		{"both", "/api/v1/users/alice/password", `{"password":"Long-Enough-Pass-42","generate_password":true}`, 400, "not both"},
		{"unknown field", "/api/v1/users/alice/password", `{"pasword":"Long-Enough-Pass-42"}`, 400, "unknown field"},
		{"empty body", "/api/v1/users/alice/password", ``, 400, "request body is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, _ := newPasswordsFixture(t)
			before := len(f.auditEntries())
			r := f.do("PUT", c.path, c.body)
			f.expect(r, c.code, c.name)
			if !strings.Contains(r.errText(), c.want) {
				t.Errorf("error %q, want it to say %q", r.errText(), c.want)
			}
			u, err := f.st.GetUser(context.Background(), "alice")
			if err != nil || u.PasswordHash != secretHash {
				t.Errorf("alice changed after a refusal: %v", err)
			}
			if n := len(f.auditEntries()); n != before || f.live.refreshes.Load() != 0 {
				t.Errorf("%d audit entries (want %d), %d refreshes after a refusal", n, before, f.live.refreshes.Load())
			}
		})
	}
}

// assertNoSecret fails if a password or a hash is in the answers given,
// any answer of the audit route, the audit trail or the log.
func assertNoSecret(t *testing.T, f *fixture, secrets []string, answers ...string) {
	t.Helper()
	texts := append([]string{f.logs.String(), f.do("GET", "/api/v1/audit?limit=10000", "").String(),
		f.do("GET", "/api/v1/users", "").String()}, answers...)
	for _, e := range f.auditEntries() {
		texts = append(texts, e.Before, e.After)
	}
	for _, text := range texts {
		for _, s := range append(secrets, fakeHashMarker, "SECRETHASHMARKER", "password_hash") {
			if strings.Contains(text, s) {
				t.Errorf("%q leaks: %s", s, text)
			}
		}
	}
}

// The bodies of both routes never make the API fail inside or answer
// anything but JSON.
func FuzzPasswordBodies(f *testing.F) {
	fx := newFixture(f)
	for _, seed := range []string{
		`{"name":"carol","password":"Long-Enough-Pass-42","groups":["staff"],"perms":["/=all"],"comment":"x"}`,
		`{"name":"dave","generate_password":true,"home":"/data/dave","must_change_password":true,"require_tls":true}`,
		`{"password":"Long-Enough-Pass-42","must_change_password":false}`,
		`{"generate_password":true}`,
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, body string, reset bool) {
		method, path := "POST", "/api/v1/users"
		if reset {
			method, path = "PUT", "/api/v1/users/bob/password"
		}
		req, err := http.NewRequest(method, "http://admin"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+fx.token)
		rec := httptest.NewRecorder()
		fx.api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: %d %s", method, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: not JSON: %s", method, body, rec.Body)
		}
	})
}
