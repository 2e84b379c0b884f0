package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// policyOf builds the policy of a user named "u" with the given rules
// ("/=upload", "/private=none") and optional shares and grants.
func policyOf(t testing.TB, rules []string, shares []*user.Share, grants []user.Grant) *user.Policy {
	t.Helper()
	u := &user.User{Name: "u"}
	for _, s := range rules {
		r, err := user.ParsePathRule(s)
		if err != nil {
			t.Fatal(err)
		}
		u.Perms = u.Perms.Set(r)
	}
	return user.NewPolicy(u, nil, shares, grants)
}

// policyFS returns an FS whose policy can be swapped, its home and the
// holder of the policy.
func policyFS(t testing.TB, pol *user.Policy, opts Options) (*FS, string, *atomic.Pointer[user.Policy]) {
	t.Helper()
	var p atomic.Pointer[user.Policy]
	p.Store(pol)
	opts.Policy = p.Load
	opts.CreateHome = true
	home := filepath.Join(t.TempDir(), "home")
	fsys, err := New(home, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys, home, &p
}

// seedHome plants the entries the permission table works on.
func seedHome(t testing.TB, home string) {
	t.Helper()
	writeHost(t, filepath.Join(home, "f.txt"), "hello")
	writeHost(t, filepath.Join(home, "d", "g.txt"), "g")
	mkdirHost(t, filepath.Join(home, "empty"))
	writeHost(t, filepath.Join(home, "private", "secret.txt"), "secret")
	writeHost(t, filepath.Join(home, "private", "inner", "x"), "x")
}

func createCommit(fsys *FS, name string, opts ftp.CreateOptions, data string) error {
	u, err := fsys.Create(name, opts)
	if err != nil {
		return err
	}
	if _, err := u.Write([]byte(data)); err != nil {
		u.Abort()
		return err
	}
	return u.Commit()
}

// sortedNames lists a directory two entries at a time, sorted.
func sortedNames(t *testing.T, fsys *FS, name string) []string {
	t.Helper()
	names := listNames(t, fsys, name, 2)
	slices.Sort(names)
	return names
}

// permOps are the operations of the permission table, each on the seeded
// home.
var permOps = []struct {
	name string
	do   func(*FS) error
}{
	{"stat dir", func(f *FS) error { _, err := f.Stat("/d"); return err }},
	{"stat file", func(f *FS) error { _, err := f.Stat("/f.txt"); return err }},
	{"stat missing file", func(f *FS) error { _, err := f.Stat("/nope.txt"); return err }},
	{"list", func(f *FS) error {
		d, err := f.OpenDir("/")
		if err == nil {
			d.Close()
		}
		return err
	}},
	{"download", func(f *FS) error {
		r, err := f.Open("/f.txt", 0)
		if err == nil {
			r.Close()
		}
		return err
	}},
	{"upload new", func(f *FS) error { return createCommit(f, "/new.txt", ftp.CreateOptions{}, "n") }},
	{"overwrite", func(f *FS) error { return createCommit(f, "/f.txt", ftp.CreateOptions{}, "n") }},
	{"append", func(f *FS) error { return createCommit(f, "/f.txt", ftp.CreateOptions{Append: true}, "n") }},
	{"resume at end", func(f *FS) error { return createCommit(f, "/f.txt", ftp.CreateOptions{Offset: 5}, "n") }},
	{"restart before end", func(f *FS) error { return createCommit(f, "/f.txt", ftp.CreateOptions{Offset: 2}, "n") }},
	{"mkdir", func(f *FS) error { return f.Mkdir("/nd") }},
	{"delete", func(f *FS) error { return f.Remove("/f.txt") }},
	{"rmdir", func(f *FS) error { return f.Rmdir("/empty") }},
	{"rename", func(f *FS) error { return f.Rename("/f.txt", "/r.txt") }},
	{"chmod", func(f *FS) error { return f.Chmod("/f.txt", 0o600) }},
	{"mtime", func(f *FS) error { return f.Chtimes("/f.txt", time.Unix(1e9, 0)) }},
}

func TestPermissionsPerRight(t *testing.T) {
	const ok, notFound = "ok", "not found"
	tests := []struct {
		rules []string
		text  string // refusal text
		want  map[string]string
	}{
		{
			rules: []string{"/=upload"},
			text:  "Permission denied: upload only",
			want: map[string]string{
				"stat dir": ok, "upload new": ok,
				// Everything else is refused, including telling whether a
				// file exists.
			},
		},
		{
			rules: []string{"/=read"},
			text:  "Permission denied: read only",
			want: map[string]string{
				"stat dir": ok, "stat file": ok, "stat missing file": notFound, "list": ok, "download": ok,
			},
		},
		{
			rules: []string{"/=list,append"},
			text:  "Permission denied: list, append",
			want: map[string]string{
				"stat dir": ok, "stat file": ok, "stat missing file": notFound, "list": ok,
				"append": ok, "resume at end": ok,
			},
		},
		{
			rules: []string{"/=all"},
			want: map[string]string{
				"stat dir": ok, "stat file": ok, "stat missing file": notFound, "list": ok,
				"download": ok, "upload new": ok, "overwrite": ok, "append": ok, "resume at end": ok, "restart before end": ok,
				"mkdir": ok, "delete": ok, "rmdir": ok, "rename": ok, "chmod": ok, "mtime": ok,
			},
		},
	}
	for _, tt := range tests {
		for _, o := range permOps {
			t.Run(strings.Join(tt.rules, " ")+"/"+o.name, func(t *testing.T) {
				fsys, home, _ := policyFS(t, policyOf(t, tt.rules, nil, nil), Options{})
				seedHome(t, home)
				err := o.do(fsys)
				want := tt.want[o.name]
				switch want {
				case notFound:
					if !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("err = %v, want not found", err)
					}
					return
				case ok:
					if err != nil {
						t.Fatalf("err = %v, want success", err)
					}
					return
				}
				// Refused, without telling whether the file exists.
				var pub *PublicError
				if !errors.As(err, &pub) || pub.Code != 550 || pub.Text != tt.text || !errors.Is(err, fs.ErrPermission) {
					t.Fatalf("err = %#v, want 550 %q", err, tt.text)
				}
				if got := readHost(t, filepath.Join(home, "f.txt")); got != "hello" {
					t.Errorf("refused operation changed f.txt: %q", got)
				}
			})
		}
	}
}

func mkdirHost(t testing.TB, name string) {
	t.Helper()
	if err := os.MkdirAll(name, 0o750); err != nil {
		t.Fatal(err)
	}
}

func TestHiddenPaths(t *testing.T) {
	fsys, home, _ := policyFS(t, policyOf(t, []string{"/=all", "/private=none"}, nil, nil), Options{})
	seedHome(t, home)

	if got, want := sortedNames(t, fsys, "/"), []string{"d", "empty", "f.txt"}; !slices.Equal(got, want) {
		t.Errorf("listing of / = %v, want %v", got, want)
	}
	notFound := map[string]func() error{
		"stat dir":    func() error { _, err := fsys.Stat("/private"); return err },
		"stat file":   func() error { _, err := fsys.Stat("/private/secret.txt"); return err },
		"stat absent": func() error { _, err := fsys.Stat("/private/absent"); return err },
		"list":        func() error { _, err := fsys.OpenDir("/private"); return err },
		"open":        func() error { _, err := fsys.Open("/private/secret.txt", 0); return err },
		"remove":      func() error { return fsys.Remove("/private/secret.txt") },
		"rmdir":       func() error { return fsys.Rmdir("/private/inner") },
		"rename from": func() error { return fsys.Rename("/private/secret.txt", "/stolen") },
		"chmod":       func() error { return fsys.Chmod("/private/secret.txt", 0o777) },
		"chtimes":     func() error { return fsys.Chtimes("/private", time.Unix(1, 0)) },
	}
	for name, do := range notFound {
		err := do()
		var pub *PublicError
		if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &pub) {
			t.Errorf("%s: %v, want a plain not-found", name, err)
		}
	}
	// Creating answers the same whether or not the name is taken.
	for _, name := range []string{"/private/secret.txt", "/private/new.txt"} {
		_, err := fsys.Create(name, ftp.CreateOptions{})
		var pub *PublicError
		if !errors.As(err, &pub) || pub.Text != "Permission denied: no access" {
			t.Errorf("Create(%q): %v", name, err)
		}
	}
	if err := fsys.Mkdir("/private"); err == nil || errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir over hidden directory: %v, want a refusal that does not confirm it", err)
	}
	if err := fsys.Rename("/f.txt", "/private/f.txt"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Rename into hidden directory: %v", err)
	}
	// A directory whose rules differ inside cannot be moved to shed them.
	if err := fsys.Rename("/private", "/open"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Rename hidden directory: %v", err)
	}
	if got := readHost(t, filepath.Join(home, "private", "secret.txt")); got != "secret" {
		t.Errorf("secret changed: %q", got)
	}
}

func TestRenameDirWithRulesInside(t *testing.T) {
	fsys, home, _ := policyFS(t, policyOf(t, []string{"/=all", "/d/locked=read"}, nil, nil), Options{})
	seedHome(t, home)
	if err := fsys.Rename("/d", "/moved"); !errors.Is(err, errRulesInside) {
		t.Errorf("Rename dir holding a rule: %v", err)
	}
	if err := fsys.Mkdir("/e"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("/e", "/d/locked/sub"); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Rename into read-only: %v", err)
	}
	if err := fsys.Rename("/e", "/e2"); err != nil {
		t.Errorf("plain directory rename: %v", err)
	}
}

func TestRenameNeedsRightsAtBothEnds(t *testing.T) {
	tests := []struct {
		rules    []string
		from, to string
		wantOK   bool
	}{
		{[]string{"/=all"}, "/f.txt", "/g.txt", true},
		{[]string{"/=all", "/in=upload"}, "/f.txt", "/in/f.txt", true},
		{[]string{"/=all", "/in=list"}, "/f.txt", "/in/f.txt", false},        // no upload at the destination
		{[]string{"/=all", "/in=mkdir"}, "/d", "/in/d", true},                // a directory needs mkdir
		{[]string{"/=all", "/in=upload"}, "/d", "/in/d", false},              // not upload
		{[]string{"/=all", "/d=upload,rename"}, "/f.txt", "/d/g.txt", false}, // replacing needs overwrite
		{[]string{"/=all", "/d=upload,overwrite"}, "/f.txt", "/d/g.txt", true},
		{[]string{"/=read,upload"}, "/f.txt", "/g.txt", false}, // no rename at the source
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.rules, " ")+" "+tt.from+"->"+tt.to, func(t *testing.T) {
			fsys, home, _ := policyFS(t, policyOf(t, tt.rules, nil, nil), Options{})
			seedHome(t, home)
			mkdirHost(t, filepath.Join(home, "in"))
			err := fsys.Rename(tt.from, tt.to)
			if (err == nil) != tt.wantOK {
				t.Fatalf("Rename: %v, want ok=%v", err, tt.wantOK)
			}
			if err != nil && !errors.Is(err, fs.ErrPermission) {
				t.Errorf("refusal %v is not a permission error", err)
			}
		})
	}
}

func TestPolicySwapAppliesAtOnce(t *testing.T) {
	fsys, home, pol := policyFS(t, policyOf(t, []string{"/=all"}, nil, nil), Options{})
	seedHome(t, home)
	if got := readVFS(t, fsys, "/f.txt"); got != "hello" {
		t.Fatalf("read %q", got)
	}
	pol.Store(policyOf(t, []string{"/=upload"}, nil, nil))
	if _, err := fsys.Open("/f.txt", 0); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("Open after downgrade: %v", err)
	}
	pol.Store(nil) // a provider with nothing to give fails closed
	if _, err := fsys.Stat("/"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat with no policy: %v", err)
	}
	pol.Store(policyOf(t, []string{"/=read"}, nil, nil))
	if got := readVFS(t, fsys, "/f.txt"); got != "hello" {
		t.Errorf("read after upgrade %q", got)
	}
}

func TestRefusalIsLogged(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	fsys, home, _ := policyFS(t, policyOf(t, []string{"/=upload"}, nil, nil), Options{Logger: logger, User: "alice"})
	seedHome(t, home)
	if _, err := fsys.Open("/f.txt", 0); err == nil {
		t.Fatal("Open allowed")
	}
	mu.Lock()
	defer mu.Unlock()
	line := buf.String()
	for _, want := range []string{`msg="permission denied"`, "user=alice", "path=/f.txt", "op=open", "missing=download"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestTwoUsersApart(t *testing.T) {
	a, homeA, _ := policyFS(t, policyOf(t, []string{"/=all"}, nil, nil), Options{})
	b, homeB, _ := policyFS(t, policyOf(t, []string{"/=all"}, nil, nil), Options{})
	put(t, a, "/mine.txt", ftp.CreateOptions{}, "A")
	if _, err := b.Stat("/mine.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("B sees A's file: %v", err)
	}
	rel, err := filepath.Rel(homeB, homeA)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open("/"+filepath.ToSlash(rel)+"/mine.txt", 0); err == nil {
		t.Error("B reached A's home")
	}
	if got := sortedNames(t, b, "/"); len(got) != 0 {
		t.Errorf("B's home lists %v", got)
	}
}

func TestPermFact(t *testing.T) {
	share := t.TempDir()
	shares := []*user.Share{{Name: "x", Path: share}}
	grants := []user.Grant{{Share: "x", User: "u", At: "/projects/x", Rights: user.RightsAll}}
	tests := []struct {
		rules []string
		name  string
		dir   bool
		want  string
	}{
		{[]string{"/=all"}, "/f.txt", false, "adfrw"},
		{[]string{"/=all"}, "/d", true, "cdeflmp"},
		{[]string{"/=all"}, "/", true, "celmp"},
		{[]string{"/=upload"}, "/", true, "ce"},
		{[]string{"/=upload"}, "/f.txt", false, ""},
		{[]string{"/=read"}, "/f.txt", false, "r"},
		{[]string{"/=read"}, "/d", true, "el"},
		{[]string{"/=all", "/d/sub=read"}, "/d", true, "cdelmp"},
		{[]string{"/=all", "/f.txt=read"}, "/f.txt", false, "r"},
		{[]string{"/=all", "/private=none"}, "/private", true, ""},
		{[]string{"/=all"}, "/projects/x", true, "celmp"},
		{[]string{"/=all"}, "/projects", true, "celmp"},
		{[]string{"/=all"}, "/projects/x/f", false, "adfrw"},
	}
	for _, tt := range tests {
		fsys, home, _ := policyFS(t, policyOf(t, tt.rules, shares, grants), Options{})
		seedHome(t, home)
		var info fs.FileInfo = syntheticDir{name: base(tt.name)}
		if !tt.dir {
			info = fileInfo{name: base(tt.name)}
		}
		if got := fsys.PermFact(tt.name, info); got != tt.want {
			t.Errorf("%v PermFact(%q) = %q, want %q", tt.rules, tt.name, got, tt.want)
		}
	}
	// Without a policy: full rights.
	fsys, _, _ := newTestFS(t)
	if got := fsys.PermFact("/f", fileInfo{name: "f"}); got != "adfrw" {
		t.Errorf("no policy: %q", got)
	}
}

// fileInfo is a minimal regular file description.
type fileInfo struct{ name string }

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return 0 }
func (i fileInfo) Mode() fs.FileMode  { return 0o644 }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }

// The perm facts of a listing come from the policy it was opened under:
// the policy is asked for once per listing, not once per entry, so a
// large directory does not cost a policy lookup (a store query in the
// server) per entry.
func TestPermFactOfListingAsksOnce(t *testing.T) {
	pol := policyOf(t, []string{"/=all", "/d/ro.txt=read"}, nil, nil)
	var calls atomic.Int64
	fsys, home, _ := policyFS(t, pol, Options{})
	fsys.policy = func() *user.Policy { calls.Add(1); return pol }
	const n = 600
	for i := range n {
		writeHost(t, filepath.Join(home, "d", fmt.Sprintf("f%03d", i)), "x")
	}
	writeHost(t, filepath.Join(home, "d", "ro.txt"), "r")
	mkdirHost(t, filepath.Join(home, "d", "sub"))
	dir, err := fsys.OpenDir("/d")
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	facts := map[string]string{}
	for {
		entries, err := dir.ReadDir(100)
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			facts[e.Name()] = fsys.PermFact("/d/"+e.Name(), info)
		}
		if err != nil {
			break
		}
	}
	if got := calls.Load(); got > 1 {
		t.Errorf("the policy was asked for %d times for one listing", got)
	}
	if len(facts) != n+2 {
		t.Fatalf("listed %d entries, want %d", len(facts), n+2)
	}
	// Each fact is the one PermFact gives the entry on its own.
	for name, want := range map[string]string{"f000": "adfrw", "ro.txt": "r", "sub": "cdeflmp"} {
		if facts[name] != want {
			t.Errorf("listed %s: perm %q, want %q", name, facts[name], want)
		}
		info, err := fsys.Stat("/d/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fsys.PermFact("/d/"+name, info); got != want {
			t.Errorf("%s alone: perm %q, want %q", name, got, want)
		}
	}
}
