package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// TestKill9 builds the bulwark binary and kills its processes with SIGKILL
// at the worst moments: the server in the middle of uploads while
// administration commands write to the account store, and administration
// commands in the middle of their own writes.
func TestKill9(t *testing.T) {
	bin := buildBulwark(t)
	t.Run("server during uploads and store writes", func(t *testing.T) { testKillServer(t, bin) })
	t.Run("cli during store writes", func(t *testing.T) { testKillCLI(t, bin) })
}

// Sizes of the crash test's files: a head that reaches the server before
// the kill, of a whole that never does.
const (
	crashHead  = 192 << 10
	crashWhole = 640<<10 + 123
)

func testKillServer(t *testing.T, bin string) {
	in := newInstallation(t, bin)
	alicePass, bobPass := newPassword(), newPassword()
	in.mustCLI(t, alicePass+"\n", "user", "add", "alice", "--password-stdin")
	in.mustCLI(t, bobPass+"\n", "user", "add", "bob", "--password-stdin")
	home := filepath.Join(in.dataDir, "homes", "alice")
	srv := in.serve(t)
	c := login(t, srv.addr, "alice", alicePass)

	// The previous versions, which the uploads in flight must not touch.
	const replaced, added = 3, 3
	previous := map[string][]byte{}
	for i := range replaced {
		name := fmt.Sprintf("old%d.bin", i)
		previous[name] = randomBytes(300<<10 + i)
		if err := c.Stor(name, bytes.NewReader(previous[name])); err != nil {
			t.Fatalf("STOR %s: %v", name, err)
		}
	}
	// A new file whose client vanished while the server lived: the
	// server kept its first part under the name, to be resumed after the
	// crash too.
	partial := randomBytes(crashWhole)
	var rc resettingClient
	rc.login(t, srv.addr, "alice", alicePass)
	wait := startGatedUpload(home, "partial.bin", partial[:crashHead])(t, rc.conn)
	rc.vanish(t)
	wait()
	waitFor(t, "the server to keep partial.bin", func() bool {
		info, err := os.Stat(filepath.Join(home, "partial.bin"))
		return err == nil && info.Size() == crashHead && len(tempFiles(t, home)) == 0
	})

	// Administration commands write to the store all along.
	stopCLI := make(chan struct{})
	var cliWG sync.WaitGroup
	endCLI := sync.OnceFunc(func() {
		close(stopCLI)
		cliWG.Wait()
	})
	t.Cleanup(endCLI) // when the test fails before the end
	var cliMu sync.Mutex
	runs := map[string]int{}
	loops := map[string]func(i int) (stdin string, args []string){
		"set": func(i int) (string, []string) {
			return "", []string{"user", "set", "bob", "--max-sessions", strconv.Itoa(i%7 + 1)}
		},
		"passwd": func(i int) (string, []string) {
			return newPassword() + "\n", []string{"user", "passwd", "bob", "--password-stdin"}
		},
		"add": func(i int) (string, []string) {
			return newPassword() + "\n", []string{"user", "add", fmt.Sprintf("loop%d", i), "--password-stdin"}
		},
	}
	for name, next := range loops {
		cliWG.Add(1)
		go func() {
			defer cliWG.Done()
			for i := 0; ; i++ {
				select {
				case <-stopCLI:
					return
				default:
				}
				stdin, args := next(i)
				if out, err := in.cli(t, stdin, args...); err != nil {
					t.Errorf("bulwark %s: %v\n%s", strings.Join(args, " "), err, out)
					return
				}
				cliMu.Lock()
				runs[name]++
				cliMu.Unlock()
			}
		}()
	}

	// Slow uploads, each stopped part way: replacements of the files above
	// and new files.
	release := make(chan struct{})
	var upWG sync.WaitGroup
	endUploads := sync.OnceFunc(func() {
		close(release)
		upWG.Wait()
	})
	t.Cleanup(endUploads)
	whole := map[string][]byte{}
	for i := range replaced + added {
		name := fmt.Sprintf("old%d.bin", i)
		if i >= replaced {
			name = fmt.Sprintf("new%d.bin", i-replaced)
		}
		data := randomBytes(crashWhole + i)
		whole[name] = data
		uc := login(t, srv.addr, "alice", alicePass)
		upWG.Add(1)
		go func() {
			defer upWG.Done()
			r := &gatedReader{head: data[:crashHead], chunk: 16 << 10, pause: 2 * time.Millisecond, release: release}
			if err := uc.Stor(name, r); err == nil {
				t.Errorf("STOR %s succeeded although the server was killed", name)
			}
		}()
	}
	waitFor(t, "every upload to be part way and every command to have run", func() bool {
		sizes := tempSizes(t, home)
		if len(sizes) != replaced+added {
			return false
		}
		for _, n := range sizes {
			if n != crashHead {
				return false
			}
		}
		cliMu.Lock()
		defer cliMu.Unlock()
		return runs["set"] >= 2 && runs["passwd"] >= 2 && runs["add"] >= 2
	})

	srv.kill(t)
	endCLI()
	endUploads()

	checkStore(t, filepath.Join(in.dataDir, "bulwark.db"))
	users := in.listedUsers(t)
	if !users["alice"] || !users["bob"] || !users["loop0"] {
		t.Fatalf("user list after the crash lacks alice, bob or loop0: %v", users)
	}
	leftovers := tempFiles(t, home)
	if len(leftovers) != replaced+added {
		t.Fatalf("the crash left %d temporary files, want %d (one per upload in flight)", len(leftovers), replaced+added)
	}

	srv = in.serve(t)
	c = login(t, srv.addr, "alice", alicePass)
	for name, data := range previous {
		if got := download(t, c, name); sum(got) != sum(data) {
			t.Errorf("%s after the crash: %d bytes, not the previous version's %d", name, len(got), len(data))
		}
	}
	whole["partial.bin"] = partial
	for name, data := range whole {
		if previous[name] != nil {
			continue
		}
		resume(t, c, name, data)
	}

	entries, err := c.List("/")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, e := range entries {
		listed = append(listed, e.Name)
		if strings.HasPrefix(e.Name, vfs.TempPrefix) {
			t.Errorf("listing shows the temporary file %s", e.Name)
		}
	}
	if len(listed) != len(whole) {
		t.Errorf("listing shows %v, want the %d files uploaded", listed, len(whole))
	}
	if _, err := c.Retr(path.Base(leftovers[0])); replyCode(err) != 550 {
		t.Errorf("RETR of a temporary file: %v, want 550", err)
	}
	if out, err := in.cli(t, newPassword()+"\n", "user", "passwd", "bob", "--password-stdin"); err != nil {
		t.Errorf("a store write after the restart failed: %v\n%s", err, out)
	}
	c.Quit()
	srv.stop(t)
	checkStore(t, filepath.Join(in.dataDir, "bulwark.db"))
}

// resume completes an upload from what the server has of it, as a client
// that lost its connection does: SIZE, then REST+STOR of the rest (from
// the beginning when the server has nothing), then compares the checksum.
func resume(t *testing.T, c *ftp.ServerConn, name string, data []byte) {
	t.Helper()
	size, err := c.FileSize(name)
	switch {
	case replyCode(err) == 550:
		size = 0
	case err != nil:
		t.Fatalf("SIZE %s: %v", name, err)
	case size > int64(len(data)):
		t.Fatalf("SIZE %s = %d, more than the %d bytes sent", name, size, len(data))
	}
	if err := c.StorFrom(name, bytes.NewReader(data[size:]), uint64(size)); err != nil {
		t.Fatalf("resume %s at %d: %v", name, size, err)
	}
	if got := download(t, c, name); sum(got) != sum(data) {
		t.Errorf("%s resumed at %d: %d bytes, checksum differs from what was sent", name, size, len(got))
	}
}

// testKillCLI kills administration commands at spread-out moments of their
// run, so that some die inside a transaction, and checks that the store
// stays sound and usable and that each change happened whole or not at all.
func testKillCLI(t *testing.T, bin string) {
	in := newInstallation(t, bin)
	in.mustCLI(t, newPassword()+"\n", "user", "add", "bob", "--password-stdin")

	// How long one command takes here, to spread the kills over it.
	start := time.Now()
	in.mustCLI(t, newPassword()+"\n", "user", "add", "probe", "--password-stdin")
	span := time.Since(start)

	// The store is written near the end of a run: most kills fall in
	// its second half.
	const kills = 24
	added := map[string]bool{}
	for i := range kills {
		var stdin string
		var args []string
		switch i % 3 {
		case 0:
			name := fmt.Sprintf("victim%d", i)
			added[name] = true
			stdin, args = newPassword()+"\n", []string{"user", "add", name, "--password-stdin", "--comment", "whole or nothing"}
		case 1:
			stdin, args = newPassword()+"\n", []string{"user", "passwd", "bob", "--password-stdin"}
		default:
			args = []string{"user", "set", "bob", "--max-sessions", strconv.Itoa(i)}
		}
		cmd := in.command(context.Background(), stdin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The moment of the kill is the fault being injected, not a
		// wait for something to happen.
		time.Sleep(span * time.Duration(kills+2*i) / (3 * kills))
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
	}

	checkStore(t, filepath.Join(in.dataDir, "bulwark.db"))
	users := in.listedUsers(t)
	if !users["bob"] || !users["probe"] {
		t.Fatalf("user list after the kills lacks bob or probe: %v", users)
	}
	committed := 0
	for name := range added {
		if !users[name] {
			continue // killed before its transaction committed
		}
		committed++
		out := in.mustCLI(t, "", "user", "show", name)
		if !strings.Contains(out, "whole or nothing") {
			t.Errorf("user %s exists but only in part:\n%s", name, out)
		}
	}
	t.Logf("%d of %d killed user additions had committed", committed, len(added))
	// The store takes writes again: no lock or journal was left behind.
	in.mustCLI(t, newPassword()+"\n", "user", "add", "after", "--password-stdin")
	in.mustCLI(t, newPassword()+"\n", "user", "passwd", "bob", "--password-stdin")
	checkStore(t, filepath.Join(in.dataDir, "bulwark.db"))
}
