package vfs

import (
	"io"
	"io/fs"
	"os"
	"path"
)

// OpenDir opens a directory for a listing that is read in chunks, so a
// directory of a hundred thousand entries is never held in memory at once.
// Uploads in progress are left out.
func (f *FS) OpenDir(name string) (fs.ReadDirFile, error) {
	root, rel, err := f.resolve(opList, name)
	if err != nil {
		return nil, err
	}
	file, err := root.OpenFile(rel, os.O_RDONLY|dirFlags, 0)
	if err != nil {
		return nil, f.clean(opList, name, err)
	}
	info, err := file.Stat()
	if err == nil && !info.IsDir() {
		err = errNotDir
	}
	if err != nil {
		file.Close()
		return nil, f.clean(opList, name, err)
	}
	return &dir{f: file, fs: f, root: root, rel: rel, name: name}, nil
}

// dir is a directory being listed.
type dir struct {
	f    *os.File
	fs   *FS
	root *os.Root
	rel  string // relative to root, for following symbolic links
	name string // virtual name, for errors and Stat
}

// ReadDir returns up to n entries (all when n <= 0). Symbolic links that
// resolve inside the jail are described by their target, as Stat would;
// others are listed as links.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		var all []fs.DirEntry
		for {
			chunk, err := d.ReadDir(1024)
			all = append(all, chunk...)
			if err == io.EOF {
				return all, nil
			}
			if err != nil {
				return all, err
			}
		}
	}
	for {
		entries, err := d.f.ReadDir(n)
		kept := entries[:0]
		for _, e := range entries {
			if isTemp(e.Name()) {
				continue
			}
			if e.Type()&fs.ModeSymlink != 0 {
				e = d.follow(e)
			}
			kept = append(kept, e)
		}
		if err != nil && err != io.EOF {
			err = d.fs.clean(opList, d.name, err)
		}
		// A chunk made only of uploads in progress must not look like the
		// end of the listing: read on.
		if len(kept) > 0 || err != nil {
			return kept, err
		}
	}
}

// follow describes a symbolic link by its target when the target is inside
// the jail.
func (d *dir) follow(e fs.DirEntry) fs.DirEntry {
	info, err := d.root.Stat(path.Join(d.rel, e.Name()))
	if err != nil {
		return e
	}
	return fs.FileInfoToDirEntry(namedInfo{info, e.Name()})
}

func (d *dir) Stat() (fs.FileInfo, error) {
	info, err := d.f.Stat()
	if err != nil {
		return nil, d.fs.clean(opList, d.name, err)
	}
	// The open file is named by its host path; give the virtual one.
	return namedInfo{info, base(d.name)}, nil
}

func (d *dir) Read([]byte) (int, error) { return 0, errIsDir }

func (d *dir) Close() error { return d.fs.clean(opList, d.name, d.f.Close()) }
