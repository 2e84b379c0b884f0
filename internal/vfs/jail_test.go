package vfs

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// plantEscapes fills a home with symbolic links that lead out of it, and
// a sibling directory holding a secret.
func plantEscapes(t *testing.T, home, outside string) {
	t.Helper()
	writeHost(t, filepath.Join(outside, "sibling", "secret"), "TOPSECRET")
	writeHost(t, filepath.Join(home, "sub", "file"), "inside")
	links := map[string]string{
		"etc":         "/etc",
		"abs":         filepath.Join(outside, "sibling"),
		"sib":         "../sibling",
		"secretlink":  "../sibling/secret",
		"sub/deep":    "../../sibling/secret",
		"loop":        "loop",
		"ping":        "pong",
		"pong":        "ping",
		"inner":       "sub",
		"sub/sibling": "../sub/file",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(home, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestJailRefusesEscapes(t *testing.T) {
	fsys, home, outside := newTestFS(t)
	plantEscapes(t, home, outside)

	escapes := []string{
		"/etc/passwd", "/etc", "/abs/secret", "/abs", "/sib/secret", "/sib",
		"/secretlink", "/sub/deep", "/inner/deep",
	}
	for _, name := range escapes {
		t.Run(name, func(t *testing.T) {
			_, err := fsys.Stat(name)
			wantRefused(t, "Stat", err, outside)
			if !errors.Is(err, fs.ErrPermission) {
				t.Errorf("Stat: %v, want a permission error", err)
			}
			_, err = fsys.Open(name, 0)
			wantRefused(t, "Open", err, outside)
			_, err = fsys.OpenDir(name)
			wantRefused(t, "OpenDir", err, outside)
			// Over a link the upload is refused as "not a regular file".
			if _, err = fsys.Create(name, ftp.CreateOptions{}); err == nil {
				t.Error("Create: no error")
			}
			noHostPath(t, err, outside)
			wantRefused(t, "Chmod", fsys.Chmod(name, 0o777), outside)
			wantRefused(t, "Chtimes", fsys.Chtimes(name, time.Unix(0, 0)), outside)
			wantRefused(t, "Mkdir", fsys.Mkdir(name+"/new"), outside)
			_, err = fsys.Create(name+"/new", ftp.CreateOptions{})
			wantRefused(t, "Create below", err, outside)
			wantRefused(t, "Rename", fsys.Rename("/sub/file", name+"/moved"), outside)
		})
	}
	if got := readHost(t, filepath.Join(outside, "sibling", "secret")); got != "TOPSECRET" {
		t.Errorf("secret changed: %q", got)
	}
	entries, err := os.ReadDir(filepath.Join(outside, "sibling"))
	if err != nil || len(entries) != 1 {
		t.Errorf("sibling directory changed: %v %v", entries, err)
	}
	info, err := os.Stat(filepath.Join(outside, "sibling", "secret"))
	if err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("secret mode changed: %v %v", info, err)
	}
	if readVFS(t, fsys, "/sub/file") != "inside" {
		t.Error("home file changed")
	}
}

// wantRefused checks that an operation failed as a permission or lookup
// error, without naming host paths.
func wantRefused(t *testing.T, what string, err error, hostPaths ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	if !errors.Is(err, fs.ErrPermission) && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s: error %v is neither permission nor not-exist", what, err)
	}
	noHostPath(t, err, hostPaths...)
}

func TestJailSymlinksInside(t *testing.T) {
	fsys, home, outside := newTestFS(t)
	plantEscapes(t, home, outside)
	if got := readVFS(t, fsys, "/inner/file"); got != "inside" {
		t.Errorf("through inner link: %q", got)
	}
	if got := readVFS(t, fsys, "/sub/sibling"); got != "inside" {
		t.Errorf("through sub/sibling link: %q", got)
	}
	for _, name := range []string{"/loop", "/ping", "/loop/x"} {
		_, err := fsys.Stat(name)
		if err == nil {
			t.Errorf("Stat(%q) of a loop succeeded", name)
		}
		noHostPath(t, err, outside)
	}
	// Deleting a link deletes the link, never its target.
	if err := fsys.Remove("/secretlink"); err != nil {
		t.Fatal(err)
	}
	if readHost(t, filepath.Join(outside, "sibling", "secret")) != "TOPSECRET" {
		t.Error("target of removed link changed")
	}
}

func TestJailDotDotAndAbsolute(t *testing.T) {
	fsys, _, outside := newTestFS(t)
	writeHost(t, filepath.Join(outside, "secret"), "TOPSECRET")
	// Names the engine must never send; vfs refuses them rather than trust.
	for _, name := range []string{
		"/../secret", "/a/../../secret", "..", "../secret", "secret", "",
		"//secret", "/./secret", "/a/", outside + "/secret",
	} {
		if outside+"/secret" != name {
			_, err := fsys.Open(name, 0)
			if !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Open(%q) = %v, want invalid name", name, err)
			}
			noHostPath(t, err, outside)
			continue
		}
		// A host path is only a long virtual name inside the home.
		_, err := fsys.Open(name, 0)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(%q) = %v, want not-exist", name, err)
		}
	}
}

// A parent directory replaced by a link to the outside while a transfer runs:
// the open handles stay on the original files, new operations are refused,
// and the upload lands where it started.
func TestJailSymlinkSwappedDuringTransfer(t *testing.T) {
	fsys, home, outside := newTestFS(t)
	writeHost(t, filepath.Join(home, "a", "f"), "original")
	writeHost(t, filepath.Join(outside, "evil", "f"), "TOPSECRET")

	r, err := fsys.Open("/a/f", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	up, err := fsys.Create("/a/g", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write([]byte("part one,")); err != nil {
		t.Fatal(err)
	}

	if err := os.Rename(filepath.Join(home, "a"), filepath.Join(home, "a.old")); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{filepath.Join(outside, "evil"), "../evil"} {
		os.Remove(filepath.Join(home, "a"))
		if err := os.Symlink(target, filepath.Join(home, "a")); err != nil {
			t.Fatal(err)
		}
		_, err := fsys.Stat("/a/f")
		wantRefused(t, "Stat after swap", err, outside)
		_, err = fsys.Open("/a/f", 0)
		wantRefused(t, "Open after swap", err, outside)
		_, err = fsys.Create("/a/h", ftp.CreateOptions{})
		wantRefused(t, "Create after swap", err, outside)
		wantRefused(t, "Remove after swap", fsys.Remove("/a/f"), outside)
	}

	got, err := io.ReadAll(r)
	if err != nil || string(got) != "original" {
		t.Errorf("open handle read %q, %v; want the original file", got, err)
	}
	if _, err := up.Write([]byte("part two")); err != nil {
		t.Fatal(err)
	}
	if err := up.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readHost(t, filepath.Join(home, "a.old", "g")); got != "part one,part two" {
		t.Errorf("upload landed as %q", got)
	}
	if _, err := os.Lstat(filepath.Join(outside, "evil", "g")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("upload reached outside: %v", err)
	}
	if readHost(t, filepath.Join(outside, "evil", "f")) != "TOPSECRET" {
		t.Error("outside file changed")
	}
	if tmp := tempFiles(t, outside); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestErrorsHideHostPaths(t *testing.T) {
	fsys, home, outside := newTestFS(t)
	writeHost(t, filepath.Join(home, "f"), "x")
	checks := []struct {
		name     string
		err      error
		sentinel error
	}{
		{"stat missing", func() error { _, err := fsys.Stat("/missing"); return err }(), fs.ErrNotExist},
		{"open missing", func() error { _, err := fsys.Open("/missing/x", 0); return err }(), fs.ErrNotExist},
		{"mkdir existing", fsys.Mkdir("/f"), fs.ErrExist},
		{"rmdir missing", fsys.Rmdir("/missing"), fs.ErrNotExist},
		{"rename missing", fsys.Rename("/missing", "/other"), fs.ErrNotExist},
		{"create in missing dir", func() error { _, err := fsys.Create("/missing/x", ftp.CreateOptions{}); return err }(), fs.ErrNotExist},
		{"opendir of file", func() error { _, err := fsys.OpenDir("/f"); return err }(), nil},
	}
	for _, c := range checks {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.sentinel != nil && !errors.Is(c.err, c.sentinel) {
			t.Errorf("%s: %v is not %v", c.name, c.err, c.sentinel)
		}
		noHostPath(t, c.err, outside, home, "home")
	}
}

func TestJailEscapeLogged(t *testing.T) {
	outside := t.TempDir()
	home := filepath.Join(outside, "home")
	var log strings.Builder
	fsys, err := New(home, Options{CreateHome: true, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if err := os.Symlink("..", filepath.Join(home, "up")); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat("/up/home"); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Stat through an escaping link: %v", err)
	}
	if !strings.Contains(log.String(), "outside the home") || !strings.Contains(log.String(), "path=/up/home") {
		t.Errorf("log %q lacks the refusal", log.String())
	}
}
