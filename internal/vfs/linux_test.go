//go:build linux

package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/user"
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
	// Below the FIFO: opening it as the upload's directory must fail at
	// once, not wait for a writer.
	done := make(chan error, 1)
	go func() {
		_, err := fsys.Create("/fifo/x", ftp.CreateOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("Create(fifo/x) = %v, want not a directory", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the open so that the test can end.
		if w, err := os.OpenFile(filepath.Join(home, "fifo"), os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("Create(fifo/x) blocked on the FIFO")
	}
}

// A FIFO in place of a shared folder makes the share unavailable at once;
// opening it must not block the session.
func TestShareReplacedByFIFO(t *testing.T) {
	s := newShareSetup(t, user.RightsAll)
	if err := os.RemoveAll(s.y); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(s.y, 0o640); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.fsys.Stat("/y/f")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errShareMissing) {
			t.Errorf("Stat in a share that is a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(s.y, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("opening a share that is a FIFO blocked")
	}
}
