package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// Reply codes used by PublicErrors (RFC 959 section 4.2 unless noted).
const (
	codeNotTaken   = 550 // requested action not taken; file unavailable
	codeBadName    = 553 // requested action not taken; file name not allowed
	codeBadRestart = 554 // invalid REST parameter (RFC 3659 section 5.4)
	codeBadParam   = 501 // syntax error in parameters or arguments
	codeNoSpace    = 552 // requested file action aborted; exceeded storage allocation
	codeNoStorage  = 452 // requested action not taken; insufficient storage space in system
)

// PublicError is an error whose text may be shown to the FTP client. It
// wraps a standard sentinel so errors.Is keeps working.
type PublicError struct {
	Code int
	Text string
	Err  error
}

var _ ftp.PublicError = (*PublicError)(nil)

func (e *PublicError) Error() string { return e.Text }
func (e *PublicError) FTPCode() int  { return e.Code }
func (e *PublicError) Reply() string { return e.Text }
func (e *PublicError) Unwrap() error { return e.Err }

// Errors with fixed text. They carry no path, so one value serves everyone.
var (
	errBadName      = &PublicError{codeBadName, "File name not allowed.", fs.ErrInvalid}
	errIsDir        = &PublicError{codeNotTaken, "Is a directory.", syscall.EISDIR}
	errNotDir       = &PublicError{codeNotTaken, "Not a directory.", syscall.ENOTDIR}
	errNotRegular   = &PublicError{codeNotTaken, "Not a regular file.", fs.ErrInvalid}
	errNotEmpty     = &PublicError{codeNotTaken, "Directory not empty.", syscall.ENOTEMPTY}
	errRemoveHome   = &PublicError{codeNotTaken, "Cannot remove the home directory.", fs.ErrPermission}
	errRenameHome   = &PublicError{codeNotTaken, "Cannot rename the home directory.", fs.ErrPermission}
	errChmodHome    = &PublicError{codeNotTaken, "Cannot change the mode of the home directory.", fs.ErrPermission}
	errMountPoint   = &PublicError{codeNotTaken, "cannot remove or rename a shared folder's mount point", fs.ErrPermission}
	errChmodMount   = &PublicError{codeNotTaken, "Cannot change the mode of a shared folder's mount point.", fs.ErrPermission}
	errShareMissing = &PublicError{codeNotTaken, "Shared folder unavailable.", fs.ErrNotExist}
	errHomeShare    = &PublicError{codeBadName, "cannot move between a shared folder and your home: download and upload instead", fs.ErrPermission}
	errShareShare   = &PublicError{codeBadName, "cannot move between two shared folders: download and upload instead", fs.ErrPermission}
	errRulesInside  = &PublicError{codeNotTaken, "cannot rename a folder that has its own permission rules inside", fs.ErrPermission}
	errChmodBits    = &PublicError{codeBadParam, "Only permission bits 0-777 may be set.", fs.ErrInvalid}
	errRestartPast  = &PublicError{codeBadRestart, "Restart position beyond end of file.", fs.ErrInvalid}
	errRestartBad   = &PublicError{codeBadRestart, "Invalid restart position.", fs.ErrInvalid}
	errTargetChange = &PublicError{codeNotTaken, "File changed during the request; try again.", fs.ErrInvalid}
)

// ErrQuotaExceeded is wrapped by the 552 errors of a Meter refusing to store
// more, and ErrFileTooLarge by the refusal of a write beyond the largest
// file allowed.
var (
	ErrQuotaExceeded = errors.New("quota exceeded")
	ErrFileTooLarge  = errors.New("file too large")
)

// ErrNoSpace is wrapped, together with the operating system's error number,
// by the 452 error that replaces ENOSPC (the file system is full) and EDQUOT
// (the owner's disk quota on the host is used up). Both are conditions of
// the host that may pass, hence the transient 4xx code of RFC 959 section
// 4.2.2, unlike the 552 of a quota Bulwark enforces itself.
var ErrNoSpace = errors.New("insufficient storage space")

// ErrUploadFinished is returned by Write and Commit on an upload that was
// already committed or aborted.
var ErrUploadFinished = errors.New("upload already finished")

// errJail replaces os.Root's "path escapes from parent": the client only
// learns that it may not go there.
var errJail = fmt.Errorf("outside the home directory: %w", fs.ErrPermission)

// clean rewrites an error from the os package so that no host path appears
// in its text: the path inside is replaced by the client's virtual name.
// The wrapped errno stays, so errors.Is(err, fs.ErrNotExist) and friends
// still hold. An attempt to leave the jail is logged and becomes errJail.
func (f *FS) clean(o op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pub *PublicError
	if errors.As(err, &pub) {
		return pub
	}
	if full := noSpace(err); full != nil {
		return full
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: o.String(), Path: name, Err: f.inner(o, name, pe.Err)}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return &fs.PathError{Op: o.String(), Path: name, Err: f.inner(o, name, le.Err)}
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return &fs.PathError{Op: o.String(), Path: name, Err: se.Err}
	}
	// Anything else came from this package or carries no path.
	return err
}

// noSpace returns the 452 error for an error that says the host has no room
// left, and nil for any other.
func noSpace(err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) || (errno != syscall.ENOSPC && errno != syscall.EDQUOT) {
		return nil
	}
	return &PublicError{codeNoStorage, "Insufficient storage space.", fmt.Errorf("%w: %w", ErrNoSpace, errno)}
}

// inner keeps operating-system error numbers and standard sentinels, whose
// text never names a path. os.Root reports a path leaving the jail with an
// unexported error; other errors become fs.ErrInvalid.
func (f *FS) inner(o op, name string, err error) error {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return errno
	}
	for _, sentinel := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrInvalid, fs.ErrClosed} {
		if errors.Is(err, sentinel) {
			return sentinel
		}
	}
	// os.Root does not export its escape error; its text is the only way
	// to tell it from other non-errno errors (an unsupported file mode,
	// say), which are refused too but are no attack.
	if err.Error() == "path escapes from parent" {
		f.log.Warn("vfs: refused path outside the home directory", "op", o.String(), "path", name)
		return errJail
	}
	f.log.Debug("vfs: operation refused", "op", o.String(), "path", name, "err", err)
	return fs.ErrInvalid
}
