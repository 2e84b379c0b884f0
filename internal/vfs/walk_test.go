package vfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func TestWalkTree(t *testing.T) {
	outside := t.TempDir()
	top := filepath.Join(outside, "top")
	writeHost(t, filepath.Join(top, "a", "b", "c.txt"), "c")
	writeHost(t, filepath.Join(top, "d.txt"), "d")
	writeHost(t, filepath.Join(outside, "secret", "s.txt"), "s")
	if err := os.MkdirAll(filepath.Join(top, "empty"), 0o750); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"out": "../secret", "a/up": "..", "loop": "loop"} {
		if err := os.Symlink(target, filepath.Join(top, name)); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(top)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var got []string
	walkTree(root, func(rel string, d fs.DirEntry, err error) {
		if err != nil {
			t.Errorf("walk: %s: %v", rel, err)
			return
		}
		got = append(got, fmt.Sprintf("%s %v", rel, d.Type()))
	})
	slices.Sort(got)
	want := []string{
		"a d---------", "a/b d---------", "a/b/c.txt ----------", "a/up L---------",
		"d.txt ----------", "empty d---------", "loop L---------", "out L---------",
	}
	if !slices.Equal(got, want) {
		t.Errorf("walked\n%q\nwant\n%q", got, want)
	}
}

// A walk holds a chunk of a directory at a time, not the directory: the
// start-up clean-up and the usage count must not let a client who filled a
// directory make the server hold it in memory.
func TestWalkTreeMemoryBounded(t *testing.T) {
	const files = 20_000
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeHost(t, src, "x")
	for i := range files {
		if err := os.Link(src, filepath.Join(dir, fmt.Sprintf("file-%05d", i))); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	live := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := live()
	var seen int
	var grew int64
	walkTree(root, func(_ string, d fs.DirEntry, err error) {
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if seen == files/2 {
			grew = int64(live()) - int64(base)
		}
	})
	if seen != files+1 {
		t.Errorf("walked %d entries, want %d", seen, files+1)
	}
	// Reading the whole directory would hold some 5 MiB of entries.
	if grew > 1<<20 {
		t.Errorf("live heap grew by %d KiB half way through the walk", grew>>10)
	}
	if u, err := CountUsage(dir); err != nil || u.Files != files+1 || u.Bytes != files+1 {
		t.Errorf("CountUsage = %+v, %v", u, err)
	}
}
