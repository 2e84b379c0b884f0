package vfs

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// newTestFS returns an FS on a fresh home inside a temporary directory, the
// home's host path and the directory around it (the "outside").
func newTestFS(t testing.TB) (*FS, string, string) {
	t.Helper()
	return newTestFSWith(t, Options{})
}

// newTestFSWith is newTestFS with the given options (CreateHome is set).
func newTestFSWith(t testing.TB, opts Options) (*FS, string, string) {
	t.Helper()
	outside := t.TempDir()
	home := filepath.Join(outside, "home")
	opts.CreateHome = true
	fsys, err := New(home, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys, home, outside
}

func writeHost(t testing.TB, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

func readHost(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readVFS reads a whole file through the FS.
func readVFS(t testing.TB, fsys *FS, name string) string {
	t.Helper()
	r, err := fsys.Open(name, 0)
	if err != nil {
		t.Fatalf("Open(%q): %v", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// put writes data through Create and commits it.
func put(t testing.TB, fsys *FS, name string, opts ftp.CreateOptions, data string) {
	t.Helper()
	u, err := fsys.Create(name, opts)
	if err != nil {
		t.Fatalf("Create(%q): %v", name, err)
	}
	if _, err := io.Copy(u, strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(); err != nil {
		t.Fatalf("Commit(%q): %v", name, err)
	}
}

// noHostPath fails when an error's text names a place on the host.
func noHostPath(t testing.TB, err error, hostPaths ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, p := range hostPaths {
		if strings.Contains(err.Error(), p) {
			t.Errorf("error %q reveals host path %q", err, p)
		}
	}
}

// tempFiles lists the temporary upload files anywhere under dir.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), TempPrefix) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func pattern(b byte, n int) string { return string(bytes.Repeat([]byte{b}, n)) }

var ftpOptsAppend = ftp.CreateOptions{Append: true}
