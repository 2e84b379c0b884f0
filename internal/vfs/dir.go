package vfs

import (
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// OpenDir opens a directory for a listing that is read in chunks, so a
// directory of a hundred thousand entries is never held in memory at once.
// Uploads in progress and entries the user may not reach are left out;
// mount points directly inside the directory come first, in place of
// whatever the disk holds under their names.
func (f *FS) OpenDir(name string) (fs.ReadDirFile, error) {
	t, err := f.resolve(opList, name)
	if err != nil {
		return nil, err
	}
	extra, taken := f.mountEntries(t.pol, name)
	d := &dir{fs: f, root: t.root, rel: t.rel, name: name, pol: t.pol, extra: extra, taken: taken}
	file, err := t.root.OpenFile(t.rel, os.O_RDONLY|dirFlags, 0)
	if err == nil {
		var info fs.FileInfo
		info, err = file.Stat()
		if err == nil && !info.IsDir() {
			err = errNotDir
		}
		if err != nil {
			file.Close()
		}
	}
	if err != nil {
		if leadsToMount(t.pol, name) {
			// Nothing on disk: the listing is the mount points alone.
			return d, nil
		}
		return nil, f.clean(opList, name, err)
	}
	d.f = file
	return d, nil
}

// dir is a directory being listed.
type dir struct {
	f     *os.File // nil for a directory that only leads to mount points
	fs    *FS
	root  *os.Root
	rel   string // relative to root, for following symbolic links
	name  string // virtual name, for errors and Stat
	pol   *user.Policy
	extra []fs.DirEntry   // mount points not listed yet
	taken map[string]bool // names the mount points take over
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
	if len(d.extra) > 0 {
		k := min(n, len(d.extra))
		out := make([]fs.DirEntry, k)
		for i, e := range d.extra[:k] {
			out[i] = listedEntry{e, d.pol}
		}
		d.extra = d.extra[k:]
		return out, nil
	}
	if d.f == nil {
		return nil, io.EOF
	}
	for {
		entries, err := d.f.ReadDir(n)
		kept := entries[:0]
		for _, e := range entries {
			if !d.visible(e.Name()) {
				continue
			}
			if e.Type()&fs.ModeSymlink != 0 {
				e = d.follow(e)
			}
			kept = append(kept, listedEntry{e, d.pol})
		}
		if err != nil && err != io.EOF {
			err = d.fs.clean(opList, d.name, err)
		}
		// A chunk made only of hidden entries must not look like the end
		// of the listing: read on.
		if len(kept) > 0 || err != nil {
			return kept, err
		}
	}
}

// listedEntry is an entry of a listing. Its Info remembers the policy the
// listing was opened under, so that PermFact gives each entry's perm fact
// from that one policy: a listing is judged once, not once per entry,
// however large the directory.
type listedEntry struct {
	fs.DirEntry
	pol *user.Policy
}

func (e listedEntry) Info() (fs.FileInfo, error) {
	info, err := e.DirEntry.Info()
	if err != nil {
		return nil, err
	}
	return listedInfo{info, e.pol}, nil
}

// listedInfo is the FileInfo of a listed entry; see listedEntry.
type listedInfo struct {
	fs.FileInfo
	pol *user.Policy
}

// listingPolicy returns the policy a listing entry was judged under; ok is
// false for a FileInfo that did not come from a listing.
func listingPolicy(info fs.FileInfo) (pol *user.Policy, ok bool) {
	li, ok := info.(listedInfo)
	return li.pol, ok
}

// visible reports whether an entry read from disk belongs in the listing.
func (d *dir) visible(base string) bool {
	if isTemp(base) || d.taken[base] {
		return false
	}
	return d.pol == nil || d.pol.Reachable(path.Join(d.name, base))
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
	if d.f == nil {
		return syntheticDir{name: base(d.name), mtime: d.fs.now()}, nil
	}
	info, err := d.f.Stat()
	if err != nil {
		return nil, d.fs.clean(opList, d.name, err)
	}
	// The open file is named by its host path; give the virtual one.
	return namedInfo{info, base(d.name)}, nil
}

func (d *dir) Read([]byte) (int, error) { return 0, errIsDir }

func (d *dir) Close() error {
	if d.f == nil {
		return nil
	}
	return d.fs.clean(opList, d.name, d.f.Close())
}
