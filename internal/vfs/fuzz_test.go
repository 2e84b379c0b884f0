package vfs

import (
	"bytes"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

const secret = "TOPSECRET"

// FuzzResolve checks the jail: whatever name a client sends (made absolute
// and cleaned as the engine does), no operation reads the secret beside the
// home, creates anything outside it, or changes what is outside.
func FuzzResolve(f *testing.F) {
	for _, seed := range []string{
		"", "/", "..", "../secret", "../../secret", "out", "out/secret",
		"abs/secret", "sec", "d/up", "loop", "loop/x", "d/../../secret",
		"/etc/passwd", "a\x00b", `..\secret`, TempPrefix + "x", "d/" + TempPrefix,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		outside := t.TempDir()
		home := filepath.Join(outside, "home")
		writeHost(t, filepath.Join(outside, "secret"), secret)
		writeHost(t, filepath.Join(home, "d", "file"), "inside")
		for link, target := range map[string]string{
			"out": "..", "abs": outside, "sec": "../secret",
			"d/up": "../../secret", "loop": "loop",
		} {
			if err := os.Symlink(target, filepath.Join(home, link)); err != nil {
				t.Fatal(err)
			}
		}
		// No fsync: this checks where writes land, not that they last, and
		// an fsync per input made the run crawl on a busy disk.
		fsys, err := New(home, Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer fsys.Close()
		secretInfo, err := os.Stat(filepath.Join(outside, "secret"))
		if err != nil {
			t.Fatal(err)
		}

		name := path.Clean("/" + s)
		if info, err := fsys.Stat(name); err == nil && os.SameFile(info, secretInfo) {
			t.Fatalf("Stat(%q) reached the secret", name)
		}
		if r, err := fsys.Open(name, 0); err == nil {
			b, _ := io.ReadAll(io.LimitReader(r, 1<<20))
			r.Close()
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("Open(%q) read the secret", name)
			}
		}
		if u, err := fsys.Create(name, ftp.CreateOptions{}); err == nil {
			u.Write([]byte("written"))
			u.Commit()
		}
		if u, err := fsys.Create(name, ftp.CreateOptions{Append: true}); err == nil {
			u.Write([]byte("appended"))
			u.Abort()
		}
		fsys.Mkdir(name)
		fsys.Chmod(name, 0)
		fsys.Rename("/d/file", name)
		fsys.Remove(name)

		entries, err := os.ReadDir(outside)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, []string{"home", "secret"}) {
			t.Fatalf("%q: outside now holds %v", name, names)
		}
		info, err := os.Stat(filepath.Join(outside, "secret"))
		if err != nil || !os.SameFile(info, secretInfo) || info.Mode() != secretInfo.Mode() ||
			readHost(t, filepath.Join(outside, "secret")) != secret {
			t.Fatalf("%q: the secret changed (%v)", name, err)
		}
	})
}
