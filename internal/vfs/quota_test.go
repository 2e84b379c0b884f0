package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// quotaFS returns an FS with full rights whose home has the given limits.
func quotaFS(t *testing.T, limits user.Limits) (*FS, string, *MemMeter) {
	t.Helper()
	m := NewMemMeter(limits, user.Usage{Known: true})
	fsys, home, _ := policyFS(t, policyOf(t, []string{"/=all"}, nil, nil), Options{
		Meter: func(share string) Meter {
			if share == "" {
				return m
			}
			return nil
		},
	})
	return fsys, home, m
}

// wantUsage compares the meter with what it should hold and with a fresh
// count of the home.
func wantUsage(t *testing.T, m *MemMeter, home string, bytes, files int64) {
	t.Helper()
	u := m.Usage()
	if u.Bytes != bytes || u.Files != files {
		t.Errorf("meter %d bytes %d files, want %d and %d", u.Bytes, u.Files, bytes, files)
	}
	c, err := CountUsage(home)
	if err != nil {
		t.Fatal(err)
	}
	if c.Bytes != u.Bytes || c.Files != u.Files {
		t.Errorf("meter %+v disagrees with the disk %+v", u, c)
	}
}

func wantQuotaError(t *testing.T, what string, err error, sentinel error, text string) {
	t.Helper()
	var pub *PublicError
	if !errors.As(err, &pub) || pub.Code != 552 || !errors.Is(err, sentinel) || !strings.HasPrefix(pub.Text, text) {
		t.Errorf("%s: %v, want 552 %q...", what, err, text)
	}
}

// store writes data in pieces of n bytes and commits; on a write error
// it aborts and returns the error.
func store(fsys *FS, name string, opts ftp.CreateOptions, data string, n int) error {
	u, err := fsys.Create(name, opts)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		k := min(n, len(data))
		if _, err := u.Write([]byte(data[:k])); err != nil {
			if aerr := u.Abort(); aerr != nil {
				return aerr
			}
			return err
		}
		data = data[k:]
	}
	return u.Commit()
}

func TestQuotaBytes(t *testing.T) {
	fsys, home, m := quotaFS(t, user.Limits{MaxBytes: 10})
	if err := store(fsys, "/a", ftp.CreateOptions{}, "1234", 3); err != nil {
		t.Fatal(err)
	}
	// Exactly at the limit.
	if err := store(fsys, "/b", ftp.CreateOptions{}, "123456", 3); err != nil {
		t.Fatalf("upload to the limit: %v", err)
	}
	wantUsage(t, m, home, 10, 2)
	// One byte over: the write is refused as it happens, and nothing is
	// left behind.
	u, err := fsys.Create("/c", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = u.Write([]byte("x"))
	wantQuotaError(t, "one byte over", err, ErrQuotaExceeded, "quota exceeded: ")
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(home, "c")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused upload left a file: %v", err)
	}
	if tmp := tempFiles(t, home); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	wantUsage(t, m, home, 10, 2)
	// Replacing a file with one of the same size works at the limit.
	if err := store(fsys, "/b", ftp.CreateOptions{}, "abcdef", 2); err != nil {
		t.Fatalf("overwrite at the limit: %v", err)
	}
	wantUsage(t, m, home, 10, 2)
	// A larger replacement is refused and the old version stays.
	err = store(fsys, "/b", ftp.CreateOptions{}, "ABCDEFG", 2)
	wantQuotaError(t, "larger overwrite", err, ErrQuotaExceeded, "quota exceeded: ")
	if got := readHost(t, filepath.Join(home, "b")); got != "abcdef" {
		t.Errorf("previous version %q", got)
	}
	wantUsage(t, m, home, 10, 2)
	// Appending over the limit keeps nothing of the append.
	err = store(fsys, "/a", ftp.CreateOptions{Append: true}, "5", 1)
	wantQuotaError(t, "append", err, ErrQuotaExceeded, "quota exceeded: ")
	if got := readHost(t, filepath.Join(home, "a")); got != "1234" {
		t.Errorf("appended file %q", got)
	}
	// A smaller replacement gives bytes back, and so does Remove.
	if err := store(fsys, "/b", ftp.CreateOptions{}, "ab", 2); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, m, home, 6, 2)
	if err := fsys.Remove("/a"); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, m, home, 2, 1)
	if err := store(fsys, "/a", ftp.CreateOptions{}, "12345678", 8); err != nil {
		t.Errorf("upload after Remove: %v", err)
	}
	wantUsage(t, m, home, 10, 2)
}

func TestQuotaAbortKeepsWhatStays(t *testing.T) {
	fsys, home, m := quotaFS(t, user.Limits{MaxBytes: 100})
	// A new file's partial data stays under its name, and so does its
	// count.
	u, err := fsys.Create("/part", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("abc"))
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, m, home, 3, 1)
	// A fresh upload over an existing file is thrown away.
	u, err = fsys.Create("/part", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("0123456789"))
	u.Abort()
	wantUsage(t, m, home, 3, 1)
	// An extension stays.
	u, err = fsys.Create("/part", ftp.CreateOptions{Append: true})
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("de"))
	u.Abort()
	wantUsage(t, m, home, 5, 1)
	// Nothing written: nothing stays, the file count comes back.
	u, err = fsys.Create("/empty", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u.Abort()
	wantUsage(t, m, home, 5, 1)
	// A rename over a file gives the replaced file back.
	put(t, fsys, "/other", ftp.CreateOptions{}, "xyz")
	wantUsage(t, m, home, 8, 2)
	if err := fsys.Rename("/other", "/part"); err != nil {
		t.Fatal(err)
	}
	wantUsage(t, m, home, 3, 1)
}

func TestQuotaFiles(t *testing.T) {
	fsys, home, m := quotaFS(t, user.Limits{MaxFiles: 2})
	put(t, fsys, "/a", ftp.CreateOptions{}, "a")
	put(t, fsys, "/b", ftp.CreateOptions{}, "b")
	_, err := fsys.Create("/c", ftp.CreateOptions{})
	wantQuotaError(t, "third file", err, ErrQuotaExceeded, "quota exceeded: ")
	_, err = fsys.Create("/c", ftp.CreateOptions{Exclusive: true})
	wantQuotaError(t, "third file, exclusive", err, ErrQuotaExceeded, "quota exceeded: ")
	// Replacing is not a new file.
	put(t, fsys, "/b", ftp.CreateOptions{}, "bb")
	if tmp := tempFiles(t, home); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	wantUsage(t, m, home, 3, 2)
}

func TestQuotaFileSize(t *testing.T) {
	fsys, home, m := quotaFS(t, user.Limits{MaxFileSize: 5})
	if err := store(fsys, "/a", ftp.CreateOptions{}, "12345", 5); err != nil {
		t.Fatalf("file at the size limit: %v", err)
	}
	err := store(fsys, "/b", ftp.CreateOptions{}, "123456", 4)
	wantQuotaError(t, "file over the size limit", err, ErrFileTooLarge, "File too large: limit 5 bytes")
	err = store(fsys, "/a", ftp.CreateOptions{Append: true}, "6", 1)
	wantQuotaError(t, "append over the size limit", err, ErrFileTooLarge, "File too large: limit 5 bytes")
	if _, err := os.Lstat(filepath.Join(home, "b")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("refused upload left a file: %v", err)
	}
	wantUsage(t, m, home, 5, 1)
}

func TestQuotaConcurrentUploads(t *testing.T) {
	const limit, size, uploads = 1000, 100, 20
	fsys, home, m := quotaFS(t, user.Limits{MaxBytes: limit})
	data := strings.Repeat("q", size)
	var wg sync.WaitGroup
	errs := make([]error, uploads)
	for i := range uploads {
		wg.Go(func() {
			errs[i] = store(fsys, fmt.Sprintf("/f%02d", i), ftp.CreateOptions{}, data, 7)
		})
	}
	wg.Wait()
	stored := 0
	for i, err := range errs {
		if err == nil {
			stored++
			continue
		}
		if !errors.Is(err, ErrQuotaExceeded) {
			t.Errorf("upload %d: %v", i, err)
		}
	}
	u := m.Usage()
	if u.Bytes > limit {
		t.Errorf("usage %d over the limit", u.Bytes)
	}
	if stored == 0 || stored*size != int(u.Bytes) {
		t.Errorf("%d uploads stored, usage %+v", stored, u)
	}
	// Every file present is whole; refused ones left nothing.
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Size() != size {
			t.Errorf("%s has %d bytes", e.Name(), info.Size())
		}
	}
	if len(entries) != stored {
		t.Errorf("%d files on disk, %d uploads stored", len(entries), stored)
	}
	wantUsage(t, m, home, u.Bytes, int64(stored))
}

func TestQuotaShareMeter(t *testing.T) {
	share := t.TempDir()
	homeMeter := NewMemMeter(user.Limits{}, user.Usage{})
	shareMeter := NewMemMeter(user.Limits{MaxBytes: 3}, user.Usage{})
	pol := policyOf(t, []string{"/=all"}, []*user.Share{{Name: "s", Path: share}},
		[]user.Grant{{Share: "s", User: "u", At: "/s", Rights: user.RightsAll}})
	fsys, _, _ := policyFS(t, pol, Options{Meter: func(name string) Meter {
		if name == "s" {
			return shareMeter
		}
		return homeMeter
	}})
	put(t, fsys, "/s/a", ftp.CreateOptions{}, "abc")
	err := store(fsys, "/s/b", ftp.CreateOptions{}, "d", 1)
	wantQuotaError(t, "share over quota", err, ErrQuotaExceeded, "quota exceeded: ")
	put(t, fsys, "/home-file", ftp.CreateOptions{}, "defg")
	if u := shareMeter.Usage(); u.Bytes != 3 || u.Files != 1 {
		t.Errorf("share usage %+v", u)
	}
	if u := homeMeter.Usage(); u.Bytes != 4 || u.Files != 1 {
		t.Errorf("home usage %+v", u)
	}
	if err := fsys.Remove("/s/a"); err != nil {
		t.Fatal(err)
	}
	if u := shareMeter.Usage(); u.Bytes != 0 || u.Files != 0 {
		t.Errorf("share usage after Remove %+v", u)
	}
}

func TestMemMeter(t *testing.T) {
	tests := []struct {
		name         string
		limits       user.Limits
		usage        user.Usage
		bytes, files int64
		ok           bool
		want         user.Usage
	}{
		{"unlimited", user.Limits{}, user.Usage{Bytes: 5}, 1e12, 1e6, true, user.Usage{Bytes: 1e12 + 5, Files: 1e6}},
		{"to the byte limit", user.Limits{MaxBytes: 10}, user.Usage{Bytes: 4}, 6, 0, true, user.Usage{Bytes: 10}},
		{"over the byte limit", user.Limits{MaxBytes: 10}, user.Usage{Bytes: 4}, 7, 0, false, user.Usage{Bytes: 4}},
		{"over the file limit", user.Limits{MaxFiles: 1}, user.Usage{Files: 1}, 0, 1, false, user.Usage{Files: 1}},
		{"bytes fit, files do not", user.Limits{MaxFiles: 1}, user.Usage{Files: 1}, 5, 1, false, user.Usage{Files: 1}},
		{"giving back over a limit", user.Limits{MaxBytes: 10}, user.Usage{Bytes: 50, Files: 2}, -5, -1, true, user.Usage{Bytes: 45, Files: 1}},
		{"shrink below zero", user.Limits{}, user.Usage{Bytes: 1}, -5, -1, true, user.Usage{}},
	}
	for _, tt := range tests {
		m := NewMemMeter(tt.limits, tt.usage)
		err := m.Add(tt.bytes, tt.files)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Add = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrQuotaExceeded) {
			t.Errorf("%s: %v does not wrap ErrQuotaExceeded", tt.name, err)
		}
		if got := m.Usage(); got != tt.want {
			t.Errorf("%s: usage %+v, want %+v", tt.name, got, tt.want)
		}
	}
	m := NewMemMeter(user.Limits{MaxBytes: 1}, user.Usage{})
	m.SetLimits(user.Limits{MaxBytes: 2})
	if err := m.Add(2, 0); err != nil || m.Limits().MaxBytes != 2 {
		t.Errorf("SetLimits: %v %+v", err, m.Limits())
	}
}

func TestCountUsage(t *testing.T) {
	outside := t.TempDir()
	dir := filepath.Join(outside, "home")
	writeHost(t, filepath.Join(dir, "a"), "12345")
	writeHost(t, filepath.Join(dir, "sub", "b"), "123")
	writeHost(t, filepath.Join(dir, "sub", TempPrefix+"abc"), "in flight")
	writeHost(t, filepath.Join(outside, "big"), strings.Repeat("x", 1000))
	mkdirHost(t, filepath.Join(dir, "empty"))
	if err := os.Symlink(filepath.Join(outside, "big"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	u, err := CountUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (user.Usage{Bytes: 8, Files: 2, Known: true}); u != want {
		t.Errorf("CountUsage = %+v, want %+v", u, want)
	}
	if _, err := CountUsage(filepath.Join(outside, "missing")); err == nil {
		t.Error("CountUsage of a missing directory: no error")
	}
}
