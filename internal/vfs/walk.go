package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// walkChunk is how many entries a walk reads from a directory at a time.
const walkChunk = 256

// walkTree calls fn for every entry below the top of root (not for the top
// itself), with its name relative to root. Symbolic links are reported,
// never followed. An error opening or reading a directory is passed to fn
// with a nil entry, and the walk goes on with the rest.
//
// Unlike fs.WalkDir, which reads each directory whole and sorts it, the
// walk reads entries in chunks, so a directory of a million files costs a
// chunk of memory, not the directory: only the names of subdirectories
// wait for their turn. The server walks every home at start-up and counts
// usage at first login, so a client who filled a directory cannot make it
// hold that directory in memory.
func walkTree(root *os.Root, fn func(rel string, d fs.DirEntry, err error)) {
	pending := []string{"."}
	for len(pending) > 0 {
		dir := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		pending = walkDir(root, dir, pending, fn)
	}
}

// walkDir reports the entries of one directory and returns pending with
// its subdirectories added.
func walkDir(root *os.Root, dir string, pending []string, fn func(string, fs.DirEntry, error)) []string {
	// A directory that became a link since it was listed is not followed.
	f, err := root.OpenFile(dir, os.O_RDONLY|dirFlags|noFollowFlag, 0)
	if err != nil {
		fn(dir, nil, err)
		return pending
	}
	defer f.Close()
	for {
		entries, err := f.ReadDir(walkChunk)
		for _, d := range entries {
			rel := path.Join(dir, d.Name())
			fn(rel, d, nil)
			if d.IsDir() {
				pending = append(pending, rel)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(entries) == 0) {
			return pending
		}
		if err != nil {
			fn(dir, nil, err)
			return pending
		}
	}
}

// walkErrors keeps the first few errors of a walk and counts the rest, so
// that a tree of unreadable entries cannot grow the list without end.
type walkErrors struct {
	first []error
	more  int
}

const walkErrorsKept = 10

func (w *walkErrors) add(err error) {
	if len(w.first) < walkErrorsKept {
		w.first = append(w.first, err)
		return
	}
	w.more++
}

// err joins the kept errors; nil when there were none.
func (w *walkErrors) err() error {
	errs := w.first
	if w.more > 0 {
		errs = append(errs, fmt.Errorf("and %d more errors", w.more))
	}
	return errors.Join(errs...)
}
