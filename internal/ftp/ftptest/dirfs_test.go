package ftptest

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

func TestDirUploads(t *testing.T) {
	root := t.TempDir()
	d := DirFS(root)
	defer d.Close()
	os.WriteFile(filepath.Join(root, "f"), []byte("0123456789"), 0o644)

	write := func(name string, opts ftp.CreateOptions, data string, commit bool) error {
		u, err := d.Create(name, opts)
		if err != nil {
			return err
		}
		u.Write([]byte(data))
		if commit {
			return u.Commit()
		}
		return u.Abort()
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(root, name))
		return string(b)
	}

	if err := write("/f", ftp.CreateOptions{}, "aborted", false); err != nil || read("f") != "0123456789" {
		t.Fatalf("abort changed the file: %q, %v", read("f"), err)
	}
	if err := write("/f", ftp.CreateOptions{Offset: 4}, "xy", true); err != nil || read("f") != "0123xy" {
		t.Fatalf("resume: %q, %v", read("f"), err)
	}
	if err := write("/f", ftp.CreateOptions{Offset: 99}, "z", true); err == nil {
		t.Fatal("resume beyond the end succeeded")
	}
	if err := write("/f", ftp.CreateOptions{Append: true}, "!", true); err != nil || read("f") != "0123xy!" {
		t.Fatalf("append: %q, %v", read("f"), err)
	}
	if err := write("/new", ftp.CreateOptions{Append: true}, "n", true); err != nil || read("new") != "n" {
		t.Fatalf("append to a new file: %q, %v", read("new"), err)
	}
	if err := write("/f", ftp.CreateOptions{Exclusive: true}, "e", true); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("exclusive create over a file: %v", err)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 2 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestDirStaysInRoot(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	os.Mkdir(root, 0o755)
	os.WriteFile(filepath.Join(parent, "outside"), []byte("secret"), 0o644)
	os.Symlink("../outside", filepath.Join(root, "link"))
	d := DirFS(root)
	defer d.Close()
	if r, err := d.Open("/../outside", 0); err == nil {
		r.Close()
		t.Fatal("opened a file above the root")
	}
	if r, err := d.Open("/link", 0); err == nil {
		b, _ := io.ReadAll(r)
		r.Close()
		t.Fatalf("followed a symlink out of the root: %q", b)
	}
	if err := d.Remove("/"); err == nil {
		t.Fatal("removed the root")
	}
}
