package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// CleanStaleUploads removes the temporary files of uploads that a crash
// interrupted: entries named TempPrefix+"..." anywhere under home whose
// modification time is older than now-olderThan. Younger ones may belong to
// uploads still running. The walk goes through an os.Root and does not follow
// symbolic links. It returns how many files it removed; an error for one
// entry does not stop the walk.
func CleanStaleUploads(home string, olderThan time.Duration, now time.Time) (int, error) {
	root, err := os.OpenRoot(home)
	if err != nil {
		return 0, fmt.Errorf("vfs: clean uploads: %w", err)
	}
	defer root.Close()
	cutoff := now.Add(-olderThan)
	removed := 0
	var errs walkErrors
	walkTree(root, func(name string, d fs.DirEntry, err error) {
		if err != nil {
			errs.add(err) // skip what cannot be read, keep walking
			return
		}
		if !d.Type().IsRegular() || !isTemp(d.Name()) {
			return
		}
		info, err := d.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs.add(err)
			}
			return
		}
		if !info.ModTime().Before(cutoff) {
			return
		}
		if err := root.Remove(name); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs.add(err)
			}
			return
		}
		removed++
	})
	if err := errs.err(); err != nil {
		return removed, fmt.Errorf("vfs: clean uploads: %w", err)
	}
	return removed, nil
}
