package faults

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

const vanishPass = "Quiet-Harbor-Lantern-5"

// resettingClient records the TCP connections of one FTP client, so that
// the test can make the client vanish: SO_LINGER 0 and close, which sends
// a reset instead of an orderly end.
type resettingClient struct {
	mu    sync.Mutex
	conns []*net.TCPConn
	// conn is the client, once logged in.
	conn *ftp.ServerConn
}

// dialer returns the client's dial function. jlaffaye/ftp calls it for the
// control connection first (and starts TLS there itself after AUTH TLS),
// then once for each data connection, which gets TLS here with the same
// configuration and so resumes the control connection's session.
func (r *resettingClient) dialer(conf *tls.Config) func(network, addr string) (net.Conn, error) {
	return func(network, addr string) (net.Conn, error) {
		conn, err := net.DialTimeout(network, addr, waitLimit)
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		r.conns = append(r.conns, conn.(*net.TCPConn))
		control := len(r.conns) == 1
		r.mu.Unlock()
		if control {
			return conn, nil
		}
		return tls.Client(conn, conf), nil
	}
}

// vanish resets every connection the client opened, data first.
func (r *resettingClient) vanish(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.conns) - 1; i >= 0; i-- {
		if err := r.conns[i].SetLinger(0); err != nil {
			t.Errorf("SO_LINGER 0: %v", err)
		}
		r.conns[i].Close()
	}
}

func (r *resettingClient) login(t testing.TB, addr, name, pass string) *ftp.ServerConn {
	t.Helper()
	conf := servertest.ClientTLS()
	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(conf), ftp.DialWithDialFunc(r.dialer(conf)))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if err := c.Login(name, pass); err != nil {
		t.Fatalf("login: %v", err)
	}
	r.conn = c
	return c
}

// openFiles counts this process's open descriptors, leaving out the account
// store's (whose connection pool may grow and shrink on its own). Without
// /proc it returns 0, and only goroutines are compared.
func openFiles(t testing.TB, skip string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || strings.HasPrefix(target, skip) {
			continue // the descriptor ReadDir itself used, or the store
		}
		n++
	}
	return n
}

// TestClientVanishes resets a client's control and data connections in the
// middle of a download and of uploads, and checks that the session frees
// everything: goroutines and descriptors return to what they were, the
// user's one allowed session is free for a new login, and the upload leaves
// what the abort rules promise (a resumable partial for a new file, the
// previous version untouched for a replacement) and no temporary file.
func TestClientVanishes(t *testing.T) {
	p := newInProcess(t)
	home := t.TempDir()
	p.AddUser(t, "vic", vanishPass, homeAt(home), func(u *user.User) { u.MaxSessions = 1 })
	big := randomBytes(8 << 20)
	prev := randomBytes(300 << 10)
	for name, data := range map[string][]byte{"big.bin": big, "prev.bin": prev} {
		if err := os.WriteFile(filepath.Join(home, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p.Start(t)
	goroutines := runtime.NumGoroutine()

	// A complete session first, so that what lives as long as the server
	// (caches, the store's connections) exists before the baseline.
	warm := randomBytes(64 << 10)
	c := login(t, p.Explicit(), "vic", vanishPass)
	if err := c.Stor("warm.bin", bytes.NewReader(warm)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(download(t, c, "warm.bin"), warm) {
		t.Fatal("warm.bin differs")
	}
	c.Quit()
	waitFor(t, "the warm-up session to end", func() bool { return runtime.NumGoroutine() <= goroutines })

	// settled waits until goroutines and descriptors are back to their
	// counts when no session was open.
	settled := func(t *testing.T, what string, goroutines, files int) {
		t.Helper()
		deadline := time.Now().Add(waitLimit)
		for {
			g, f := runtime.NumGoroutine(), openFiles(t, p.Config.DataDir)
			if g <= goroutines && f <= files {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Fatalf("%s: after %v still %d goroutines (baseline %d) and %d descriptors (baseline %d)\n%s",
					what, waitLimit, g, goroutines, f, files, buf)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	head := randomBytes(256 << 10)
	tail := randomBytes(200 << 10)
	cases := []struct {
		name string
		// during starts the transfer and returns once it is under way;
		// the returned function waits for the client's side to give up.
		during func(t *testing.T, c *ftp.ServerConn) (wait func())
		check  func(t *testing.T, c *ftp.ServerConn)
	}{
		{
			name: "download",
			during: func(t *testing.T, c *ftp.ServerConn) func() {
				r, err := c.Retr("big.bin")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(r, make([]byte, 64<<10)); err != nil {
					t.Fatal(err)
				}
				return func() { r.Close() }
			},
			check: func(t *testing.T, c *ftp.ServerConn) {
				if !bytes.Equal(download(t, c, "big.bin"), big) {
					t.Error("big.bin differs")
				}
			},
		},
		{
			name:   "upload of a new file",
			during: startGatedUpload(home, "new.bin", head),
			check: func(t *testing.T, c *ftp.ServerConn) {
				// The abort rules keep what arrived under the name, so
				// the client can resume.
				got, err := os.ReadFile(filepath.Join(home, "new.bin"))
				if err != nil || !bytes.Equal(got, head) {
					t.Fatalf("partial new.bin: %d bytes (err %v), want the %d bytes sent", len(got), err, len(head))
				}
				size, err := c.FileSize("new.bin")
				if err != nil || size != int64(len(head)) {
					t.Fatalf("SIZE new.bin = %d (err %v), want %d", size, err, len(head))
				}
				if err := c.StorFrom("new.bin", bytes.NewReader(tail), uint64(size)); err != nil {
					t.Fatalf("resume: %v", err)
				}
				if got := download(t, c, "new.bin"); sum(got) != sum(append(head[:len(head):len(head)], tail...)) {
					t.Error("resumed new.bin differs")
				}
			},
		},
		{
			name:   "upload over an existing file",
			during: startGatedUpload(home, "prev.bin", head),
			check: func(t *testing.T, c *ftp.ServerConn) {
				if got := download(t, c, "prev.bin"); !bytes.Equal(got, prev) {
					t.Errorf("prev.bin changed: %d bytes, want the previous %d", len(got), len(prev))
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A subtest runs in a goroutine of its own: count from here.
			goroutines, files := runtime.NumGoroutine(), openFiles(t, p.Config.DataDir)
			var rc resettingClient
			c := rc.login(t, p.Explicit(), "vic", vanishPass)
			wait := tc.during(t, c)
			rc.vanish(t)
			wait()
			settled(t, "after the reset", goroutines, files)
			if left := tempFiles(t, home); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			// max_sessions is 1: this login works only if the vanished
			// session gave its slot back.
			c2 := login(t, p.Explicit(), "vic", vanishPass)
			tc.check(t, c2)
			c2.Quit()
			settled(t, "after the check", goroutines, files)
		})
	}
}

// startGatedUpload returns a during function for TestClientVanishes that
// uploads head to name and then stalls; it returns once the server has
// written all of head to the upload's temporary file in home.
func startGatedUpload(home, name string, head []byte) func(t *testing.T, c *ftp.ServerConn) func() {
	return func(t *testing.T, c *ftp.ServerConn) func() {
		release := make(chan struct{})
		done := make(chan error, 1)
		go func() { done <- c.Stor(name, &gatedReader{head: head, release: release}) }()
		waitFor(t, "the server to receive the first part of "+name, func() bool {
			sizes := tempSizes(t, home)
			return len(sizes) == 1 && sizes[0] == int64(len(head))
		})
		return func() {
			close(release)
			if err := <-done; err == nil {
				t.Error("the vanished upload reported success")
			}
		}
	}
}
