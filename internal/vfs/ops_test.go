package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

func TestNewHome(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	if _, err := New(missing, Options{}); err == nil {
		t.Error("New opened a missing home without CreateHome")
	}
	fsys, err := New(missing, Options{CreateHome: true})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(missing)
	if err != nil || !info.IsDir() || info.Mode().Perm() != 0o750 {
		t.Errorf("home %v, %v; want a 0750 directory", info, err)
	}
	root, err := fsys.Stat("/")
	if err != nil || root.Name() != "/" || !root.IsDir() {
		t.Errorf("Stat(/) = %v, %v", root, err)
	}
	if err := fsys.Close(); err != nil {
		t.Error(err)
	}
}

func TestChmod(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	writeHost(t, filepath.Join(home, "f"), "x")
	cases := []struct {
		mode fs.FileMode
		code int // 0: allowed
	}{
		{0o755, 0},
		{0o600, 0},
		{0o000, 0},
		{0o777, 0},
		{fs.ModeSetuid | 0o755, 501},
		{fs.ModeSetgid | 0o755, 501},
		{fs.ModeSticky | 0o755, 501},
		{fs.ModeDir | 0o755, 501},
		{0o4755, 501}, // Unix setuid bit in the low bits is not a FileMode permission
	}
	for _, c := range cases {
		err := fsys.Chmod("/f", c.mode)
		if c.code == 0 {
			if err != nil {
				t.Errorf("Chmod(%v): %v", c.mode, err)
				continue
			}
			info, _ := os.Stat(filepath.Join(home, "f"))
			if info.Mode() != c.mode {
				t.Errorf("Chmod(%v) left mode %v", c.mode, info.Mode())
			}
			continue
		}
		var pub ftp.PublicError
		if !errors.As(err, &pub) || pub.FTPCode() != c.code {
			t.Errorf("Chmod(%v) = %v, want PublicError %d", c.mode, err, c.code)
		}
	}
	info, _ := os.Stat(filepath.Join(home, "f"))
	if info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		t.Errorf("special bits set: %v", info.Mode())
	}
	var pub ftp.PublicError
	if err := fsys.Chmod("/", 0o700); !errors.As(err, &pub) {
		t.Errorf("Chmod(/) = %v, want refusal", err)
	}
}

func TestRemoveAndRmdir(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	writeHost(t, filepath.Join(home, "file"), "x")
	writeHost(t, filepath.Join(home, "full", "x"), "x")
	os.Mkdir(filepath.Join(home, "empty"), 0o750)
	os.Mkdir(filepath.Join(home, "empty2"), 0o750)
	os.Symlink("empty2", filepath.Join(home, "dirlink"))

	cases := []struct {
		op, name string
		want     error // sentinel, or nil for success
		code     int   // PublicError code expected, 0 for none
	}{
		{"remove", "/full", syscall.EISDIR, 550},
		{"remove", "/empty", syscall.EISDIR, 550},
		{"remove", "/missing", fs.ErrNotExist, 0},
		{"remove", "/", fs.ErrPermission, 550},
		{"rmdir", "/file", syscall.ENOTDIR, 550},
		{"rmdir", "/full", syscall.ENOTEMPTY, 550},
		{"rmdir", "/dirlink", syscall.ENOTDIR, 550},
		{"rmdir", "/missing", fs.ErrNotExist, 0},
		{"rmdir", "/", fs.ErrPermission, 550},
		{"remove", "/file", nil, 0},
		{"rmdir", "/empty", nil, 0},
		{"remove", "/dirlink", nil, 0},
	}
	for _, c := range cases {
		var err error
		if c.op == "remove" {
			err = fsys.Remove(c.name)
		} else {
			err = fsys.Rmdir(c.name)
		}
		if c.want == nil {
			if err != nil {
				t.Errorf("%s(%q): %v", c.op, c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s(%q) = %v, want %v", c.op, c.name, err, c.want)
		}
		var pub ftp.PublicError
		if c.code != 0 && (!errors.As(err, &pub) || pub.FTPCode() != c.code) {
			t.Errorf("%s(%q) = %v, want PublicError %d", c.op, c.name, err, c.code)
		}
	}
	for _, gone := range []string{"file", "empty", "dirlink"} {
		if _, err := os.Lstat(filepath.Join(home, gone)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists", gone)
		}
	}
	for _, kept := range []string{"full/x", "empty2"} {
		if _, err := os.Lstat(filepath.Join(home, kept)); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
}

func TestMkdirRenameChtimes(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	if err := fsys.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(filepath.Join(home, "d")); info.Mode().Perm() != 0o750 {
		t.Errorf("Mkdir mode %v", info.Mode())
	}
	if err := fsys.Mkdir("/d"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir twice: %v", err)
	}
	if err := fsys.Mkdir("/"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir(/): %v", err)
	}
	put(t, fsys, "/d/f", ftp.CreateOptions{}, "data")

	renames := []struct {
		from, to string
		want     error
	}{
		{"/", "/x", fs.ErrPermission},
		{"/d", "/", fs.ErrPermission},
		{"/d", "/d/sub", fs.ErrInvalid},
		{"/missing", "/x", fs.ErrNotExist},
		{"/d/f", "/" + TempPrefix + "x", fs.ErrInvalid},
		{"/d/f", "/d/f", nil},
		{"/d/f", "/g", nil},
		{"/d", "/e", nil},
	}
	for _, r := range renames {
		err := fsys.Rename(r.from, r.to)
		if (r.want == nil) != (err == nil) || (r.want != nil && !errors.Is(err, r.want)) {
			t.Errorf("Rename(%q, %q) = %v, want %v", r.from, r.to, err, r.want)
		}
	}
	if readVFS(t, fsys, "/g") != "data" {
		t.Error("renamed file lost")
	}
	if _, err := fsys.Stat("/e"); err != nil {
		t.Error(err)
	}

}

func TestOpenOffsetAndKinds(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	writeHost(t, filepath.Join(home, "f"), "0123456789")
	os.Mkdir(filepath.Join(home, "d"), 0o750)
	r, err := fsys.Open("/f", 4)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "456789" {
		t.Errorf("read %q from offset 4", b)
	}
	if r, err := fsys.Open("/f", 10); err != nil {
		t.Errorf("offset at end: %v", err)
	} else {
		r.Close()
	}
	if _, err := fsys.Open("/d", 0); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("Open(dir) = %v", err)
	}
}

func TestNames(t *testing.T) {
	fsys, _, _ := newTestFS(t)
	long := strings.Repeat("x", 256)
	for _, name := range []string{"/a\x00b", "/" + long, "/ok/" + long + "/x"} {
		var pub ftp.PublicError
		err := fsys.Mkdir(name)
		if !errors.As(err, &pub) || pub.FTPCode() != 553 {
			t.Errorf("Mkdir(%q) = %v, want 553", name, err)
		}
	}
	for _, name := range []string{`/a\b`, "/" + strings.Repeat("y", 255), "/ünï cödé", "/.hidden"} {
		if err := fsys.Mkdir(name); err != nil {
			t.Errorf("Mkdir(%q): %v", name, err)
		}
	}
}

func TestReadDirChunked(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	const real, temps = 1000, 1500
	var want []string
	for i := range real {
		name := fmt.Sprintf("f%05d", i)
		want = append(want, name)
		writeHost(t, filepath.Join(home, "big", name), "")
	}
	// Whole chunks of hidden entries must not end the listing early.
	for i := range temps {
		writeHost(t, filepath.Join(home, "big", fmt.Sprintf("%s%05d", TempPrefix, i)), "")
	}
	for _, n := range []int{1, 7, 100, 5000} {
		got := listNames(t, fsys, "/big", n)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("ReadDir(%d): %d names, want %d", n, len(got), len(want))
		}
	}
	d, err := fsys.OpenDir("/big")
	if err != nil {
		t.Fatal(err)
	}
	all, err := d.ReadDir(-1)
	d.Close()
	if err != nil || len(all) != real {
		t.Errorf("ReadDir(-1): %d entries, %v", len(all), err)
	}
}

func TestListingFollowsInnerLinks(t *testing.T) {
	fsys, home, outside := newTestFS(t)
	writeHost(t, filepath.Join(home, "d", "file"), "12345")
	writeHost(t, filepath.Join(outside, "secret"), "TOPSECRET-LONG")
	os.Symlink("file", filepath.Join(home, "d", "in"))
	os.Symlink("../../secret", filepath.Join(home, "d", "out"))
	d, err := fsys.OpenDir("/d")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		switch e.Name() {
		case "in":
			if !info.Mode().IsRegular() || info.Size() != 5 {
				t.Errorf("inner link listed as %v size %d", info.Mode(), info.Size())
			}
		case "out":
			if info.Mode()&fs.ModeSymlink == 0 || info.Size() == int64(len("TOPSECRET-LONG")) {
				t.Errorf("outer link reveals its target: %v size %d", info.Mode(), info.Size())
			}
		}
	}
	info, err := d.Stat()
	if err != nil || info.Name() != "d" {
		t.Errorf("dir Stat: %v, %v", info, err)
	}
	root, err := fsys.OpenDir("/")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if info, _ := root.Stat(); info.Name() != "/" {
		t.Errorf("root listing named %q", info.Name())
	}
}
