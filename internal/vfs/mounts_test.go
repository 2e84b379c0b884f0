package vfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// shareSetup is a user with "/=all" in the home, share "x" mounted at
// /projects/x and share "y" at /y.
type shareSetup struct {
	fsys       *FS
	home, x, y string
	outside    string
	shares     []*user.Share
	grants     []user.Grant
	setPolicy  func(*user.Policy)
}

// policy builds a policy over the setup's shares.
func (s *shareSetup) policy(t *testing.T, rules []string, grants []user.Grant) *user.Policy {
	return policyOf(t, rules, s.shares, grants)
}

func newShareSetup(t *testing.T, xRights user.Rights) *shareSetup {
	t.Helper()
	outside := t.TempDir()
	s := &shareSetup{
		x:       filepath.Join(outside, "share-x"),
		y:       filepath.Join(outside, "share-y"),
		outside: outside,
	}
	mkdirHost(t, s.x)
	mkdirHost(t, s.y)
	s.shares = []*user.Share{{Name: "x", Path: s.x}, {Name: "y", Path: s.y}}
	s.grants = []user.Grant{
		{Share: "x", User: "u", At: "/projects/x", Rights: xRights},
		{Share: "y", User: "u", At: "/y", Rights: user.RightsAll},
	}
	fsys, home, holder := policyFS(t, s.policy(t, []string{"/=all"}, s.grants), Options{})
	s.fsys, s.home, s.setPolicy = fsys, home, holder.Store
	return s
}

func TestMountListingAndStat(t *testing.T) {
	s := newShareSetup(t, user.RightsAll)
	writeHost(t, filepath.Join(s.home, "f.txt"), "home")
	writeHost(t, filepath.Join(s.x, "in-share.txt"), "share")

	if got, want := sortedNames(t, s.fsys, "/"), []string{"f.txt", "projects", "y"}; !slices.Equal(got, want) {
		t.Errorf("listing / = %v, want %v", got, want)
	}
	if got, want := sortedNames(t, s.fsys, "/projects"), []string{"x"}; !slices.Equal(got, want) {
		t.Errorf("listing /projects = %v, want %v", got, want)
	}
	if got, want := sortedNames(t, s.fsys, "/projects/x"), []string{"in-share.txt"}; !slices.Equal(got, want) {
		t.Errorf("listing /projects/x = %v, want %v", got, want)
	}
	for _, name := range []string{"/projects", "/projects/x", "/y"} {
		info, err := s.fsys.Stat(name)
		if err != nil || !info.IsDir() || info.Name() != base(name) {
			t.Errorf("Stat(%q) = %v, %v; want a directory named %q", name, info, err, base(name))
		}
	}
	d, err := s.fsys.OpenDir("/projects")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := d.Stat(); err != nil || !info.IsDir() {
		t.Errorf("synthetic directory Stat = %v, %v", info, err)
	}
	d.Close()
	if got := readVFS(t, s.fsys, "/projects/x/in-share.txt"); got != "share" {
		t.Errorf("read %q", got)
	}
}

func TestMountShadowsHome(t *testing.T) {
	s := newShareSetup(t, user.RightsAll)
	writeHost(t, filepath.Join(s.home, "projects", "x", "home-only.txt"), "hidden")
	writeHost(t, filepath.Join(s.home, "projects", "other.txt"), "home")
	writeHost(t, filepath.Join(s.home, "y"), "a file where a mount point is")
	if got, want := sortedNames(t, s.fsys, "/projects"), []string{"other.txt", "x"}; !slices.Equal(got, want) {
		t.Errorf("listing /projects = %v, want %v", got, want)
	}
	if _, err := s.fsys.Stat("/projects/x/home-only.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("home file under a mount point visible: %v", err)
	}
	if info, err := s.fsys.Stat("/y"); err != nil || !info.IsDir() {
		t.Errorf("Stat(/y) = %v, %v; want the share", info, err)
	}
	entries := listNames(t, s.fsys, "/", 1)
	if n := countOf(entries, "y"); n != 1 {
		t.Errorf("/y listed %d times in %v", n, entries)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, e := range list {
		if e == s {
			n++
		}
	}
	return n
}

func TestMountUploadsLandInShare(t *testing.T) {
	s := newShareSetup(t, user.RightsAll)
	put(t, s.fsys, "/projects/x/new.txt", ftp.CreateOptions{}, "data")
	if got := readHost(t, filepath.Join(s.x, "new.txt")); got != "data" {
		t.Errorf("share content %q", got)
	}
	if _, err := os.Stat(filepath.Join(s.home, "projects")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("upload touched the home: %v", err)
	}
	if err := s.fsys.Mkdir("/projects/x/sub"); err != nil {
		t.Fatal(err)
	}
	if err := s.fsys.Rename("/projects/x/new.txt", "/projects/x/sub/moved.txt"); err != nil {
		t.Errorf("rename inside the share: %v", err)
	}
	if got := readHost(t, filepath.Join(s.x, "sub", "moved.txt")); got != "data" {
		t.Errorf("moved content %q", got)
	}
}

func TestMountJail(t *testing.T) {
	s := newShareSetup(t, user.RightsAll)
	writeHost(t, filepath.Join(s.outside, "secret"), "TOPSECRET")
	if err := os.Symlink(filepath.Join(s.outside, "secret"), filepath.Join(s.x, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../secret", filepath.Join(s.x, "rel")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(s.outside, filepath.Join(s.x, "dir")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/projects/x/abs", "/projects/x/rel", "/projects/x/dir/secret"} {
		_, err := s.fsys.Open(name, 0)
		wantRefused(t, "Open "+name, err, s.outside)
		_, err = s.fsys.Stat(name)
		wantRefused(t, "Stat "+name, err, s.outside)
	}
	_, err := s.fsys.Create("/projects/x/dir/planted", ftp.CreateOptions{})
	wantRefused(t, "Create through link", err, s.outside)
	if _, err := os.Stat(filepath.Join(s.outside, "planted")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a file was planted outside the share")
	}
}

func TestMountMovesAndMountPoints(t *testing.T) {
	s := newShareSetup(t, user.RightsAll)
	writeHost(t, filepath.Join(s.home, "f.txt"), "home")
	writeHost(t, filepath.Join(s.x, "s.txt"), "share")
	writeHost(t, filepath.Join(s.y, "t.txt"), "other share")

	for _, mv := range [][2]string{
		{"/f.txt", "/projects/x/f.txt"},
		{"/projects/x/s.txt", "/s.txt"},
		{"/projects/x/s.txt", "/y/s.txt"},
		{"/y/t.txt", "/projects/x/t.txt"},
	} {
		err := s.fsys.Rename(mv[0], mv[1])
		var pub *PublicError
		if !errors.As(err, &pub) || pub.Code != 553 {
			t.Errorf("Rename(%q, %q) = %v, want 553", mv[0], mv[1], err)
		}
	}
	if got := readHost(t, filepath.Join(s.home, "f.txt")); got != "home" {
		t.Errorf("home file changed: %q", got)
	}
	if got := readHost(t, filepath.Join(s.x, "s.txt")); got != "share" {
		t.Errorf("share file changed: %q", got)
	}

	fixed := map[string]error{
		"rmdir mount point":    s.fsys.Rmdir("/projects/x"),
		"rmdir ancestor":       s.fsys.Rmdir("/projects"),
		"remove mount point":   s.fsys.Remove("/y"),
		"rename mount point":   s.fsys.Rename("/y", "/z"),
		"rename ancestor":      s.fsys.Rename("/projects", "/p"),
		"rename onto mount":    s.fsys.Rename("/f.txt", "/y"),
		"rename onto ancestor": s.fsys.Rename("/f.txt", "/projects"),
	}
	for what, err := range fixed {
		if !errors.Is(err, errMountPoint) {
			t.Errorf("%s: %v, want the mount point refusal", what, err)
		}
	}
	if err := s.fsys.Chmod("/y", 0o700); !errors.Is(err, errChmodMount) {
		t.Errorf("Chmod mount point: %v", err)
	}
	if err := s.fsys.Mkdir("/projects"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir over ancestor: %v", err)
	}
	if _, err := os.Stat(s.x); err != nil {
		t.Errorf("share directory gone: %v", err)
	}
}

func TestMountRightsAndRemoval(t *testing.T) {
	s := newShareSetup(t, user.RightsRead)
	writeHost(t, filepath.Join(s.x, "s.txt"), "share")
	if got := readVFS(t, s.fsys, "/projects/x/s.txt"); got != "share" {
		t.Errorf("read %q", got)
	}
	_, err := s.fsys.Create("/projects/x/new", ftp.CreateOptions{})
	var pub *PublicError
	if !errors.As(err, &pub) || pub.Text != "Permission denied: read only" {
		t.Errorf("Create in a read-only share: %v", err)
	}
	// The grant goes away: the share is gone at the next operation.
	s.setPolicy(s.policy(t, []string{"/=all"}, s.grants[1:]))
	if _, err := s.fsys.Stat("/projects/x/s.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("share still reachable after the grant went: %v", err)
	}
	if got := sortedNames(t, s.fsys, "/"); slices.Contains(got, "projects") {
		t.Errorf("listing still shows the old mount: %v", got)
	}
}

func TestMountUnavailable(t *testing.T) {
	s := newShareSetup(t, user.RightsAll)
	if err := os.Remove(s.y); err != nil {
		t.Fatal(err)
	}
	_, err := s.fsys.Stat("/y/f")
	if !errors.Is(err, errShareMissing) {
		t.Errorf("Stat in a missing share: %v", err)
	}
	noHostPath(t, err, s.y)
	// The listing of / still works, with a synthetic entry.
	if got := sortedNames(t, s.fsys, "/"); !slices.Contains(got, "y") {
		t.Errorf("listing %v", got)
	}
}
