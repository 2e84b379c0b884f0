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
// Directories need only be reachable; anything else needs list or
// download. A directory leading to a mount point is a directory even when
// the disk has nothing there.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	t, err := f.resolve(opStat, name)
	if err != nil {
		return nil, err
	}
	info, err := t.root.Stat(t.rel)
	if (err != nil || !info.IsDir()) && leadsToMount(t.pol, name) {
		return f.mountPathInfo(t.pol, name), nil
	}
	if err != nil || !info.IsDir() {
		// Judged before the error is seen, so a refusal does not tell
		// whether something is there.
		if cerr := f.check(t.pol, opStatFile, name); cerr != nil {
			return nil, cerr
		}
	}
	if err != nil {
		return nil, f.clean(opStat, name, err)
	}
	if t.rel == "." {
		// The home or a share's root: never show the host's name.
		return namedInfo{info, base(name)}, nil
	}
	return info, nil
}

// Open opens a regular file for reading, positioned at offset. An offset
// beyond the end of the file is refused with 554 (RFC 3659 section 5.4).
func (f *FS) Open(name string, offset int64) (io.ReadCloser, error) {
	t, err := f.resolve(opRead, name)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, errRestartBad
	}
	file, err := t.root.OpenFile(t.rel, os.O_RDONLY|readFlags, 0)
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
	r := &reader{f: file, fs: f, name: name}
	if th := newThrottle(f.downLim); th != nil {
		return &throttledReader{r: r, th: th}, nil
	}
	return r, nil
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
	t, err := f.resolve(opMkdir, name)
	if err != nil {
		return err
	}
	return f.clean(opMkdir, name, t.root.Mkdir(t.rel, dirPerm))
}

// Remove deletes a file or a symbolic link (never what it points to) and
// gives a file's bytes back to the quota. It refuses directories. A
// directory swapped in between the check and the removal could be removed
// if empty; no data can be lost that way.
func (f *FS) Remove(name string) error {
	t, err := f.resolve(opRemove, name)
	if err != nil {
		return err
	}
	info, err := t.root.Lstat(t.rel)
	if err != nil {
		return f.clean(opRemove, name, err)
	}
	if info.IsDir() {
		return errIsDir
	}
	if err := t.root.Remove(t.rel); err != nil {
		return f.clean(opRemove, name, err)
	}
	f.release(t.share, info)
	return nil
}

// Rmdir deletes an empty directory. A symbolic link to a directory is not a
// directory here: Remove deletes links.
func (f *FS) Rmdir(name string) error {
	t, err := f.resolve(opRmdir, name)
	if err != nil {
		return err
	}
	info, err := t.root.Lstat(t.rel)
	if err != nil {
		return f.clean(opRmdir, name, err)
	}
	if !info.IsDir() {
		return errNotDir
	}
	err = t.root.Remove(t.rel)
	if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
		// POSIX allows either errno for a directory that is not empty.
		return errNotEmpty
	}
	return f.clean(opRmdir, name, err)
}

// Rename moves from to to, replacing to as rename(2) does. Both names are
// judged under one policy and must lie in the same root.
func (f *FS) Rename(from, to string) error {
	pol := f.currentPolicy()
	src, err := f.resolveWith(pol, opRenameFrom, from)
	if err != nil {
		return err
	}
	dst, err := f.resolveWith(pol, opRenameTo, to)
	if err != nil {
		return err
	}
	switch {
	case src.share == dst.share && src.root == dst.root:
	case src.share == "" || dst.share == "":
		return errHomeShare
	default:
		return errShareShare
	}
	if isWithin(to, from) {
		return &PublicError{codeNotTaken, "Cannot move a directory into itself.", fs.ErrInvalid}
	}
	info, err := src.root.Lstat(src.rel)
	if err != nil {
		return f.clean(opRenameFrom, from, err)
	}
	place := opPlaceFile
	if info.IsDir() {
		place = opPlaceDir
		if rulesInside(pol, from) || rulesInside(pol, to) {
			return errRulesInside
		}
	}
	if err := f.check(pol, place, to); err != nil {
		return err
	}
	if from == to {
		// rename(2) succeeds without doing anything.
		return nil
	}
	old, err := dst.root.Lstat(dst.rel)
	if err == nil {
		if err := f.check(pol, opReplace, to); err != nil {
			return err
		}
	} else {
		old = nil
	}
	if err := src.root.Rename(src.rel, dst.rel); err != nil {
		// Name the side the client can act on: the source if it is missing.
		if _, serr := src.root.Lstat(src.rel); serr != nil {
			return f.clean(opRenameFrom, from, serr)
		}
		return f.clean(opRenameTo, to, err)
	}
	if old != nil && !os.SameFile(old, info) {
		f.release(dst.share, old)
	}
	return nil
}

// isWithin reports whether name lies strictly below dir.
func isWithin(name, dir string) bool {
	return dir != "/" && len(name) > len(dir) && name[:len(dir)] == dir && name[len(dir)] == '/'
}

// Chtimes sets the modification time and leaves the access time alone.
func (f *FS) Chtimes(name string, mtime time.Time) error {
	t, err := f.resolve(opChtimes, name)
	if err != nil {
		return err
	}
	if mtime.IsZero() {
		return errBadTime
	}
	// A zero access time tells the kernel to keep the current one.
	return f.clean(opChtimes, name, t.root.Chtimes(t.rel, time.Time{}, mtime))
}

var errBadTime = &PublicError{codeBadParam, "Invalid time.", fs.ErrInvalid}

// Chmod sets permission bits 0-777. Set-user-ID, set-group-ID, sticky and
// file type bits are refused rather than silently dropped.
func (f *FS) Chmod(name string, mode fs.FileMode) error {
	t, err := f.resolve(opChmod, name)
	if err != nil {
		return err
	}
	if mode&^fs.ModePerm != 0 {
		return errChmodBits
	}
	return f.clean(opChmod, name, t.root.Chmod(t.rel, mode))
}

// base is path.Base for a virtual name, keeping "/" for the root.
func base(name string) string {
	if name == "/" {
		return "/"
	}
	return path.Base(name)
}
