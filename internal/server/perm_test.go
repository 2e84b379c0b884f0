package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// wantCode fails unless err is an FTP reply with code (and, if given, text
// containing want).
func wantCode(t *testing.T, what string, err error, code int, want string) {
	t.Helper()
	var te *textproto.Error
	if !errors.As(err, &te) {
		t.Errorf("%s: err = %v, want reply %d", what, err, code)
		return
	}
	if te.Code != code || !strings.Contains(te.Msg, want) {
		t.Errorf("%s: reply %d %q, want %d containing %q", what, te.Code, te.Msg, code, want)
	}
}

func perms(t *testing.T, specs ...string) user.Rules {
	t.Helper()
	var rs user.Rules
	for _, s := range specs {
		r, err := user.ParsePathRule(s)
		if err != nil {
			t.Fatal(err)
		}
		rs = rs.Set(r)
	}
	return rs
}

func login(t *testing.T, e *servertest.Env, name, pass string) *ftp.ServerConn {
	t.Helper()
	c := dial(t, e.Explicit(), false)
	if err := c.Login(name, pass); err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	return c
}

func writeHomeFile(t *testing.T, e *servertest.Env, name, rel, content string) {
	t.Helper()
	p := filepath.Join(e.Config.DefaultHome(name), rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

// The partner who only uploads reports can upload and nothing else.
func TestUploadOnlyPartner(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "partner", "Partner-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=upload") })
	writeHomeFile(t, e, "partner", "old.csv", "earlier report")
	e.Start(t)
	c := login(t, e, "partner", "Partner-Pass-1")

	if err := c.Stor("report.csv", strings.NewReader("a,b\n")); err != nil {
		t.Fatalf("upload refused: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(e.Config.DefaultHome("partner"), "report.csv"))
	if string(got) != "a,b\n" {
		t.Fatalf("uploaded content %q", got)
	}
	wantCode(t, "overwrite", c.Stor("report.csv", strings.NewReader("x")), 550, "Permission denied")
	_, err := c.List("/")
	wantCode(t, "LIST", err, 550, "Permission denied: upload only")
	_, err = c.NameList("/")
	wantCode(t, "NLST", err, 550, "Permission denied")
	_, err = c.Retr("old.csv")
	wantCode(t, "RETR", err, 550, "Permission denied")
	wantCode(t, "DELE", c.Delete("old.csv"), 550, "Permission denied")
	wantCode(t, "RNFR/RNTO", c.Rename("old.csv", "new.csv"), 550, "Permission denied")
	wantCode(t, "MKD", c.MakeDir("dir"), 550, "Permission denied")
	_, err = c.FileSize("old.csv")
	wantCode(t, "SIZE", err, 550, "")
	if data, _ := os.ReadFile(filepath.Join(e.Config.DefaultHome("partner"), "old.csv")); string(data) != "earlier report" {
		t.Fatal("refused operations changed a file")
	}
}

func TestReadOnlyUser(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "reader", "Reader-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=read") })
	writeHomeFile(t, e, "reader", "doc.txt", "hello")
	e.Start(t)
	c := login(t, e, "reader", "Reader-Pass-1")

	entries, err := c.List("/")
	if err != nil || len(entries) != 1 || entries[0].Name != "doc.txt" {
		t.Fatalf("list: %v %v", entries, err)
	}
	r, err := c.Retr("doc.txt")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r)
	r.Close()
	if string(data) != "hello" {
		t.Fatalf("download %q", data)
	}
	wantCode(t, "STOR", c.Stor("new.txt", strings.NewReader("x")), 550, "Permission denied: read only")
	wantCode(t, "DELE", c.Delete("doc.txt"), 550, "Permission denied")
	wantCode(t, "MKD", c.MakeDir("d"), 550, "Permission denied")

	// MLSD tells the client what it may do (RFC 3659 §7.5.5): retrieve,
	// but not write, delete or rename.
	conn := rawLogin(t, e, "reader", "Reader-Pass-1")
	line := conn.mlst("doc.txt")
	perm := factValue(line, "perm")
	if !strings.Contains(perm, "r") || strings.ContainsAny(perm, "wdfa") {
		t.Errorf("perm fact %q for a read-only file (line %q)", perm, line)
	}
}

// Two users never see each other's files.
func TestUsersAreIsolated(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Alice-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=all") })
	e.AddUser(t, "bob", "Bob-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=all") })
	e.Start(t)
	a := login(t, e, "alice", "Alice-Pass-1")
	if err := a.Stor("alice-secret.txt", strings.NewReader("secret")); err != nil {
		t.Fatal(err)
	}
	b := login(t, e, "bob", "Bob-Pass-1")
	entries, err := b.List("/")
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if en.Name == "alice-secret.txt" {
			t.Fatal("bob sees alice's file")
		}
	}
	for _, p := range []string{"../alice/alice-secret.txt", "/../alice/alice-secret.txt", "/../../homes/alice/alice-secret.txt"} {
		if _, err := b.Retr(p); err == nil {
			t.Errorf("bob downloaded %s", p)
		}
	}
}

// A share is visible only to its grantees, and files written there land in
// the share's directory.
func TestSharedFolder(t *testing.T) {
	e := servertest.New(t)
	ctx := context.Background()
	shareDir := t.TempDir()
	if err := e.Store.CreateGroup(ctx, &user.Group{Name: "staff"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.CreateShare(ctx, &user.Share{Name: "projects", Path: shareDir}); err != nil {
		t.Fatal(err)
	}
	e.AddUser(t, "alice", "Alice-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=all"); u.Groups = []string{"staff"} })
	e.AddUser(t, "bob", "Bob-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=all") })
	if err := e.Store.SetGrant(ctx, user.Grant{Share: "projects", Group: "staff", At: "/work/projects",
		Rights: user.RightsRead | user.RightUpload}); err != nil {
		t.Fatal(err)
	}
	e.Start(t)

	a := login(t, e, "alice", "Alice-Pass-1")
	names, err := a.NameList("/")
	if err != nil || !contains(names, "work") {
		t.Fatalf("alice's / lists %v (%v), want the mount's parent", names, err)
	}
	if err := a.Stor("/work/projects/plan.txt", strings.NewReader("plan")); err != nil {
		t.Fatalf("upload into the share: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(shareDir, "plan.txt")); err != nil || string(data) != "plan" {
		t.Fatalf("share file: %q %v", data, err)
	}
	wantCode(t, "DELE in share", a.Delete("/work/projects/plan.txt"), 550, "Permission denied")
	if err := a.Stor("home.txt", strings.NewReader("h")); err != nil {
		t.Fatal(err)
	}
	err = a.Rename("home.txt", "/work/projects/home.txt")
	var te *textproto.Error
	if !errors.As(err, &te) || (te.Code != 553 && te.Code != 550) {
		t.Errorf("move home → share: %v, want a 553/550 refusal", err)
	}
	if _, err := os.Stat(filepath.Join(e.Config.DefaultHome("alice"), "home.txt")); err != nil {
		t.Error("refused move lost the file")
	}

	b := login(t, e, "bob", "Bob-Pass-1")
	if names, _ := b.NameList("/"); contains(names, "work") {
		t.Error("bob sees a share he was not granted")
	}
	if _, err := b.Retr("/work/projects/plan.txt"); err == nil {
		t.Error("bob read from a share he was not granted")
	}
}

// Rights changed while a session runs apply at its next command.
func TestRightsChangeLive(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Alice-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=all") })
	e.Start(t)
	c := login(t, e, "alice", "Alice-Pass-1")
	if err := c.Stor("a.txt", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	u, err := e.Store.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	u.Perms = perms(t, "/=read")
	if err := e.Store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	// Running sessions see the change within a tenth of a second.
	err = c.Stor("b.txt", strings.NewReader("b"))
	for deadline := time.Now().Add(5 * time.Second); err == nil && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		err = c.Stor("b.txt", strings.NewReader("b"))
	}
	wantCode(t, "STOR after the change", err, 550, "Permission denied: read only")
	if _, err := c.List("/"); err != nil {
		t.Errorf("LIST after the change: %v", err)
	}
}

func TestQuotaAtByteBoundary(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Alice-Pass-1", func(u *user.User) {
		u.Perms = perms(t, "/=all")
		u.Limits = user.Limits{MaxBytes: 1000, MaxFiles: 3, MaxFileSize: 800}
	})
	e.Start(t)
	c := login(t, e, "alice", "Alice-Pass-1")
	home := e.Config.DefaultHome("alice")

	if err := c.Stor("a.bin", bytes.NewReader(make([]byte, 600))); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "over MaxFileSize", c.Stor("big.bin", bytes.NewReader(make([]byte, 801))), 552, "")
	if _, err := os.Stat(filepath.Join(home, "big.bin")); err == nil {
		t.Error("refused upload left a file behind")
	}
	if err := c.Stor("b.bin", bytes.NewReader(make([]byte, 400))); err != nil {
		t.Fatalf("upload up to exactly the quota: %v", err)
	}
	wantCode(t, "one byte over", c.Stor("c.bin", bytes.NewReader(make([]byte, 1))), 552, "Quota exceeded")
	if _, err := os.Stat(filepath.Join(home, "c.bin")); err == nil {
		t.Error("refused upload left a file behind")
	}
	// Overwriting with the same size at the boundary is fine.
	if err := c.Stor("b.bin", bytes.NewReader(make([]byte, 400))); err != nil {
		t.Fatalf("overwrite at the boundary: %v", err)
	}
	// Deleting gives the space back.
	if err := c.Delete("b.bin"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("c.bin", bytes.NewReader(make([]byte, 400))); err != nil {
		t.Fatalf("upload after delete: %v", err)
	}
}

// Uploads racing for the last bytes of a quota never overshoot it.
func TestConcurrentUploadsAgainstQuota(t *testing.T) {
	e := servertest.New(t)
	const limit, size, clients = 10_000, 3_000, 8
	e.AddUser(t, "alice", "Alice-Pass-1", func(u *user.User) {
		u.Perms = perms(t, "/=all")
		u.Limits = user.Limits{MaxBytes: limit}
	})
	e.Start(t)
	var wg sync.WaitGroup
	for i := range clients {
		c := login(t, e, "alice", "Alice-Pass-1")
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Stor(filepathName(i), bytes.NewReader(make([]byte, size)))
		}()
	}
	wg.Wait()
	var total int64
	filepath.Walk(e.Config.DefaultHome("alice"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	if total > limit {
		t.Fatalf("%d bytes stored, quota %d", total, limit)
	}
	if total < 3*size {
		t.Fatalf("only %d bytes stored; 3 uploads of %d fit", total, size)
	}
}

func filepathName(i int) string { return "f" + string(rune('a'+i)) + ".bin" }

func TestMaxSessions(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Alice-Pass-1", func(u *user.User) { u.Perms = perms(t, "/=all"); u.MaxSessions = 1 })
	e.Start(t)
	first := login(t, e, "alice", "Alice-Pass-1")
	second := dial(t, e.Explicit(), false)
	wantCode(t, "second session", second.Login("alice", "Alice-Pass-1"), 530, "Too many sessions")
	first.Quit()
	deadline := time.Now().Add(10 * time.Second)
	for {
		third := dial(t, e.Explicit(), false)
		err := third.Login("alice", "Alice-Pass-1")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session slot not released: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.TrimPrefix(x, "/") == s {
			return true
		}
	}
	return false
}
