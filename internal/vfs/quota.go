package vfs

// Quotas.
//
// The home and each share have a usage meter (Options.Meter). Bytes and
// files count regular files only; temporary upload files do not count. An
// upload reserves, as its data arrives, only the growth beyond the size of
// the file it replaces, so replacing a file with one of the same size works
// at the quota's edge; a new file reserves its file count before any data.
// Commit keeps what the placed file holds and corrects for any difference
// (the previous version may have changed meanwhile); Abort gives back all
// that does not stay. Remove gives a file's bytes and count back. Because a
// meter applies each change atomically and refuses any that would go over a
// limit, concurrent uploads cannot together overshoot a quota.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Meter keeps the usage of a home or a share.
type Meter interface {
	// Add applies a change in bytes and files atomically. A positive change
	// that would exceed Limits().MaxBytes or MaxFiles is refused with a 552
	// *PublicError wrapping ErrQuotaExceeded, and nothing is applied.
	// Negative changes always succeed.
	Add(bytes, files int64) error
	Limits() user.Limits
	Usage() user.Usage
}

// MemMeter is a Meter kept in memory. It is safe for concurrent use.
type MemMeter struct {
	mu     sync.Mutex
	limits user.Limits
	usage  user.Usage
}

var _ Meter = (*MemMeter)(nil)

// NewMemMeter returns a meter with the given limits and starting usage.
func NewMemMeter(limits user.Limits, usage user.Usage) *MemMeter {
	return &MemMeter{limits: limits, usage: usage}
}

// Add implements Meter. Usage never drops below zero, so a meter started
// from a count that missed something cannot go negative.
func (m *MemMeter) Add(bytes, files int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, l := m.usage, m.limits
	if bytes > 0 && l.MaxBytes > 0 && u.Bytes+bytes > l.MaxBytes {
		return quotaError(fmt.Sprintf("quota exceeded: %d more bytes would go over the limit of %d bytes (%d in use)",
			bytes, l.MaxBytes, u.Bytes))
	}
	if files > 0 && l.MaxFiles > 0 && u.Files+files > l.MaxFiles {
		return quotaError(fmt.Sprintf("quota exceeded: the limit of %d files is reached", l.MaxFiles))
	}
	m.usage.Bytes = max(0, u.Bytes+bytes)
	m.usage.Files = max(0, u.Files+files)
	return nil
}

// Limits implements Meter.
func (m *MemMeter) Limits() user.Limits {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.limits
}

// Usage implements Meter.
func (m *MemMeter) Usage() user.Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usage
}

// SetLimits changes the limits; usage already over a new limit stays, and
// only further growth is refused.
func (m *MemMeter) SetLimits(l user.Limits) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limits = l
}

// SetUsage replaces the usage, for example with a fresh CountUsage.
func (m *MemMeter) SetUsage(u user.Usage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usage = u
}

func quotaError(text string) *PublicError {
	return &PublicError{codeNoSpace, text, ErrQuotaExceeded}
}

func fileTooLarge(limit int64) *PublicError {
	return &PublicError{codeNoSpace, fmt.Sprintf("File too large: limit %d bytes", limit), ErrFileTooLarge}
}

// CountUsage counts the regular files under host directory dir and their
// bytes. The walk goes through an os.Root and does not follow symbolic
// links; temporary upload files are left out. Entries that cannot be read
// are skipped and reported in the error; Known is set only when the count
// is complete.
func CountUsage(dir string) (user.Usage, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return user.Usage{}, fmt.Errorf("vfs: count usage: %w", err)
	}
	defer root.Close()
	var u user.Usage
	var errs walkErrors
	walkTree(root, func(_ string, d fs.DirEntry, err error) {
		if err != nil {
			errs.add(err)
			return
		}
		if !d.Type().IsRegular() || isTemp(d.Name()) {
			return
		}
		info, err := d.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs.add(err)
			}
			return
		}
		u.Bytes += info.Size()
		u.Files++
	})
	if err := errs.err(); err != nil {
		return u, fmt.Errorf("vfs: count usage: %w", err)
	}
	u.Known = true
	return u, nil
}

// meter returns the meter of the home (share == "") or of a share; nil for
// none.
func (f *FS) meter(share string) Meter {
	if f.meters == nil {
		return nil
	}
	return f.meters(share)
}

// release gives back what a removed or replaced entry held.
func (f *FS) release(share string, info fs.FileInfo) {
	if !info.Mode().IsRegular() {
		return
	}
	if m := f.meter(share); m != nil {
		m.Add(-info.Size(), -1) // giving back always succeeds
	}
}

// uploadQuota accounts for one upload: what it reserved so far and what
// it may still take.
type uploadQuota struct {
	meter    Meter // nil: no accounting
	limits   user.Limits
	oldSize  int64 // size of the version being replaced; 0 for a new file
	keep     int64 // bytes of the previous version the upload starts from
	reserved int64 // bytes added to the meter so far, >= 0
	files    int64 // files added to the meter so far, 0 or 1
}

// startNew counts the new file before any data arrives.
func (q *uploadQuota) startNew() error {
	if q.meter == nil {
		return nil
	}
	if err := q.meter.Add(0, 1); err != nil {
		return err
	}
	q.files = 1
	return nil
}

// grow reserves room for a file that will be size bytes long.
func (q *uploadQuota) grow(size int64) error {
	if q.limits.MaxFileSize > 0 && size > q.limits.MaxFileSize {
		return fileTooLarge(q.limits.MaxFileSize)
	}
	if q.meter == nil {
		return nil
	}
	need := max(0, size-q.oldSize) - q.reserved
	if need <= 0 {
		return nil
	}
	if err := q.meter.Add(need, 0); err != nil {
		return err
	}
	q.reserved += need
	return nil
}

// settle is called just before a file of size bytes is placed over cur
// (nil when the name is free). It reserves any further room that takes and
// returns the amounts to give back once the file is placed.
func (q *uploadQuota) settle(size int64, cur fs.FileInfo) (backBytes, backFiles int64, err error) {
	if q.meter == nil {
		return 0, 0, nil
	}
	wantBytes, wantFiles := size, int64(1)
	if cur != nil && cur.Mode().IsRegular() {
		wantBytes, wantFiles = size-cur.Size(), 0
	}
	dBytes, dFiles := wantBytes-q.reserved, wantFiles-q.files
	if dBytes > 0 || dFiles > 0 {
		if err := q.meter.Add(max(dBytes, 0), max(dFiles, 0)); err != nil {
			return 0, 0, err
		}
		q.reserved += max(dBytes, 0)
		q.files += max(dFiles, 0)
	}
	return max(-dBytes, 0), max(-dFiles, 0), nil
}

// placed gives back what settle found too much, once the file is in place;
// the reservation then belongs to the file.
func (q *uploadQuota) placed(backBytes, backFiles int64) {
	if q.meter != nil && (backBytes > 0 || backFiles > 0) {
		q.meter.Add(-backBytes, -backFiles)
	}
	q.reserved, q.files = 0, 0
}

// release gives back everything reserved, for an upload that leaves
// nothing behind.
func (q *uploadQuota) release() {
	if q.meter != nil && (q.reserved > 0 || q.files > 0) {
		q.meter.Add(-q.reserved, -q.files)
	}
	q.reserved, q.files = 0, 0
}
