package vfs

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// NoSync skips only the flushes: what Commit places is the same, through
// the same temporary file and rename. (Durability itself cannot be tested
// without cutting the power.)
func TestNoSyncCommit(t *testing.T) {
	tests := []struct {
		name string
		prev string // "" for no previous version
		opts ftp.CreateOptions
		data string
		want string
	}{
		{"new file", "", ftp.CreateOptions{}, "hello", "hello"},
		{"replace", "old version", ftp.CreateOptions{}, "new", "new"},
		{"append", "abc", ftp.CreateOptions{Append: true}, "def", "abcdef"},
		{"resume", "abcXXX", ftp.CreateOptions{Offset: 3}, "def", "abcdef"},
		{"exclusive", "", ftp.CreateOptions{Exclusive: true}, "unique", "unique"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys, home, _ := newTestFSWith(t, Options{NoSync: true})
			target := filepath.Join(home, "f")
			if tc.prev != "" {
				writeHost(t, target, tc.prev)
			}
			u, err := fsys.Create("/f", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := u.Write([]byte(tc.data)); err != nil {
				t.Fatal(err)
			}
			if tc.prev != "" {
				if got := readHost(t, target); got != tc.prev {
					t.Errorf("target changed before Commit: %q", got)
				}
			} else if _, err := fsys.Stat("/f"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("name visible before Commit: %v", err)
			}
			if err := u.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := readHost(t, target); got != tc.want {
				t.Errorf("content %q, want %q", got, tc.want)
			}
			if err := u.Commit(); !errors.Is(err, ErrUploadFinished) {
				t.Errorf("second Commit: %v", err)
			}
			if tmp := tempFiles(t, home); len(tmp) != 0 {
				t.Errorf("temporary files left: %v", tmp)
			}
		})
	}
}

// A large upload starts early writeback only when it will be synced.
func TestNoSyncSkipsWriteback(t *testing.T) {
	data := make([]byte, 2*writebackChunk+1)
	rand.Read(data)
	for _, noSync := range []bool{false, true} {
		fsys, home, _ := newTestFSWith(t, Options{NoSync: noSync})
		up, err := fsys.Create("/big", ftp.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Write(data); err != nil {
			t.Fatal(err)
		}
		queued := up.(*upload).queued
		if noSync && queued != 0 {
			t.Errorf("NoSync: writeback started up to %d", queued)
		}
		if !noSync && queued == 0 {
			t.Error("sync: no writeback started")
		}
		if err := up.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := readHost(t, filepath.Join(home, "big")); got != string(data) {
			t.Errorf("nosync=%v: placed %d bytes, want %d identical", noSync, len(got), len(data))
		}
	}
}
