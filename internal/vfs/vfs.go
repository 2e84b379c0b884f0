// Package vfs is one user's view of files: the user's home directory, opened
// as an os.Root jail, presented to the FTP engine as an ftp.FileSystem.
//
// Every method passes the client's virtual path ("/", "/a/b") through one
// function, resolve, which validates the name, asks check whether the
// operation is allowed, and maps the name to a root and a root-relative name.
// All file system access then goes through that *os.Root, so "..", absolute
// paths and symbolic links cannot lead outside the home. Shared folders
// mounted at virtual paths and per-path permissions slot into resolve and
// check without touching the methods.
package vfs

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
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

const (
	dirPerm  fs.FileMode = 0o750
	filePerm fs.FileMode = 0o640
)

// Options configure an FS. The zero value is usable.
type Options struct {
	// CreateHome creates the home directory (mode 0750) when it is missing.
	CreateHome bool
	// Now is the clock for time-dependent rules; nil means time.Now.
	Now func() time.Time
	// Logger receives security events such as attempts to leave the jail;
	// nil discards them.
	Logger *slog.Logger
}

// FS is one user's file system. It is safe for concurrent use.
type FS struct {
	home *os.Root
	now  func() time.Time
	log  *slog.Logger
}

var _ ftp.FileSystem = (*FS)(nil)

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
	f := &FS{home: root, now: opts.Now, log: opts.Logger}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	return f, nil
}

// Close releases the home directory. Uploads and files already open keep
// working on their own descriptors.
func (f *FS) Close() error { return f.home.Close() }

// op names an operation for check and for error messages.
type op int

const (
	opStat op = iota
	opList
	opRead
	opWrite
	opMkdir
	opRemove
	opRmdir
	opRenameFrom
	opRenameTo
	opChtimes
	opChmod
)

var opNames = [...]string{
	opStat:       "stat",
	opList:       "list",
	opRead:       "open",
	opWrite:      "create",
	opMkdir:      "mkdir",
	opRemove:     "remove",
	opRmdir:      "rmdir",
	opRenameFrom: "rename",
	opRenameTo:   "rename",
	opChtimes:    "chtimes",
	opChmod:      "chmod",
}

func (o op) String() string { return opNames[o] }

// creates reports whether o brings a new name into existence.
func (o op) creates() bool { return o == opWrite || o == opMkdir || o == opRenameTo }

// resolve is the one gate of every operation: it validates the virtual name,
// applies check, and returns the root holding the entry and the name relative
// to it ("." for the root itself).
func (f *FS) resolve(o op, name string) (*os.Root, string, error) {
	if err := validName(o, name); err != nil {
		return nil, "", err
	}
	if err := f.check(o, name); err != nil {
		return nil, "", err
	}
	if name == "/" {
		return f.home, ".", nil
	}
	return f.home, name[1:], nil
}

// check decides whether operation o may touch name. Today it only refuses
// operations on the home directory itself that make no sense; per-path
// permissions belong here.
func (f *FS) check(o op, name string) error {
	if name != "/" {
		return nil
	}
	switch o {
	case opMkdir:
		return &fs.PathError{Op: o.String(), Path: name, Err: fs.ErrExist}
	case opWrite:
		return errIsDir
	case opRemove, opRmdir:
		return errRemoveHome
	case opRenameFrom, opRenameTo:
		return errRenameHome
	case opChmod:
		return errChmodHome
	}
	return nil
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
