package vfs

// Safe uploads.
//
// Create never writes into the file a client names. It creates a hidden
// temporary file, ".bulwark-upload-<random hex>" (O_EXCL, mode 0640), in the
// same directory as the target, so that the final rename never crosses a file
// system. The directory is held open for the whole upload: if a parent is
// renamed or replaced by a symbolic link meanwhile, the upload still ends in
// the directory where it began, which is inside the jail.
//
// Commit flushes the temporary file to disk (fsync), renames it over the
// target in one step, and flushes the directory. Readers see the old version
// or the new one, never a mixture; of concurrent uploads to one name, the
// last to commit wins whole. With Options.NoSync both flushes (and the early
// writeback) are skipped: the rename is still atomic, but after a power
// failure the newest upload may be lost or empty.
//
// Abort never truncates or corrupts the previous version:
//   - no previous version existed: the partial data is placed under the
//     target name (unless someone created it meanwhile), so the client can
//     resume with REST+STOR or APPE;
//   - the upload only extends the previous version (Append, or Offset equal
//     to its size): the partial is committed, provided the previous version
//     is still the one the upload started from;
//   - otherwise (a fresh STOR over an existing file, or a restart before its
//     end) the temporary file is removed and the previous version stays
//     exactly as it was.
//
// An upload that received no data, or that a quota or a full disk stopped,
// leaves nothing behind when aborted.
//
// Rights (see perm.go) are judged once the target has been examined: a new
// name needs upload, an extension of the existing file (Append, or Offset
// equal to its size) needs append, anything else that touches an existing
// entry needs overwrite. Quotas (see quota.go) are reserved as data
// arrives; a write the quota refuses fails with 552.
//
// Resume: with Offset > 0 the temporary file starts as a copy of the first
// Offset bytes of the existing file (copy_file_range on Linux); an Offset
// beyond its end is refused with 554 (RFC 3659 section 5.4). Append starts
// from a copy of the whole file. A replacement keeps the permission bits of
// the version it replaces.
//
// Exclusive (STOU) refuses an existing name with fs.ErrExist, both when the
// upload starts and when it is committed: the final placement is a hard link,
// which never replaces. Where hard links are not supported the name is
// checked again just before the rename; an entry created in that instant
// would be replaced.
//
// Commit after Commit or Abort returns ErrUploadFinished; Abort after either
// does nothing. Targets that are directories, symbolic links or special files
// are refused. A crash leaves at most hidden temporary files, which
// CleanStaleUploads removes.

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Create starts an upload to name. Nothing is visible at name until Commit.
func (f *FS) Create(name string, opts ftp.CreateOptions) (ftp.Upload, error) {
	t, err := f.resolve(opWrite, name)
	if err != nil {
		return nil, err
	}
	if opts.Offset < 0 {
		return nil, errRestartBad
	}
	// The trailing "/." makes os.Root open the directory as a path
	// component, which must be a directory: without it, a FIFO in its
	// place would block open(2), and the session with it, until a writer
	// came, and a file would give an error that looks like an escape.
	dir, err := t.root.OpenRoot(path.Dir(t.rel) + "/.")
	if err != nil {
		return nil, f.clean(opWrite, name, err)
	}
	u := &upload{
		fs: f, name: name, dir: dir, base: path.Base(t.rel), exclusive: opts.Exclusive,
		pol: t.pol, th: newThrottle(f.upLim),
	}
	u.quota.meter = f.meter(t.share)
	if u.quota.meter != nil {
		u.quota.limits = u.quota.meter.Limits()
	}
	if err := u.start(opts); err != nil {
		u.quota.release()
		u.th.stop()
		u.discard()
		return nil, err
	}
	return u, nil
}

// upload is one Create in progress. Its methods may be called from several
// goroutines; they are serialised.
type upload struct {
	fs        *FS
	name      string   // virtual name, for errors
	dir       *os.Root // the target's directory, held for the whole upload
	base      string   // target name in dir
	tmp       string   // temporary name in dir; "" once gone
	file      *os.File // the temporary file; nil once closed
	prev      fs.FileInfo
	extends   bool // the upload keeps the whole previous version
	exclusive bool
	written   int64 // bytes received from the client
	queued    int64 // file offset up to which writeback was started
	pol       *user.Policy
	th        *throttle // nil: unlimited
	quota     uploadQuota
	refused   bool // a quota or a full disk stopped the upload: Abort keeps nothing
	placed    bool // the data is at the target name

	mu   sync.Mutex
	done bool
}

// start inspects the target, creates the temporary file and copies the kept
// prefix of the previous version.
func (u *upload) start(opts ftp.CreateOptions) error {
	prev, err := u.dir.Lstat(u.base)
	switch {
	case isNotExist(err):
		prev = nil
	case err != nil:
		return u.fail(err)
	case opts.Exclusive:
		return u.exists()
	}
	if err := u.fs.check(u.pol, u.needs(prev, opts), u.name); err != nil {
		return err
	}
	switch {
	case prev == nil:
	case prev.IsDir():
		return errIsDir
	case !prev.Mode().IsRegular():
		return errNotRegular
	}
	u.prev = prev

	var keep int64
	switch {
	case opts.Append:
		if prev != nil {
			keep = prev.Size()
		}
	case opts.Offset > 0:
		if prev == nil || opts.Offset > prev.Size() {
			return errRestartPast
		}
		keep = opts.Offset
	}
	u.extends = prev != nil && keep == prev.Size() && (opts.Append || opts.Offset > 0)

	u.quota.keep = keep
	if prev != nil {
		u.quota.oldSize = prev.Size()
	} else if err := u.quota.startNew(); err != nil {
		return err
	}
	if err := u.createTemp(); err != nil {
		return err
	}
	if prev != nil {
		// Keep the mode the owner gave the file; the open descriptor
		// still allows writing even if the bits do not.
		if err := u.file.Chmod(prev.Mode().Perm()); err != nil {
			return u.fail(err)
		}
	}
	if keep > 0 {
		return u.copyPrefix(keep)
	}
	return nil
}

// needs gives the operation whose right the upload needs over prev.
func (u *upload) needs(prev fs.FileInfo, opts ftp.CreateOptions) op {
	switch {
	case prev == nil:
		return opUpload
	case opts.Append || (opts.Offset > 0 && opts.Offset == prev.Size()):
		return opAppend
	}
	return opOverwrite
}

func (u *upload) createTemp() error {
	var b [12]byte
	for range 5 {
		rand.Read(b[:])
		name := TempPrefix + hex.EncodeToString(b[:])
		file, err := u.dir.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return u.fail(err)
		}
		u.tmp, u.file = name, file
		return nil
	}
	return u.fail(fs.ErrExist)
}

// copyPrefix copies the first n bytes of the previous version. Between two
// *os.File the copy runs in the kernel (copy_file_range on Linux).
func (u *upload) copyPrefix(n int64) error {
	src, err := u.dir.OpenFile(u.base, os.O_RDONLY|readFlags, 0)
	if err != nil {
		return u.fail(err)
	}
	defer src.Close()
	info, err := src.Stat()
	if err != nil {
		return u.fail(err)
	}
	if !os.SameFile(info, u.prev) {
		return errTargetChange
	}
	copied, err := io.Copy(u.file, io.LimitReader(src, n))
	if err != nil {
		return u.fail(err)
	}
	if copied != n {
		// The file shrank since it was examined.
		return errTargetChange
	}
	return nil
}

// Write stores data, waiting for the bandwidth limiter first (outside the
// lock, so that Abort can interrupt the wait).
func (u *upload) Write(p []byte) (int, error) {
	if u.th == nil {
		return u.write(p)
	}
	total := 0
	for len(p) > 0 {
		n := u.th.chunk(len(p))
		if err := u.th.wait(n); err != nil {
			if errors.Is(err, fs.ErrClosed) {
				err = ErrUploadFinished
			}
			return total, err
		}
		m, err := u.write(p[:n])
		total += m
		if err != nil {
			return total, err
		}
		p = p[n:]
	}
	return total, nil
}

func (u *upload) write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return 0, ErrUploadFinished
	}
	if err := u.quota.grow(u.quota.keep + u.written + int64(len(p))); err != nil {
		u.refused = true
		u.fs.log.Warn("upload refused by quota", "user", u.fs.user, "path", u.name, "err", err)
		return 0, err
	}
	n, err := u.file.Write(p)
	u.written += int64(n)
	if end := u.quota.keep + u.written; !u.fs.noSync && end-u.queued >= writebackChunk {
		startWriteback(u.file, u.queued, end-u.queued)
		u.queued = end
	}
	err = u.fail(err)
	if errors.Is(err, ErrNoSpace) {
		// A full disk, like a quota, leaves nothing behind: a partial
		// file would only take the space others need.
		u.refused = true
	}
	return n, err
}

// writebackChunk is how much written data an upload lets accumulate before
// it asks the kernel to start writing it to disk (see startWriteback).
const writebackChunk = 8 << 20

// Commit makes the upload visible at its name.
func (u *upload) Commit() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return ErrUploadFinished
	}
	u.done = true
	u.th.stop()
	defer u.discard()
	defer u.quota.release()
	if err := u.flush(); err != nil {
		return err
	}
	if u.exclusive {
		return u.settleAnd(u.placeNew)
	}
	return u.settleAnd(u.place)
}

// settleAnd accounts for the file about to be placed, places it with put
// and keeps the accounting only if it was placed.
func (u *upload) settleAnd(put func() error) error {
	cur, err := u.dir.Lstat(u.base)
	if err != nil {
		cur = nil
	}
	backBytes, backFiles, err := u.quota.settle(u.quota.keep+u.written, cur)
	if err != nil {
		return err
	}
	err = put()
	if u.placed {
		u.quota.placed(backBytes, backFiles)
	}
	return err
}

// Abort ends the upload following the rules at the top of this file.
func (u *upload) Abort() error {
	u.th.stop()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return nil
	}
	u.done = true
	defer u.discard()
	// Whatever is not placed gives its reservation back.
	defer u.quota.release()
	switch {
	case u.written == 0 || u.refused:
		return nil
	case u.prev == nil:
		if err := u.flush(); err != nil {
			return err
		}
		if err := u.settleAnd(u.placeNew); !errors.Is(err, fs.ErrExist) {
			return err
		}
		// Someone else's file now holds the name; it stays.
		return nil
	case u.extends:
		if !u.prevUnchanged() {
			return nil
		}
		if err := u.flush(); err != nil {
			return err
		}
		return u.settleAnd(u.place)
	}
	return nil
}

// prevUnchanged reports whether the target is still the version the upload
// started from, so keeping the partial cannot undo another client's commit.
// A commit landing between this check and the rename would be replaced by
// an extension of the older version; the window is one system call wide.
func (u *upload) prevUnchanged() bool {
	cur, err := u.dir.Lstat(u.base)
	return err == nil && os.SameFile(cur, u.prev) &&
		cur.Size() == u.prev.Size() && cur.ModTime().Equal(u.prev.ModTime())
}

// flush writes the temporary file's data to disk (unless NoSync) and
// closes it.
func (u *upload) flush() error {
	var err error
	if !u.fs.noSync {
		err = u.file.Sync()
	}
	if cerr := u.file.Close(); err == nil {
		err = cerr
	}
	u.file = nil
	return u.fail(err)
}

// place renames the temporary file over the target.
func (u *upload) place() error {
	if err := u.dir.Rename(u.tmp, u.base); err != nil {
		return u.fail(err)
	}
	u.tmp, u.placed = "", true
	return u.syncDir()
}

// placeNew gives the temporary file the target name only if the name is
// free. link(2) refuses an existing name, unlike rename(2).
func (u *upload) placeNew() error {
	err := u.dir.Link(u.tmp, u.base)
	switch {
	case err == nil:
		// discard removes the temporary name.
		u.placed = true
		return u.syncDir()
	case errors.Is(err, fs.ErrExist):
		return u.exists()
	}
	// No hard links here (some network and FAT file systems): check, then
	// rename.
	_, err = u.dir.Lstat(u.base)
	switch {
	case err == nil:
		return u.exists()
	case !isNotExist(err):
		return u.fail(err)
	}
	return u.place()
}

func (u *upload) exists() error {
	return &fs.PathError{Op: opWrite.String(), Path: u.name, Err: fs.ErrExist}
}

func (u *upload) syncDir() error {
	if u.fs.noSync {
		return nil
	}
	d, err := u.dir.Open(".")
	if err != nil {
		return u.fail(err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return u.fail(err)
}

// discard closes and removes whatever the upload still holds.
func (u *upload) discard() {
	if u.file != nil {
		u.file.Close()
		u.file = nil
	}
	if u.tmp != "" {
		if err := u.dir.Remove(u.tmp); err != nil && !isNotExist(err) {
			u.fs.log.Warn("vfs: cannot remove temporary upload file", "path", u.name, "err", u.fail(err))
		}
		u.tmp = ""
	}
	u.dir.Close()
}

// fail cleans an error for the client: no host path, the virtual name.
func (u *upload) fail(err error) error { return u.fs.clean(opWrite, u.name, err) }

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
