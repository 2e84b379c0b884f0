package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"
)

// Stat describes name, following symbolic links that stay inside the jail.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	root, rel, err := f.resolve(opStat, name)
	if err != nil {
		return nil, err
	}
	info, err := root.Stat(rel)
	if err != nil {
		return nil, f.clean(opStat, name, err)
	}
	if name == "/" {
		return namedInfo{info, "/"}, nil
	}
	return info, nil
}

// Open opens a regular file for reading, positioned at offset. An offset
// beyond the end of the file is refused with 554 (RFC 3659 section 5.4).
func (f *FS) Open(name string, offset int64) (io.ReadCloser, error) {
	root, rel, err := f.resolve(opRead, name)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, errRestartBad
	}
	file, err := root.OpenFile(rel, os.O_RDONLY|readFlags, 0)
	if err != nil {
		return nil, f.clean(opRead, name, err)
	}
	info, err := file.Stat()
	switch {
	case err != nil:
		err = f.clean(opRead, name, err)
	case info.IsDir():
		err = errIsDir
	case !info.Mode().IsRegular():
		err = errNotRegular
	case offset > info.Size():
		err = errRestartPast
	case offset > 0:
		_, err = file.Seek(offset, io.SeekStart)
		err = f.clean(opRead, name, err)
	}
	if err != nil {
		file.Close()
		return nil, err
	}
	return &reader{f: file, fs: f, name: name}, nil
}

// reader hides the host path that *os.File puts in its errors.
type reader struct {
	f    *os.File
	fs   *FS
	name string
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err == io.EOF {
		return n, err
	}
	return n, r.fs.clean(opRead, r.name, err)
}

// WriteTo lets io.Copy reach the kernel's zero-copy paths (sendfile, splice)
// through *os.File when the destination allows it.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	n, err := r.f.WriteTo(w)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = r.fs.clean(opRead, r.name, err)
	}
	return n, err
}

func (r *reader) Close() error { return r.fs.clean(opRead, r.name, r.f.Close()) }

// Mkdir creates a directory with mode 0750.
func (f *FS) Mkdir(name string) error {
	root, rel, err := f.resolve(opMkdir, name)
	if err != nil {
		return err
	}
	return f.clean(opMkdir, name, root.Mkdir(rel, dirPerm))
}

// Remove deletes a file or a symbolic link (never what it points to). It
// refuses directories. A directory swapped in between the check and the
// removal could be removed if empty; no data can be lost that way.
func (f *FS) Remove(name string) error {
	root, rel, err := f.resolve(opRemove, name)
	if err != nil {
		return err
	}
	info, err := root.Lstat(rel)
	if err != nil {
		return f.clean(opRemove, name, err)
	}
	if info.IsDir() {
		return errIsDir
	}
	return f.clean(opRemove, name, root.Remove(rel))
}

// Rmdir deletes an empty directory. A symbolic link to a directory is not a
// directory here: Remove deletes links.
func (f *FS) Rmdir(name string) error {
	root, rel, err := f.resolve(opRmdir, name)
	if err != nil {
		return err
	}
	info, err := root.Lstat(rel)
	if err != nil {
		return f.clean(opRmdir, name, err)
	}
	if !info.IsDir() {
		return errNotDir
	}
	err = root.Remove(rel)
	if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
		// POSIX allows either errno for a directory that is not empty.
		return errNotEmpty
	}
	return f.clean(opRmdir, name, err)
}

// Rename moves from to to, replacing to as rename(2) does.
func (f *FS) Rename(from, to string) error {
	fromRoot, fromRel, err := f.resolve(opRenameFrom, from)
	if err != nil {
		return err
	}
	toRoot, toRel, err := f.resolve(opRenameTo, to)
	if err != nil {
		return err
	}
	if fromRoot != toRoot {
		return errCrossRoot
	}
	if from == to {
		// rename(2) succeeds without doing anything; still report a
		// missing source.
		_, err := fromRoot.Lstat(fromRel)
		return f.clean(opRenameFrom, from, err)
	}
	if isWithin(to, from) {
		return &PublicError{codeNotTaken, "Cannot move a directory into itself.", fs.ErrInvalid}
	}
	err = fromRoot.Rename(fromRel, toRel)
	if err == nil {
		return nil
	}
	// Name the side the client can act on: the source if it is missing.
	if _, serr := fromRoot.Lstat(fromRel); serr != nil {
		return f.clean(opRenameFrom, from, serr)
	}
	return f.clean(opRenameTo, to, err)
}

// isWithin reports whether name lies strictly below dir.
func isWithin(name, dir string) bool {
	return dir != "/" && len(name) > len(dir) && name[:len(dir)] == dir && name[len(dir)] == '/'
}

// Chtimes sets the modification time and leaves the access time alone.
func (f *FS) Chtimes(name string, mtime time.Time) error {
	root, rel, err := f.resolve(opChtimes, name)
	if err != nil {
		return err
	}
	if mtime.IsZero() {
		return errBadTime
	}
	// A zero access time tells the kernel to keep the current one.
	return f.clean(opChtimes, name, root.Chtimes(rel, time.Time{}, mtime))
}

var errBadTime = &PublicError{codeBadParam, "Invalid time.", fs.ErrInvalid}

// Chmod sets permission bits 0-777. Set-user-ID, set-group-ID, sticky and
// file type bits are refused rather than silently dropped.
func (f *FS) Chmod(name string, mode fs.FileMode) error {
	root, rel, err := f.resolve(opChmod, name)
	if err != nil {
		return err
	}
	if mode&^fs.ModePerm != 0 {
		return errChmodBits
	}
	return f.clean(opChmod, name, root.Chmod(rel, mode))
}

// base is path.Base for a virtual name, keeping "/" for the root.
func base(name string) string {
	if name == "/" {
		return "/"
	}
	return path.Base(name)
}
