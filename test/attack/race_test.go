package attack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

func manyClients(c *config.Config) {
	c.Defender.MaxConnections = 500
	c.Defender.MaxConnectionsPerIP = 200
}

// loginMany logs n clients in at once; test goroutine only.
func (e *env) loginMany(n int) []*ftp.ServerConn {
	e.t.Helper()
	clients := make([]*ftp.ServerConn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := dialFTP(e.Explicit(), "")
			if err == nil {
				err = c.Login(alice, alicePass)
			}
			clients[i], errs[i] = c, err
		})
	}
	wg.Wait()
	for i, c := range clients {
		if c != nil {
			e.t.Cleanup(func() { c.Quit() })
		}
		if errs[i] != nil {
			e.t.Fatalf("client %d: %v", i, errs[i])
		}
	}
	return clients
}

// payloadOf is client i's version of the file: every pair of bytes names
// the client, so a mixture of versions shows anywhere in the file.
func payloadOf(i, size int) []byte {
	return bytes.Repeat([]byte{byte('A' + i%26), byte('0' + i/26)}, size/2)
}

// Fifty clients overwrite one file at the same moment, while another
// downloads it again and again: every download and the final file are one
// whole version, never a mixture, and no temporary file is left behind.
func TestConcurrentOverwrite(t *testing.T) {
	t.Parallel()
	const (
		writers = 50
		size    = 512 << 10
	)
	e := newEnv(t, manyClients)
	home := e.addUser(alice, alicePass)
	initial := payloadOf(writers, size)
	if err := os.WriteFile(filepath.Join(home, "target.bin"), initial, 0o640); err != nil {
		t.Fatal(err)
	}
	e.start()
	clients := e.loginMany(writers + 1)
	versions := map[string]bool{string(initial): true}
	for i := range writers {
		versions[string(payloadOf(i, size))] = true
	}

	start := make(chan struct{})
	done := make(chan struct{})
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-start
			errs[i] = clients[i].Stor("target.bin", bytes.NewReader(payloadOf(i, size)))
		})
	}
	var reads int
	var readErr error
	var rwg sync.WaitGroup
	rwg.Go(func() {
		reader := clients[writers]
		for {
			select {
			case <-done:
				return
			default:
			}
			r, err := reader.Retr("target.bin")
			if err != nil {
				readErr = err
				return
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				readErr = err
				return
			}
			if !versions[string(got)] {
				readErr = fmt.Errorf("download %d is no whole version (%d bytes, starts %q)", reads, len(got), got[:min(8, len(got))])
				return
			}
			reads++
		}
	})
	close(start)
	wg.Wait()
	close(done)
	rwg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if readErr != nil {
		t.Error(readErr)
	}
	got, err := os.ReadFile(filepath.Join(home, "target.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !versions[string(got)] || bytes.Equal(got, initial) {
		t.Errorf("final file is no writer's whole version (%d bytes, starts %q)", len(got), got[:min(8, len(got))])
	}
	t.Logf("%d downloads during the race, each a whole version", reads)
	noTempFiles(t, home)
	e.noPanics()
}

// noTempFiles fails when an upload left its temporary file behind.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), vfs.TempPrefix) {
			t.Errorf("temporary upload file left behind: %s", p)
		}
		return nil
	})
}

// Uploads racing a quota, new files, overwrites, appends and resumes
// together, never take the home beyond it; afterwards the accounting is
// exact: with everything deleted, an upload of exactly the quota fits and
// one more byte does not.
func TestUploadsRaceQuota(t *testing.T) {
	t.Parallel()
	const (
		limit   = 1_000_000
		clients = 24
		chunk   = 90_000
	)
	e := newEnv(t, manyClients)
	home := e.addUser(alice, alicePass, func(u *user.User) { u.Limits = user.Limits{MaxBytes: limit} })
	for name, n := range map[string]int{"shared.bin": 100_000, "log.bin": 10_000, "resume.bin": 50_000} {
		if err := os.WriteFile(filepath.Join(home, name), bytes.Repeat([]byte("p"), n), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	e.start()
	conns := e.loginMany(clients)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for i, c := range conns {
		wg.Go(func() {
			<-start
			data := bytes.NewReader(bytes.Repeat([]byte{byte('a' + i%26)}, chunk))
			var err error
			switch i % 4 {
			case 0, 1:
				err = c.Stor(fmt.Sprintf("new-%02d.bin", i), data)
			case 2:
				err = c.Stor("shared.bin", data)
			case 3:
				if i%8 == 3 {
					err = c.Append("log.bin", data)
				} else {
					err = c.StorFrom("resume.bin", data, 25_000)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			var te *textproto.Error
			switch {
			case err == nil:
				outcomes["stored"]++
			case errors.As(err, &te) && te.Code == 552:
				outcomes["refused by the quota"]++
			default:
				outcomes[err.Error()]++
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("outcomes: %v", outcomes)
	for k := range outcomes {
		if k != "stored" && k != "refused by the quota" {
			t.Errorf("unexpected outcome %q", k)
		}
	}
	if total := diskUsage(t, home); total > limit {
		t.Fatalf("%d bytes stored, quota %d", total, limit)
	}
	noTempFiles(t, home)

	// The accounting is exact: empty the home, then fill it to the byte.
	c := conns[0]
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if err := c.Delete(en.Name()); err != nil {
			t.Fatalf("DELE %s: %v", en.Name(), err)
		}
	}
	if err := c.Stor("full.bin", bytes.NewReader(make([]byte, limit))); err != nil {
		t.Fatalf("an upload of exactly the quota into the emptied home: %v", err)
	}
	err = c.Stor("one-more.bin", strings.NewReader("x"))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 552 {
		t.Fatalf("one byte beyond the quota: %v, want 552", err)
	}
	if total := diskUsage(t, home); total != limit {
		t.Errorf("%d bytes on disk, want %d", total, limit)
	}
	e.noPanics()
}

// diskUsage adds up the regular files below dir.
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var total int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			total += info.Size()
		}
		return nil
	})
	return total
}
