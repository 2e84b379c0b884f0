package vfs

// Permissions.
//
// Every operation is judged by check, by its virtual path, against the
// policy of the moment (user.Policy: the longest covering rule decides).
// What each operation needs:
//
//	Stat        the path must be reachable (a right at it or below it);
//	            for anything but a directory also list or download
//	OpenDir     list
//	Open        download
//	Create      upload for a new file; append to extend an existing file
//	            (APPE, or REST at its end); overwrite to replace one or to
//	            restart before its end
//	Mkdir       mkdir          Remove   delete        Rmdir  rmdir
//	Rename      rename at the source; at the destination upload (a file)
//	            or mkdir (a directory), and overwrite if it exists
//	Chmod       chmod          Chtimes  mtime
//
// What a user may not see is not confirmed: on a path that is not
// reachable, operations that look for an existing entry answer "No such
// file or directory" whether or not something is there, and operations
// that create one answer "Permission denied: no access". Listings leave
// such entries out. Refusals of operations on visible paths say
// "Permission denied: " and what the user may do there ("upload only").
// Judgements never depend on what exists on disk, except where the needed
// right does (Stat of a directory, Create over an existing file, the
// destination of a rename); those are settled by a second call to check.
//
// A directory is renamed only if no rule lies strictly inside it or
// inside the destination: rules follow paths, not content, so such a
// move would change what the rules protect.

import (
	"io/fs"
	"strings"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// needs gives the rights operation o requires; anyOf means one of them is
// enough.
func (o op) needs() (rights user.Rights, anyOf bool) {
	switch o {
	case opStatFile:
		return user.RightList | user.RightDownload, true
	case opList:
		return user.RightList, false
	case opRead:
		return user.RightDownload, false
	case opWrite:
		return user.RightUpload | user.RightOverwrite | user.RightAppend, true
	case opUpload, opPlaceFile:
		return user.RightUpload, false
	case opOverwrite, opReplace:
		return user.RightOverwrite, false
	case opAppend:
		return user.RightAppend, false
	case opMkdir, opPlaceDir:
		return user.RightMkdir, false
	case opRemove:
		return user.RightDelete, false
	case opRmdir:
		return user.RightRmdir, false
	case opRenameFrom:
		return user.RightRename, false
	case opRenameTo:
		return user.RightUpload | user.RightMkdir, true
	case opChtimes:
		return user.RightMtime, false
	case opChmod:
		return user.RightChmod, false
	}
	return user.RightsNone, false
}

// allowedBy reports whether rights r suffice for o.
func (o op) allowedBy(r user.Rights) bool {
	need, anyOf := o.needs()
	if anyOf {
		return r&need != 0
	}
	return r.Has(need)
}

// missing names the right o lacks, for the log.
func (o op) missing() string {
	need, anyOf := o.needs()
	if need == user.RightsNone {
		return "any"
	}
	sep := ", "
	if anyOf {
		sep = " or "
	}
	return strings.Join(need.Names(), sep)
}

// check decides whether operation o may touch name under pol. It does no
// I/O.
func (f *FS) check(pol *user.Policy, o op, name string) error {
	if !reachable(pol, name) {
		f.log.Warn("permission denied", "user", f.user, "path", name, "op", o.String(), "missing", "any")
		if o.creates() {
			return deniedError(user.RightsNone)
		}
		return &fs.PathError{Op: o.String(), Path: name, Err: fs.ErrNotExist}
	}
	if err := fixedPaths(pol, o, name); err != nil {
		return err
	}
	r := rightsAt(pol, name)
	if !o.allowedBy(r) {
		f.log.Warn("permission denied", "user", f.user, "path", name, "op", o.String(), "missing", o.missing())
		return deniedError(r)
	}
	return nil
}

// fixedPaths refuses what makes no sense on the home directory and what
// would break a shared folder's mount point or the directories leading to
// it, whatever the rights.
func fixedPaths(pol *user.Policy, o op, name string) error {
	if name == "/" {
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
	if pol == nil || !pol.IsMountPath(name) {
		return nil
	}
	switch o {
	case opRemove, opRmdir, opRenameFrom, opRenameTo:
		return errMountPoint
	case opMkdir:
		return &fs.PathError{Op: o.String(), Path: name, Err: fs.ErrExist}
	case opWrite:
		return errIsDir
	case opChmod:
		if _, rel, ok := pol.Mount(name); ok && rel == "." {
			return errChmodMount
		}
	}
	return nil
}

func deniedError(r user.Rights) *PublicError {
	return &PublicError{codeNotTaken, "Permission denied: " + r.Describe(), fs.ErrPermission}
}

func rightsAt(pol *user.Policy, name string) user.Rights {
	if pol == nil {
		return user.RightsAll
	}
	return pol.Rights(name)
}

func reachable(pol *user.Policy, name string) bool {
	return pol == nil || pol.Reachable(name)
}

// rulesInside reports whether a rule or a mount point lies strictly below
// dir.
func rulesInside(pol *user.Policy, dir string) bool {
	if pol == nil {
		return false
	}
	for _, r := range pol.Effective() {
		if r.Path != dir && user.Covers(dir, r.Path) {
			return true
		}
	}
	for _, m := range pol.Mounts() {
		if m.At != dir && user.Covers(dir, m.At) {
			return true
		}
	}
	return false
}

// PermFact gives the RFC 3659 section 7.5.5 "perm" fact of the entry at
// virtual path name, from the rights at that path. Files: a (append),
// d (delete), f (rename), r (download), w (overwrite). Directories:
// c (create files), d (remove), e (enter), f (rename), l (list),
// m (make directories), p (delete files inside). The home and mount points
// are never removable nor renamable.
//
// An entry of a listing is judged under the policy the listing was opened
// with (see listedEntry), so a listing asks for the policy once.
func (f *FS) PermFact(name string, info fs.FileInfo) string {
	pol, ok := listingPolicy(info)
	if !ok {
		pol = f.currentPolicy()
	}
	if validName(opStat, name) != nil || !reachable(pol, name) {
		return ""
	}
	r := rightsAt(pol, name)
	fixed := name == "/" || (pol != nil && pol.IsMountPath(name))
	var b strings.Builder
	add := func(letter byte, ok bool) {
		if ok {
			b.WriteByte(letter)
		}
	}
	if info != nil && info.IsDir() {
		add('c', r.Has(user.RightUpload))
		add('d', r.Has(user.RightRmdir) && !fixed)
		add('e', true)
		add('f', r.Has(user.RightRename) && !fixed && !rulesInside(pol, name))
		add('l', r.Has(user.RightList))
		add('m', r.Has(user.RightMkdir))
		add('p', r.Has(user.RightDelete))
		return b.String()
	}
	add('a', r.Has(user.RightAppend))
	add('d', r.Has(user.RightDelete) && !fixed)
	add('f', r.Has(user.RightRename) && !fixed)
	add('r', r.Has(user.RightDownload))
	add('w', r.Has(user.RightOverwrite))
	return b.String()
}
