// Package vfs is one user's view of files: the user's home directory, opened
// as an os.Root jail, and the shared folders mounted into it, presented to
// the FTP engine as an ftp.FileSystem.
//
// Every method passes the client's virtual path ("/", "/a/b") through one
// function, resolve, which validates the name, asks check whether the
// operation is allowed under the user's current policy (perm.go), and maps
// the name to a root (the home or a share, mounts.go) and a root-relative
// name. All file system access then goes through that *os.Root, so "..",
// absolute paths and symbolic links cannot lead outside the home or the
// share. Uploads are atomic (upload.go), counted against quotas (quota.go)
// and, like downloads, paced by the user's bandwidth limits (ratelimit.go).
package vfs

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// TempPrefix starts the base name of every temporary upload file. Such names
// are hidden from listings and refused as client file names.
const TempPrefix = ".bulwark-upload-"

// Limits on client names. Most file systems refuse elements longer than 255
// bytes; the path bound keeps resolution work small.
const (
	maxElemLen = 255
	maxPathLen = 4096
)

// DirMode is the mode of the directories Bulwark creates (homes, MKD,
// shares): the server's group may read (for backups), others get nothing.
const DirMode fs.FileMode = 0o750

const (
	dirPerm              = DirMode
	filePerm fs.FileMode = 0o640
)

// Options configure an FS. The zero value is usable: full rights in the
// home, no shared folders, no quotas, no bandwidth limits.
type Options struct {
	// CreateHome creates the home directory (mode 0750) when it is missing.
	CreateHome bool
	// Now is the clock for time-dependent rules; nil means time.Now.
	Now func() time.Time
	// Logger receives security events such as attempts to leave the jail
	// and refused operations; nil discards them.
	Logger *slog.Logger
	// User names the user in log lines.
	User string
	// Policy gives the user's current rights and shared folders. It is
	// called at every operation, so a change made by an administrator
	// applies from the next command on. A nil Policy means full rights in
	// the home and no shared folders; a Policy that returns nil means no
	// rights at all.
	Policy func() *user.Policy
	// Meter gives the usage meter of the home (share == "") or of the named
	// share. A nil Meter, or a nil result, means no accounting.
	Meter func(share string) Meter
	// UploadLimiter and DownloadLimiter pace the user's transfers, shared
	// by all of the user's sessions; nil is unlimited. A finite limiter
	// needs a burst of at least 1.
	UploadLimiter   *rate.Limiter
	DownloadLimiter *rate.Limiter
	// NoSync makes Commit skip the fsync of the upload and of its
	// directory (and the early writeback that prepares it): uploads are
	// faster, but the newest one may be lost or empty after a power
	// failure. The temporary file, the atomic rename and the abort rules
	// stay the same, so the previous version is never destroyed.
	NoSync bool
}

// FS is one user's file system. It is safe for concurrent use.
type FS struct {
	home    *os.Root
	now     func() time.Time
	log     *slog.Logger
	user    string
	policy  func() *user.Policy
	meters  func(share string) Meter
	upLim   *rate.Limiter
	downLim *rate.Limiter
	noSync  bool
	shares  shareRoots
}

var (
	_ ftp.FileSystem = (*FS)(nil)
	_ ftp.PermFacter = (*FS)(nil)
)

// New opens home as the jail of a new FS.
func New(home string, opts Options) (*FS, error) {
	if opts.CreateHome {
		// MkdirAll leaves an existing directory alone and does not change
		// its mode.
		if err := os.MkdirAll(home, dirPerm); err != nil {
			return nil, fmt.Errorf("vfs: create home: %w", err)
		}
	}
	root, err := os.OpenRoot(home)
	if err != nil {
		return nil, fmt.Errorf("vfs: open home: %w", err)
	}
	f := &FS{
		home:    root,
		now:     opts.Now,
		log:     opts.Logger,
		user:    opts.User,
		policy:  opts.Policy,
		meters:  opts.Meter,
		upLim:   opts.UploadLimiter,
		downLim: opts.DownloadLimiter,
		noSync:  opts.NoSync,
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	return f, nil
}

// Close releases the home directory and the shared folders opened so far.
// Uploads and files already open keep working on their own descriptors.
func (f *FS) Close() error {
	err := f.home.Close()
	if serr := f.shares.close(); err == nil {
		err = serr
	}
	return err
}

// currentPolicy asks for the policy of this operation. nil stands for full
// rights in the home without shared folders.
func (f *FS) currentPolicy() *user.Policy {
	if f.policy == nil {
		return nil
	}
	if p := f.policy(); p != nil {
		return p
	}
	// A provider that has no policy to give fails closed.
	return &user.Policy{}
}

// op names an operation for check and for error messages.
type op int

const (
	opStat op = iota
	opStatFile
	opList
	opRead
	opWrite
	opUpload
	opOverwrite
	opAppend
	opMkdir
	opRemove
	opRmdir
	opRenameFrom
	opRenameTo
	opPlaceFile
	opPlaceDir
	opReplace
	opChtimes
	opChmod
)

var opNames = [...]string{
	opStat:       "stat",
	opStatFile:   "stat",
	opList:       "list",
	opRead:       "open",
	opWrite:      "create",
	opUpload:     "create",
	opOverwrite:  "create",
	opAppend:     "create",
	opMkdir:      "mkdir",
	opRemove:     "remove",
	opRmdir:      "rmdir",
	opRenameFrom: "rename",
	opRenameTo:   "rename",
	opPlaceFile:  "rename",
	opPlaceDir:   "rename",
	opReplace:    "rename",
	opChtimes:    "chtimes",
	opChmod:      "chmod",
}

func (o op) String() string { return opNames[o] }

// creates reports whether o brings a new name into existence.
func (o op) creates() bool { return o == opWrite || o == opMkdir || o == opRenameTo }

// target is a virtual name after resolution.
type target struct {
	name  string       // the virtual name
	root  *os.Root     // the home or a share
	rel   string       // name relative to root; "." for the root itself
	share string       // "" for the home, else the share's name
	pol   *user.Policy // the policy the operation was checked against
}

// resolve is the one gate of every operation: it validates the virtual name,
// applies check with the current policy, and locates the root holding the
// entry and the name relative to it.
func (f *FS) resolve(o op, name string) (*target, error) {
	return f.resolveWith(f.currentPolicy(), o, name)
}

// resolveWith is resolve under a given policy, so that the two names of a
// rename are judged by the same one.
func (f *FS) resolveWith(pol *user.Policy, o op, name string) (*target, error) {
	if err := validName(o, name); err != nil {
		return nil, err
	}
	if err := f.check(pol, o, name); err != nil {
		return nil, err
	}
	return f.locate(pol, name)
}

// validName refuses names the engine should never send and names no client
// may create: NUL bytes, over-long elements, and the reserved temporary
// prefix. Backslash is an ordinary character.
func validName(o op, name string) error {
	if len(name) == 0 || name[0] != '/' || len(name) > maxPathLen ||
		strings.IndexByte(name, 0) >= 0 {
		return errBadName
	}
	if name == "/" {
		return nil
	}
	for elem := range strings.SplitSeq(name[1:], "/") {
		switch {
		case elem == "" || elem == "." || elem == "..":
			// Not a cleaned path: the engine broke its promise.
			return errBadName
		case len(elem) > maxElemLen:
			return errBadName
		case strings.HasPrefix(elem, TempPrefix):
			if o.creates() {
				return errBadName
			}
			// In-flight uploads do not exist as far as clients know.
			return &fs.PathError{Op: o.String(), Path: name, Err: fs.ErrNotExist}
		}
	}
	return nil
}

// namedInfo replaces the Name of a FileInfo, so that the host's name of the
// home directory never reaches a client.
type namedInfo struct {
	fs.FileInfo
	name string
}

func (i namedInfo) Name() string { return i.name }

// isTemp reports whether a directory entry is an upload in progress.
func isTemp(base string) bool { return strings.HasPrefix(base, TempPrefix) }
