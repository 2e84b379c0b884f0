package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

func TestUploadCommit(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	u, err := fsys.Create("/f", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat("/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("name visible before commit: %v", err)
	}
	if err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readHost(t, filepath.Join(home, "f")); got != "hello" {
		t.Errorf("content %q", got)
	}
	info, err := os.Stat(filepath.Join(home, "f"))
	if err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want 0640", info.Mode(), err)
	}
	if err := u.Commit(); !errors.Is(err, ErrUploadFinished) {
		t.Errorf("second Commit: %v", err)
	}
	if _, err := u.Write([]byte("x")); !errors.Is(err, ErrUploadFinished) {
		t.Errorf("Write after Commit: %v", err)
	}
	if err := u.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if got := readHost(t, filepath.Join(home, "f")); got != "hello" {
		t.Errorf("Abort after Commit changed the file: %q", got)
	}
	if tmp := tempFiles(t, home); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// abortCase is one way an upload can end without Commit.
type abortCase struct {
	name    string
	prev    bool
	opts    ftp.CreateOptions
	data    string
	want    string // content after Abort; "-" for no file
	wantErr error
}

// Every way an upload can end, with and without a previous version, with
// and without NoSync (which must not change any of the rules).
func TestUploadAbortRules(t *testing.T) {
	const old = "0123456789"
	cases := []abortCase{
		{name: "fresh over existing keeps old", prev: true, data: "NEW", want: old},
		{name: "restart before end keeps old", prev: true, opts: ftp.CreateOptions{Offset: 4}, data: "NEW", want: old},
		{name: "restart at end extends", prev: true, opts: ftp.CreateOptions{Offset: 10}, data: "AB", want: old + "AB"},
		{name: "append extends", prev: true, opts: ftp.CreateOptions{Append: true}, data: "AB", want: old + "AB"},
		{name: "new file keeps partial", data: "part", want: "part"},
		{name: "append to new file keeps partial", opts: ftp.CreateOptions{Append: true}, data: "part", want: "part"},
		{name: "exclusive new keeps partial", opts: ftp.CreateOptions{Exclusive: true}, data: "part", want: "part"},
		{name: "nothing written leaves nothing", want: "-"},
		{name: "nothing appended keeps old", prev: true, opts: ftp.CreateOptions{Append: true}, want: old},
		{name: "restart past end", prev: true, opts: ftp.CreateOptions{Offset: 11}, wantErr: fs.ErrInvalid, want: old},
		{name: "restart on missing file", opts: ftp.CreateOptions{Offset: 1}, wantErr: fs.ErrInvalid, want: "-"},
		{name: "negative restart", prev: true, opts: ftp.CreateOptions{Offset: -1}, wantErr: fs.ErrInvalid, want: old},
		{name: "exclusive over existing", prev: true, opts: ftp.CreateOptions{Exclusive: true}, wantErr: fs.ErrExist, want: old},
	}
	for _, noSync := range []bool{false, true} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/nosync=%v", c.name, noSync), func(t *testing.T) {
				testAbortCase(t, Options{NoSync: noSync}, old, c)
			})
		}
	}
}

// testAbortCase starts an upload (over old when c.prev), writes c.data,
// aborts it and checks what is left at the target.
func testAbortCase(t *testing.T, fsOpts Options, old string, c abortCase) {
	fsys, home, _ := newTestFSWith(t, fsOpts)
	target := filepath.Join(home, "f")
	if c.prev {
		writeHost(t, target, old)
	}
	u, err := fsys.Create("/f", c.opts)
	if c.wantErr != nil {
		if !errors.Is(err, c.wantErr) {
			t.Fatalf("Create: %v, want %v", err, c.wantErr)
		}
	} else {
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Write([]byte(c.data)); err != nil {
			t.Fatal(err)
		}
		if err := u.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := u.Abort(); err != nil {
			t.Errorf("second Abort: %v", err)
		}
		if err := u.Commit(); !errors.Is(err, ErrUploadFinished) {
			t.Errorf("Commit after Abort: %v", err)
		}
	}
	got, err := os.ReadFile(target)
	switch {
	case c.want == "-" && !errors.Is(err, fs.ErrNotExist):
		t.Errorf("file exists (%q, %v), want none", got, err)
	case c.want != "-" && string(got) != c.want:
		t.Errorf("content %q, %v; want %q", got, err, c.want)
	}
	if tmp := tempFiles(t, home); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestUploadRestartCodes(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	writeHost(t, filepath.Join(home, "f"), "abc")
	_, err := fsys.Create("/f", ftp.CreateOptions{Offset: 4})
	var pub ftp.PublicError
	if !errors.As(err, &pub) || pub.FTPCode() != 554 {
		t.Errorf("restart past end: %v, want a 554 PublicError", err)
	}
	_, err = fsys.Open("/f", 4)
	if !errors.As(err, &pub) || pub.FTPCode() != 554 {
		t.Errorf("read past end: %v, want a 554 PublicError", err)
	}
}

// A commit replaces the old version atomically; an abort of a fresh upload
// over it leaves every byte of the old version in place, even after the new
// data grew past it.
func TestUploadAbortKeepsOldByteForByte(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	oldData := pattern('o', 1<<20) + "tail"
	writeHost(t, filepath.Join(home, "f"), oldData)
	if err := os.Chmod(filepath.Join(home, "f"), 0o604); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(filepath.Join(home, "f"))
	u, err := fsys.Create("/f", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(u, strings.NewReader(pattern('n', 3<<20))); err != nil {
		t.Fatal(err)
	}
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := readHost(t, filepath.Join(home, "f")); got != oldData {
		t.Errorf("old version changed: %d bytes", len(got))
	}
	after, _ := os.Stat(filepath.Join(home, "f"))
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("old version was replaced")
	}
	// A replacement keeps the mode the owner chose.
	put(t, fsys, "/f", ftp.CreateOptions{}, "new")
	info, _ := os.Stat(filepath.Join(home, "f"))
	if info.Mode().Perm() != 0o604 {
		t.Errorf("mode after replacement %v, want 0604", info.Mode())
	}
}

func TestUploadResumeAndAppend(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	big := pattern('a', 300_000)
	writeHost(t, filepath.Join(home, "f"), big)
	put(t, fsys, "/f", ftp.CreateOptions{Offset: 100_000}, "XYZ")
	if got := readHost(t, filepath.Join(home, "f")); got != big[:100_000]+"XYZ" {
		t.Errorf("resume: %d bytes", len(got))
	}
	put(t, fsys, "/f", ftp.CreateOptions{Append: true}, "123")
	if got := readHost(t, filepath.Join(home, "f")); got != big[:100_000]+"XYZ123" {
		t.Errorf("append: %d bytes, tail %q", len(got), got[len(got)-6:])
	}
	// A resume of a partial left by an aborted new upload.
	u, err := fsys.Create("/g", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("first half,"))
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	info, err := fsys.Stat("/g")
	if err != nil {
		t.Fatal(err)
	}
	put(t, fsys, "/g", ftp.CreateOptions{Offset: info.Size()}, "second half")
	if got := readVFS(t, fsys, "/g"); got != "first half,second half" {
		t.Errorf("resumed upload: %q", got)
	}
}

func TestUploadExclusive(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	put(t, fsys, "/f", ftp.CreateOptions{Exclusive: true}, "one")
	if _, err := fsys.Create("/f", ftp.CreateOptions{Exclusive: true}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second exclusive Create: %v", err)
	}
	// The name is taken while the upload runs: the commit must not replace.
	u, err := fsys.Create("/g", ftp.CreateOptions{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("late"))
	writeHost(t, filepath.Join(home, "g"), "early")
	if err := u.Commit(); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Commit over a new entry: %v, want ErrExist", err)
	}
	if got := readHost(t, filepath.Join(home, "g")); got != "early" {
		t.Errorf("exclusive commit replaced a file: %q", got)
	}
	if tmp := tempFiles(t, home); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// An aborted new upload must not clobber a file another client committed
// under the same name meanwhile.
func TestUploadAbortRespectsOtherCommit(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	a, err := fsys.Create("/f", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("partial"))
	put(t, fsys, "/f", ftp.CreateOptions{}, "complete")
	if err := a.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := readHost(t, filepath.Join(home, "f")); got != "complete" {
		t.Errorf("content %q, want the committed version", got)
	}
	// Same for an append whose base was replaced.
	b, err := fsys.Create("/f", ftp.CreateOptions{Append: true})
	if err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("+more"))
	put(t, fsys, "/f", ftp.CreateOptions{}, "other")
	if err := b.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := readHost(t, filepath.Join(home, "f")); got != "other" {
		t.Errorf("content %q, want the committed version", got)
	}
}

func TestUploadConcurrentSameTarget(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	const writers, size = 20, 256 << 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			u, err := fsys.Create("/same", ftp.CreateOptions{})
			if err != nil {
				errs <- err
				return
			}
			chunk := []byte(pattern(byte('A'+i), 4096))
			for written := 0; written < size; written += len(chunk) {
				if _, err := u.Write(chunk); err != nil {
					errs <- err
					return
				}
			}
			errs <- u.Commit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	got := readHost(t, filepath.Join(home, "same"))
	if len(got) != size || got != pattern(got[0], size) {
		t.Errorf("mixed or short result: %d bytes starting %q", len(got), got[:min(len(got), 8)])
	}
	if tmp := tempFiles(t, home); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestUploadRefusedTargets(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	writeHost(t, filepath.Join(home, "d", "x"), "x")
	writeHost(t, filepath.Join(home, "real"), "x")
	if err := os.Symlink("real", filepath.Join(home, "link")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/", "/d", "/link", "/" + TempPrefix + "abc", "/d/" + TempPrefix, "/a\x00b", "/" + strings.Repeat("n", 256)} {
		_, err := fsys.Create(name, ftp.CreateOptions{})
		var pub ftp.PublicError
		if !errors.As(err, &pub) {
			t.Errorf("Create(%q): %v, want a PublicError", name, err)
		}
	}
	put(t, fsys, "/"+strings.Repeat("n", 255), ftp.CreateOptions{}, "ok")
	put(t, fsys, `/back\slash`, ftp.CreateOptions{}, "ok")
	if got := readHost(t, filepath.Join(home, `back\slash`)); got != "ok" {
		t.Errorf("backslash name: %q", got)
	}
}

func TestTempFilesHiddenAndCleaned(t *testing.T) {
	fsys, home, _ := newTestFS(t)
	writeHost(t, filepath.Join(home, "sub", "keep"), "k")
	u, err := fsys.Create("/sub/f", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	u.Write([]byte("in flight"))

	names := listNames(t, fsys, "/sub", 1)
	if fmt.Sprint(names) != "[keep]" {
		t.Errorf("listing %v, want only keep", names)
	}
	tmp := tempFiles(t, home)
	if len(tmp) != 1 {
		t.Fatalf("want one temporary file, got %v", tmp)
	}
	virtual := "/sub/" + filepath.Base(tmp[0])
	if _, err := fsys.Stat(virtual); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a temporary file: %v", err)
	}
	if _, err := fsys.Open(virtual, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a temporary file: %v", err)
	}
	if err := fsys.Remove(virtual); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a temporary file: %v", err)
	}

	// Stale leftovers of a crash, at two depths, and one fresh upload.
	writeHost(t, filepath.Join(home, TempPrefix+"old1"), "x")
	writeHost(t, filepath.Join(home, "sub", "deeper", TempPrefix+"old2"), "x")
	now := time.Now()
	old := now.Add(-2 * time.Hour)
	for _, p := range []string{filepath.Join(home, TempPrefix+"old1"), filepath.Join(home, "sub", "deeper", TempPrefix+"old2")} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	n, err := CleanStaleUploads(home, time.Hour, now)
	if err != nil || n != 2 {
		t.Errorf("CleanStaleUploads = %d, %v; want 2", n, err)
	}
	if left := tempFiles(t, home); len(left) != 1 || left[0] != tmp[0] {
		t.Errorf("left %v, want only the upload in flight %v", left, tmp)
	}
	if err := u.Commit(); err != nil {
		t.Errorf("the upload in flight was disturbed: %v", err)
	}
}

// listNames reads a whole listing n entries at a time.
func listNames(t *testing.T, fsys *FS, name string, n int) []string {
	t.Helper()
	d, err := fsys.OpenDir(name)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var names []string
	for {
		entries, err := d.ReadDir(n)
		if len(entries) > n {
			t.Fatalf("ReadDir(%d) returned %d entries", n, len(entries))
		}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 {
			t.Fatal("ReadDir returned nothing and no error")
		}
	}
}

// An upload below a file is the client's mistake, answered "Not a
// directory"; only an upload below a link that leaves the jail is logged
// as an attempt to leave it.
func TestUploadBelowAFile(t *testing.T) {
	outside := t.TempDir()
	home := filepath.Join(outside, "home")
	var log strings.Builder
	fsys, err := New(home, Options{CreateHome: true, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	writeHost(t, filepath.Join(home, "file"), "x")
	if err := os.Symlink("..", filepath.Join(home, "up")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/file/x", "/file/x/y"} {
		_, err := fsys.Create(name, ftp.CreateOptions{})
		if !errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrPermission) {
			t.Errorf("Create(%q): %v, want not a directory", name, err)
		}
		noHostPath(t, err, outside)
	}
	if strings.Contains(log.String(), "outside the home") {
		t.Errorf("an upload below a file was logged as an escape: %s", log.String())
	}
	_, err = fsys.Create("/up/x", ftp.CreateOptions{})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(log.String(), "outside the home") {
		t.Errorf("Create below an escaping link: %v, log %q", err, log.String())
	}
	if got := readHost(t, filepath.Join(home, "file")); got != "x" {
		t.Errorf("file changed: %q", got)
	}
}
