//go:build linux

package faults

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// tmpfsSize is the capacity of the file system that fills up; every upload
// that is meant to fill it sends more than that.
const (
	tmpfsSize = 4 << 20
	tooBig    = 6 << 20
)

// nsChildEnv marks the copy of the test binary that runs inside a new user
// and mount namespace.
const nsChildEnv = "BULWARK_FAULTS_USERNS_CHILD"

const diskFullPass = "Correct-Horse-Battery-7"

// TestDiskFullTmpfs fills a tmpfs mounted as the user's home. It needs root;
// TestDiskFullUserNamespace runs the same checks without.
func TestDiskFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestDiskFullUserNamespace runs the same checks without it")
	}
	runDiskFull(t, mountTmpfs(t))
}

// TestDiskFullUserNamespace runs the disk-full checks in a copy of the test
// binary started in a new user and mount namespace, where an unprivileged
// user may mount a tmpfs that nobody else sees.
func TestDiskFullUserNamespace(t *testing.T) {
	if os.Getenv(nsChildEnv) == "1" {
		runDiskFull(t, mountTmpfs(t))
		return
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestDiskFullUserNamespace$",
		"-test.count=1", "-test.v", "-test.timeout=80s")
	cmd.Env = append(os.Environ(), nsChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &exit):
		t.Skipf("cannot start a process in a new user namespace here (%v); run as root for TestDiskFullTmpfs", err)
	case bytes.Contains(out, []byte("--- SKIP: TestDiskFullUserNamespace")):
		t.Skipf("skipped inside the user namespace:\n%s", out)
	case err != nil:
		t.Fatalf("inside the user namespace: %v\n%s", err, out)
	case !bytes.Contains(out, []byte("--- PASS: TestDiskFullUserNamespace")):
		t.Fatalf("the copy in the user namespace ran no test:\n%s", out)
	}
}

// mountTmpfs mounts a tmpfs of tmpfsSize bytes on a new directory and
// unmounts it when the test ends, or skips the test when mounting fails.
func mountTmpfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := "size=" + strconv.Itoa(tmpfsSize) + ",mode=0700"
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// runDiskFull fills home, a small file system, with uploads of every kind
// and checks the outcome of each: the client gets 452 (RFC 959 §4.2.2,
// insufficient storage space), the previous version of the file is intact
// byte for byte, nothing partial is left under any name, no temporary file
// remains, and the space comes back.
func runDiskFull(t *testing.T, home string) {
	p := newInProcess(t)
	p.AddUser(t, "dora", diskFullPass, homeAt(home))
	p.Start(t)
	c := login(t, p.Explicit(), "dora", diskFullPass)

	old := randomBytes(1 << 20)
	if err := c.Stor("old.bin", bytes.NewReader(old)); err != nil {
		t.Fatalf("first version of old.bin: %v", err)
	}
	cases := []struct {
		name   string
		upload func() error
	}{
		{"STOR over an existing file", func() error {
			return c.Stor("old.bin", bytes.NewReader(randomBytes(tooBig)))
		}},
		{"REST+STOR inside an existing file", func() error {
			return c.StorFrom("old.bin", bytes.NewReader(randomBytes(tooBig)), 512<<10)
		}},
		{"APPE to an existing file", func() error {
			return c.Append("old.bin", bytes.NewReader(randomBytes(tooBig)))
		}},
		{"STOR of a new file", func() error {
			return c.Stor("new.bin", bytes.NewReader(randomBytes(tooBig)))
		}},
		{"APPE of a new file", func() error {
			return c.Append("new.bin", bytes.NewReader(randomBytes(tooBig)))
		}},
	}
	for _, tc := range cases {
		err := tc.upload()
		if code := replyCode(err); code != 452 {
			t.Errorf("%s: reply %d (%v), want 452", tc.name, code, err)
		}
		if err := c.NoOp(); err != nil {
			t.Fatalf("%s: the session did not survive: %v", tc.name, err)
		}
		got, err := os.ReadFile(filepath.Join(home, "old.bin"))
		if err != nil || !bytes.Equal(got, old) {
			t.Errorf("%s: old.bin changed: %d bytes (err %v), want the previous %d bytes", tc.name, len(got), err, len(old))
			// Put it back so that the next case starts as this one did.
			if err := os.WriteFile(filepath.Join(home, "old.bin"), old, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Lstat(filepath.Join(home, "new.bin")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a partial new.bin is visible (Lstat: %v)", tc.name, err)
			os.Remove(filepath.Join(home, "new.bin")) // give the next case its room
		}
		if left := tempFiles(t, home); len(left) > 0 {
			t.Errorf("%s: temporary files left: %v", tc.name, left)
		}
	}

	// The room the failed uploads took is free again: a file that only
	// fits if nothing leaked (no file left, none held open) goes in whole.
	after := randomBytes(tmpfsSize - len(old) - 512<<10)
	if err := c.Stor("after.bin", bytes.NewReader(after)); err != nil {
		t.Fatalf("upload after the failures: %v", err)
	}
	if got := download(t, c, "after.bin"); !bytes.Equal(got, after) {
		t.Fatalf("after.bin differs: %d bytes, want %d", len(got), len(after))
	}
	entries, err := c.List("/")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		if e.Type == ftp.EntryTypeFile {
			names[e.Name] = true
		}
	}
	if len(names) != 2 || !names["old.bin"] || !names["after.bin"] {
		t.Errorf("listing shows files %v, want old.bin and after.bin", names)
	}
}
