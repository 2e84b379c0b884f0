package vfs

// Shared folders.
//
// A policy mounts shares at virtual paths. A name at or below a mount point
// resolves into an os.Root opened on the share's host directory, so the
// jail holds inside shares exactly as in the home. Roots are opened on first
// use and kept, by host path, until the FS is closed; a mount that leaves
// the policy is no longer reachable at the next operation.
//
// A mount point hides whatever the home holds at that path. The directories
// leading to a mount point ("/projects" for a mount at "/projects/x") need
// not exist: they appear in listings and Stat as directories either way.
// Mount points and the directories leading to them cannot be removed or
// renamed, and nothing moves between the home and a share or between two
// shares: a rename is one rename(2) inside one root or nothing.

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// shareRoots caches the open roots of shares by host path.
type shareRoots struct {
	mu     sync.Mutex
	roots  map[string]*os.Root
	closed bool
}

func (s *shareRoots) open(hostPath string) (*os.Root, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fs.ErrClosed
	}
	if r, ok := s.roots[hostPath]; ok {
		return r, nil
	}
	// The trailing "/." makes open(2) require a directory: a FIFO put in
	// the share's place would otherwise block it, with s.mu held.
	r, err := os.OpenRoot(hostPath + "/.")
	if err != nil {
		return nil, err
	}
	if s.roots == nil {
		s.roots = map[string]*os.Root{}
	}
	s.roots[hostPath] = r
	return r, nil
}

func (s *shareRoots) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, r := range s.roots {
		errs = append(errs, r.Close())
	}
	s.roots = nil
	return errors.Join(errs...)
}

// locate maps a checked virtual name to its root.
func (f *FS) locate(pol *user.Policy, name string) (*target, error) {
	t := &target{name: name, root: f.home, pol: pol}
	if pol != nil {
		if m, rel, ok := pol.Mount(name); ok {
			root, err := f.shares.open(m.HostPath)
			if err != nil {
				// The host path and the reason are for the administrator.
				f.log.Error("vfs: cannot open shared folder", "user", f.user, "share", m.Share, "err", err)
				return nil, errShareMissing
			}
			t.root, t.rel, t.share = root, rel, m.Share
			return t, nil
		}
	}
	if name == "/" {
		t.rel = "."
	} else {
		t.rel = name[1:]
	}
	return t, nil
}

// leadsToMount reports whether name is a directory that exists only to
// lead to a mount point: an ancestor of one, not a mount point itself.
func leadsToMount(pol *user.Policy, name string) bool {
	if pol == nil || !pol.IsMountPath(name) {
		return false
	}
	_, rel, ok := pol.Mount(name)
	return !ok || rel != "."
}

// syntheticDir describes a directory that leads to a mount point and does
// not exist on disk.
type syntheticDir struct {
	name  string
	mtime time.Time
}

func (d syntheticDir) Name() string       { return d.name }
func (d syntheticDir) Size() int64        { return 0 }
func (d syntheticDir) Mode() fs.FileMode  { return fs.ModeDir | 0o755 }
func (d syntheticDir) ModTime() time.Time { return d.mtime }
func (d syntheticDir) IsDir() bool        { return true }
func (d syntheticDir) Sys() any           { return nil }

// mountPathInfo describes a mount point or a directory leading to one: the
// directory on disk when there is one, else a synthetic directory.
func (f *FS) mountPathInfo(pol *user.Policy, name string) fs.FileInfo {
	if t, err := f.locate(pol, name); err == nil {
		if info, err := t.root.Stat(t.rel); err == nil && info.IsDir() {
			return namedInfo{info, base(name)}
		}
	}
	return syntheticDir{name: base(name), mtime: f.now()}
}

// mountEntries gives the listing entries that mount points create directly
// inside directory dir, and the set of names they take over from the disk.
func (f *FS) mountEntries(pol *user.Policy, dir string) ([]fs.DirEntry, map[string]bool) {
	if pol == nil {
		return nil, nil
	}
	names := pol.MountPointsBelow(dir)
	if len(names) == 0 {
		return nil, nil
	}
	taken := make(map[string]bool, len(names))
	var entries []fs.DirEntry
	for _, n := range names {
		taken[n] = true
		child := path.Join(dir, n)
		if !pol.Reachable(child) {
			continue
		}
		entries = append(entries, fs.FileInfoToDirEntry(f.mountPathInfo(pol, child)))
	}
	return entries, taken
}
