package ftptest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// Dir is an ftp.FileSystem on a host directory, confined to it by os.Root.
// Uploads go to a hidden temporary file that is renamed into place on
// commit. It checks no permissions: it is for tests.
type Dir struct {
	root *os.Root
}

var _ ftp.FileSystem = (*Dir)(nil)
var _ ftp.PermFacter = (*Dir)(nil)

// DirFS opens root. It panics if root cannot be opened, which in a test
// is a broken setup.
func DirFS(root string) *Dir {
	r, err := os.OpenRoot(root)
	if err != nil {
		panic(fmt.Sprintf("ftptest: %v", err))
	}
	return &Dir{root: r}
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// rel turns a virtual path ("/a/b") into a path inside the root ("a/b").
func rel(name string) string {
	r := strings.TrimPrefix(path.Clean("/"+name), "/")
	if r == "" {
		return "."
	}
	return r
}

var errIsDir = errors.New("is a directory")
var errNotDir = errors.New("not a directory")

func (d *Dir) Stat(name string) (fs.FileInfo, error) {
	return d.root.Stat(rel(name))
}

func (d *Dir) OpenDir(name string) (fs.ReadDirFile, error) {
	f, err := d.root.Open(rel(name))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "opendir", Path: name, Err: errNotDir}
	}
	return f, nil
}

func (d *Dir) Open(name string, offset int64) (io.ReadCloser, error) {
	f, err := d.root.Open(rel(name))
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = &fs.PathError{Op: "open", Path: name, Err: errIsDir}
	}
	if err == nil && offset > 0 {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (d *Dir) Create(name string, opts ftp.CreateOptions) (ftp.Upload, error) {
	r := rel(name)
	if r == "." {
		return nil, &fs.PathError{Op: "create", Path: name, Err: errIsDir}
	}
	if fi, err := d.root.Lstat(r); err == nil {
		if opts.Exclusive {
			return nil, &fs.PathError{Op: "create", Path: name, Err: fs.ErrExist}
		}
		if fi.IsDir() {
			return nil, &fs.PathError{Op: "create", Path: name, Err: errIsDir}
		}
	}
	id := make([]byte, 6)
	rand.Read(id)
	tmp := path.Join(path.Dir(r), "."+path.Base(r)+".upload-"+hex.EncodeToString(id))
	f, err := d.root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	u := &upload{d: d, f: f, tmp: tmp, dst: r}
	if opts.Offset > 0 || opts.Append {
		if err := u.copyExisting(opts); err != nil {
			u.Abort()
			return nil, err
		}
	}
	return u, nil
}

type upload struct {
	d   *Dir
	f   *os.File
	tmp string
	dst string
}

// copyExisting starts the upload with the kept part of the current file.
func (u *upload) copyExisting(opts ftp.CreateOptions) error {
	src, err := u.d.root.Open(u.dst)
	if errors.Is(err, fs.ErrNotExist) && opts.Append {
		return nil
	}
	if err != nil {
		return err
	}
	defer src.Close()
	if opts.Append {
		_, err = io.Copy(u.f, src)
		return err
	}
	n, err := io.CopyN(u.f, src, opts.Offset)
	if err == io.EOF {
		return fmt.Errorf("resume offset %d beyond the file's %d bytes", opts.Offset, n)
	}
	return err
}

func (u *upload) Write(p []byte) (int, error) { return u.f.Write(p) }

func (u *upload) Commit() error {
	if err := u.f.Close(); err != nil {
		u.d.root.Remove(u.tmp)
		return err
	}
	return u.d.root.Rename(u.tmp, u.dst)
}

func (u *upload) Abort() error {
	u.f.Close()
	return u.d.root.Remove(u.tmp)
}

func (d *Dir) Mkdir(name string) error {
	return d.root.Mkdir(rel(name), 0o755)
}

func (d *Dir) Remove(name string) error {
	r := rel(name)
	fi, err := d.root.Lstat(r)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return &fs.PathError{Op: "remove", Path: name, Err: errIsDir}
	}
	return d.root.Remove(r)
}

func (d *Dir) Rmdir(name string) error {
	r := rel(name)
	fi, err := d.root.Lstat(r)
	if err != nil {
		return err
	}
	if !fi.IsDir() || r == "." {
		return &fs.PathError{Op: "rmdir", Path: name, Err: errNotDir}
	}
	return d.root.Remove(r)
}

func (d *Dir) Rename(from, to string) error {
	return d.root.Rename(rel(from), rel(to))
}

func (d *Dir) Chtimes(name string, mtime time.Time) error {
	return d.root.Chtimes(rel(name), mtime, mtime)
}

func (d *Dir) Chmod(name string, mode fs.FileMode) error {
	return d.root.Chmod(rel(name), mode)
}

// PermFact grants everything, as Dir checks nothing.
func (d *Dir) PermFact(name string, fi fs.FileInfo) string {
	if fi.IsDir() {
		return "cdeflmp"
	}
	return "adfrw"
}
