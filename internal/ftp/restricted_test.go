package ftp_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

const restrictedReason = "Password expired: change it with SITE PSWD <old> <new>"

// gateFS fails the test when the engine touches it while closed, which it
// is for as long as the session under test is restricted.
type gateFS struct {
	t    testing.TB
	fs   ftp.FileSystem
	open atomic.Bool
}

func (g *gateFS) ok(op string) bool {
	if !g.open.Load() {
		g.t.Errorf("FileSystem.%s called in a restricted session", op)
		return false
	}
	return true
}

func (g *gateFS) Stat(name string) (fs.FileInfo, error) {
	if !g.ok("Stat") {
		return nil, fs.ErrPermission
	}
	return g.fs.Stat(name)
}

func (g *gateFS) OpenDir(name string) (fs.ReadDirFile, error) {
	if !g.ok("OpenDir") {
		return nil, fs.ErrPermission
	}
	return g.fs.OpenDir(name)
}

func (g *gateFS) Open(name string, offset int64) (io.ReadCloser, error) {
	if !g.ok("Open") {
		return nil, fs.ErrPermission
	}
	return g.fs.Open(name, offset)
}

func (g *gateFS) Create(name string, opts ftp.CreateOptions) (ftp.Upload, error) {
	if !g.ok("Create") {
		return nil, fs.ErrPermission
	}
	return g.fs.Create(name, opts)
}

func (g *gateFS) Mkdir(name string) error {
	if !g.ok("Mkdir") {
		return fs.ErrPermission
	}
	return g.fs.Mkdir(name)
}

func (g *gateFS) Remove(name string) error {
	if !g.ok("Remove") {
		return fs.ErrPermission
	}
	return g.fs.Remove(name)
}

func (g *gateFS) Rmdir(name string) error {
	if !g.ok("Rmdir") {
		return fs.ErrPermission
	}
	return g.fs.Rmdir(name)
}

func (g *gateFS) Rename(from, to string) error {
	if !g.ok("Rename") {
		return fs.ErrPermission
	}
	return g.fs.Rename(from, to)
}

func (g *gateFS) Chtimes(name string, mtime time.Time) error {
	if !g.ok("Chtimes") {
		return fs.ErrPermission
	}
	return g.fs.Chtimes(name, mtime)
}

func (g *gateFS) Chmod(name string, mode fs.FileMode) error {
	if !g.ok("Chmod") {
		return fs.ErrPermission
	}
	return g.fs.Chmod(name, mode)
}

// policyError is a PublicError, as a password policy would return.
type policyError struct {
	code int
	text string
	// login makes it also a wrong old password.
	login bool
}

func (e policyError) Error() string { return "policy: " + e.text }
func (e policyError) FTPCode() int  { return e.code }
func (e policyError) Reply() string { return e.text }
func (e policyError) Unwrap() error {
	if e.login {
		return ftp.ErrLoginFailed
	}
	return nil
}

// pswdCall is one call of the ChangePassword callback.
type pswdCall struct{ user, old, new string }

// pswdRecorder is the password store behind SITE PSWD in these tests. Its
// answer is the error of reject when that returns one.
type pswdRecorder struct {
	mu      sync.Mutex
	current string
	calls   []pswdCall
	reject  func(old, new string) error
}

func (r *pswdRecorder) change(_ context.Context, user, old, new string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, pswdCall{user, old, new})
	if r.reject != nil {
		if err := r.reject(old, new); err != nil {
			return "", err
		}
	}
	if old != r.current {
		return "", &ftp.LoginFailure{Reason: "bad_password"}
	}
	r.current = new
	return "Password changed; it expires in 90 days", nil
}

func (r *pswdRecorder) callList() []pswdCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pswdCall(nil), r.calls...)
}

// restrictedEnv is an env whose logins are restricted and whose FS is
// closed until the test opens it.
type restrictedEnv struct {
	*env
	gate *gateFS
	rec  *pswdRecorder
}

// newRestrictedEnv starts the server with rec behind SITE PSWD (a
// recorder of testPass when nil); mods run after the Authenticator is set.
func newRestrictedEnv(t *testing.T, rec *pswdRecorder, mods ...func(*ftp.Server, *env)) *restrictedEnv {
	t.Helper()
	if rec == nil {
		rec = &pswdRecorder{current: testPass}
	}
	r := &restrictedEnv{rec: rec}
	setAuth := func(s *ftp.Server, e *env) {
		r.gate = &gateFS{t: t, fs: e.fs}
		s.Auth = &ftptest.Auth{
			Users:            ftptest.Users{testUser: testPass},
			FS:               r.gate,
			Restricted:       true,
			RestrictedReason: restrictedReason,
			ChangePassword:   r.rec.change,
		}
	}
	r.env = newEnv(t, append([]func(*ftp.Server, *env){setAuth}, mods...)...)
	return r
}

// restrictedClient logs in over TLS and checks the 230 names the reason.
func (r *restrictedEnv) restrictedClient(t *testing.T) *ftptest.Client {
	t.Helper()
	c := ftptest.Dial(t, r.addr)
	c.UpgradeTLS(r.cert.ClientConfig())
	c.Expect("USER "+testUser, 331)
	if text := c.Expect("PASS "+testPass, 230); !strings.Contains(text, restrictedReason) {
		t.Fatalf("230 reply %q does not give the reason", text)
	}
	return c
}

func TestRestrictedSessionRefusesEverythingElse(t *testing.T) {
	r := newRestrictedEnv(t, nil)
	r.writeFile(t, "f.txt", []byte("data"))
	c := r.restrictedClient(t)
	for _, cmd := range []string{
		"CWD /", "CDUP", "PWD", "XPWD", "LIST", "NLST", "MLSD", "MLST f.txt", "RETR f.txt", "STOR g.txt",
		"APPE f.txt", "STOU", "DELE f.txt", "MKD d", "RMD d", "RNFR f.txt", "SIZE f.txt", "MDTM f.txt",
		"MFMT 20200101000000 f.txt", "HASH f.txt", "STAT", "STAT /", "SITE CHMOD 644 f.txt", "SITE",
		"SITE BOGUS", "EPSV", "PASV", "PORT 127,0,0,1,4,1", "TYPE I", "REST 0", "ABOR", "SYST",
		"USER " + testUser, "AUTH TLS", "HOST example.com", "CCC", "ALLO 10", "CWD",
	} {
		if code, text := c.Send(cmd); code != 530 || text != restrictedReason {
			t.Errorf("%s in a restricted session: %d %q, want 530 %q", cmd, code, text, restrictedReason)
		}
	}
	if feat := c.Expect("FEAT", 211); !strings.Contains(feat, "\n SITE PSWD\n") {
		t.Errorf("FEAT lacks SITE PSWD:\n%s", feat)
	}
	c.Expect("NOOP", 200)
	if help := c.Expect("HELP", 214); !strings.Contains(help, "SITE") {
		t.Errorf("HELP lacks SITE:\n%s", help)
	}
	for _, cmd := range []string{"HELP SITE", "SITE HELP"} {
		if help := c.Expect(cmd, 214); !strings.Contains(help, "PSWD old-password new-password") {
			t.Errorf("%s lacks PSWD:\n%s", cmd, help)
		}
	}
	c.Expect("PBSZ 0", 200)
	c.Expect("PROT P", 200)
	c.Expect("OPTS UTF8 ON", 200)
	c.Expect("QUIT", 221)
	c.ExpectClosed()
	if n := len(r.rec.callList()); n != 0 {
		t.Errorf("ChangePassword called %d times", n)
	}
}

func TestSitePSWDLiftsRestriction(t *testing.T) {
	r := newRestrictedEnv(t, nil)
	r.writeFile(t, "f.txt", []byte("data"))
	c := r.restrictedClient(t)
	c.Expect("PBSZ 0", 200)
	c.Expect("PROT P", 200)
	c.Expect("PWD", 530)
	if text := c.Expect("SITE PSWD "+testPass+" brand-new-secret", 200); text != "Password changed; it expires in 90 days" {
		t.Errorf("SITE PSWD reply %q", text)
	}
	r.gate.open.Store(true)
	c.Expect("PWD", 257)
	dc := c.OpenPassiveData()
	c.Expect("NLST", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, tc)); got != "f.txt\r\n" {
		t.Errorf("NLST after the change = %q", got)
	}
	c.ExpectReply(226)
	want := []pswdCall{{testUser, testPass, "brand-new-secret"}}
	if got := r.rec.callList(); len(got) != 1 || got[0] != want[0] {
		t.Errorf("calls = %q, want %q", got, want)
	}
	r.logs.waitFor(t, `msg="password changed"`)
}

func TestSitePSWDArguments(t *testing.T) {
	// Every call is refused, so the session stays restricted and one
	// dialogue can try every form; a refusal for policy reasons does not
	// count as a failed login.
	r := newRestrictedEnv(t, &pswdRecorder{current: testPass, reject: func(string, string) error {
		return policyError{code: 550, text: "Recorded"}
	}})
	c := r.restrictedClient(t)
	for _, tc := range []struct {
		cmd      string
		old, new string
	}{
		{"SITE PSWD old new", "old", "new"},
		{`SITE PSWD "old pass" "new pass"`, "old pass", "new pass"},
		{`site pswd "say \"hi\"" "back\\slash \"q\""`, `say "hi"`, `back\slash "q"`},
		{`SITE  PSWD   x   "y z"  `, "x", "y z"},
		{`SITE PSWD "" "pässwörd"`, "", "pässwörd"},
		{`SITE PSWD c:\dir "a\b"`, `c:\dir`, `a\b`},
	} {
		before := len(r.rec.callList())
		if code, text := c.Send(tc.cmd); code != 550 || text != "Recorded" {
			t.Errorf("%s: %d %q", tc.cmd, code, text)
			continue
		}
		calls := r.rec.callList()
		if len(calls) != before+1 || calls[before] != (pswdCall{testUser, tc.old, tc.new}) {
			t.Errorf("%s: calls %q, want old %q new %q", tc.cmd, calls[before:], tc.old, tc.new)
		}
	}
	before := len(r.rec.callList())
	for _, cmd := range []string{
		"SITE PSWD", "SITE PSWD one", "SITE PSWD a b c", `SITE PSWD "old pass" new pass`,
		`SITE PSWD "unterminated b`, `SITE PSWD "a"b c`,
	} {
		if code, text := c.Send(cmd); code != 501 || !strings.Contains(text, "Usage: SITE PSWD") {
			t.Errorf("%s: %d %q, want 501 with usage", cmd, code, text)
		}
	}
	if got := len(r.rec.callList()); got != before {
		t.Errorf("ChangePassword called %d times for malformed commands", got-before)
	}
	c.Expect("CWD /", 530)
	c.Expect("NOOP", 200)
}

func TestSitePSWDNeedsTLS(t *testing.T) {
	r := newRestrictedEnv(t, nil, func(s *ftp.Server, _ *env) { s.AllowCleartext = true })
	c := ftptest.Dial(t, r.addr)
	c.Login(testUser, testPass)
	if text := c.Expect("SITE PSWD "+testPass+" brand-new-secret", 534); !strings.Contains(text, "AUTH TLS") {
		t.Errorf("534 text %q", text)
	}
	c.Expect("LIST", 530)
	if n := len(r.rec.callList()); n != 0 {
		t.Errorf("ChangePassword called %d times over clear text", n)
	}
	r.logs.waitFor(t, `msg="password change refused"`)
}

func TestSitePSWDNotOffered(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	c.Expect("SITE PSWD "+testPass+" brand-new-secret", 502)
	if feat := c.Expect("FEAT", 211); strings.Contains(feat, "SITE PSWD") {
		t.Errorf("FEAT offers SITE PSWD to an account without it:\n%s", feat)
	}
	c.Expect("PWD", 257)
}

func TestSitePSWDRefusals(t *testing.T) {
	r := newRestrictedEnv(t, &pswdRecorder{current: testPass, reject: func(_, new string) error {
		switch new {
		case "short":
			return policyError{code: 550, text: "Password too short: at least 12 characters"}
		case "reused":
			return policyError{text: "Password used before"}
		case "crash":
			return errors.New("store failed at /var/lib/bulwark/users.db")
		}
		return nil
	}})
	c := r.restrictedClient(t)
	for _, tc := range []struct {
		new  string
		code int
		text string
	}{
		{"short", 550, "Password too short: at least 12 characters"},
		{"reused", 550, "Password used before"},
		{"crash", 550, "Password not changed"},
	} {
		if code, text := c.Send("SITE PSWD " + testPass + " " + tc.new); code != tc.code || text != tc.text {
			t.Errorf("new %q: %d %q, want %d %q", tc.new, code, text, tc.code, tc.text)
		}
	}
	c.Expect("PWD", 530)
	r.logs.waitFor(t, "users.db")
	logs := r.logs.String()
	for _, w := range []string{`reason="Password too short: at least 12 characters"`, `msg="password change failed"`} {
		if !strings.Contains(logs, w) {
			t.Errorf("log lacks %q", w)
		}
	}
}

func TestSitePSWDWrongOldPasswordCountsAsFailedLogin(t *testing.T) {
	r := newRestrictedEnv(t, &pswdRecorder{current: testPass, reject: func(old, _ string) error {
		if old == "locked" {
			return policyError{code: 530, text: "Account locked", login: true}
		}
		return nil
	}})
	c := ftptest.Dial(t, r.addr)
	c.UpgradeTLS(r.cert.ClientConfig())
	c.Expect("USER "+testUser, 331)
	c.Expect("PASS wrong", 530)
	c.Login(testUser, testPass)
	if text := c.Expect("SITE PSWD wrong brand-new-secret", 530); text != "Old password incorrect" {
		t.Errorf("wrong old password: %q", text)
	}
	if text := c.Expect("SITE PSWD locked brand-new-secret", 530); text != "Account locked" {
		t.Errorf("public refusal: %q", text)
	}
	c.ExpectReply(421)
	c.ExpectClosed()
	r.logs.waitFor(t, "too many failed logins")
}

func TestSitePSWDPasswordsNotLogged(t *testing.T) {
	rec := &pswdRecorder{current: "Xold Secret-1", reject: func(_, new string) error {
		if new == "Xweak" {
			return policyError{code: 550, text: "Too weak"}
		}
		return nil
	}}
	r := newRestrictedEnv(t, rec, func(s *ftp.Server, _ *env) {
		s.Auth.(*ftptest.Auth).Users[testUser] = "Xlogin-secret"
	})
	c := ftptest.Dial(t, r.addr)
	c.UpgradeTLS(r.cert.ClientConfig())
	c.Expect("USER "+testUser, 331)
	c.Expect("PASS Xlogin-secret", 230)
	c.Expect(`SITE PSWD "Xold Secret-1" Xweak`, 550)
	c.Expect("SITE PSWD Xmalformed", 501)
	c.Expect("SITE PSWD\tXtabbed\tXform", 530)
	c.Expect(`SITE PSWD Xwrong-old "Xnew \"Secret\" 2"`, 530)
	c.Expect(`SITE PSWD "Xold Secret-1" "Xnew \"Secret\" 2"`, 200)
	c.Expect("QUIT", 221)
	r.logs.waitFor(t, "connection closed")
	logs := r.logs.String()
	for _, secret := range []string{"Xlogin-secret", "Xold", "Secret-1", "Xweak", "Xmalformed", "Xtabbed",
		"Xform", "Xwrong-old", "Xnew", `Secret\"`} {
		if strings.Contains(logs, secret) {
			t.Errorf("%q reached the log:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `arg="PSWD ****"`) {
		t.Errorf("the command log line does not show the redacted SITE PSWD:\n%s", logs)
	}
}
