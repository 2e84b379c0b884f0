//go:build linux

package vfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestChtimesKeepsAtime(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	p := filepath.Join(home, "g")
	writeHost(t, p, "x")
	atime := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(p, atime, atime); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := fsys.Chtimes("/g", mtime); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !info.ModTime().Equal(mtime) {
		t.Errorf("mtime %v, want %v", info.ModTime(), mtime)
	}
	st := info.Sys().(*syscall.Stat_t)
	if got := time.Unix(st.Atim.Unix()); !got.Equal(atime) {
		t.Errorf("atime changed to %v", got)
	}
	if err := fsys.Chtimes("/g", time.Time{}); err == nil {
		t.Error("Chtimes with zero time accepted")
	}
}

// A FIFO planted in a home must not hang a session, neither as a download
// nor as a listing.
func TestFIFORefused(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	if err := syscall.Mkfifo(filepath.Join(home, "fifo"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Open("/fifo", 0); err != errNotRegular {
		t.Errorf("Open(fifo) = %v, want %v", err, errNotRegular)
	}
	if _, err := fsys.OpenDir("/fifo"); err == nil {
		t.Error("OpenDir(fifo) succeeded")
	}
	if _, err := fsys.Create("/fifo", ftpOptsAppend); err != errNotRegular {
		t.Errorf("Create(fifo) = %v, want %v", err, errNotRegular)
	}
}
