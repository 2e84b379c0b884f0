package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

const uploadChunk = 32 << 10

// uploading is an upload by a real client whose data the test feeds.
type uploading struct {
	w    *io.PipeWriter
	done chan error
}

// startUpload logs in and starts uploading name; it returns once the
// server has accepted the data connection and received the first bytes.
func startUpload(t *testing.T, addr string, pool *x509.CertPool, pw, name string) *uploading {
	t.Helper()
	conn, err := ftp.Dial(addr, ftp.DialWithTimeout(10*time.Second),
		ftp.DialWithExplicitTLS(&tls.Config{RootCAs: pool, ServerName: "localhost",
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Quit() })
	if err := conn.Login(firstUserName, pw); err != nil {
		t.Fatal(err)
	}
	r, w := io.Pipe()
	u := &uploading{w: w, done: make(chan error, 1)}
	go func() { u.done <- conn.Stor(name, r) }()
	// The client reads the first chunk after the server's 150 reply, and
	// the second once the first has gone over the data connection: by
	// then the server runs the transfer (a STOR answered with 150 but not
	// yet under way is refused by a shutdown, as it should be).
	for range 2 {
		if _, err := w.Write(bytes.Repeat([]byte("x"), uploadChunk)); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// SIGTERM stops accepting at once, lets a running transfer finish with 226
// and, when server.shutdown_timeout runs out, cuts a stalled one.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	e := newEnv(t)
	cfgFile := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgFile, []byte("[server]\nshutdown_timeout = \"2s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, e, "--config", cfgFile)
	m := regexp.MustCompile(`password:\s+(\S+)`).FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no first user password:\n%s", s.stdout)
	}
	pem, err := os.ReadFile(filepath.Join(e.dataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	addr := s.addrs[0].String()

	// The stalled upload replaces a file, which must survive the cut.
	stalledPath := filepath.Join(e.dataDir, "homes", firstUserName, "stalled.bin")
	if err := os.WriteFile(stalledPath, []byte("previous"), 0o600); err != nil {
		t.Fatal(err)
	}
	finishing := startUpload(t, addr, pool, m[1], "finishing.bin")
	stalled := startUpload(t, addr, pool, m[1], "stalled.bin")

	s.sigs <- syscall.SIGTERM
	s.waitLog(t, "shutting down")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("new connections still accepted while draining")
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The running transfer completes during the drain.
	if _, err := finishing.w.Write([]byte("end")); err != nil {
		t.Fatal(err)
	}
	finishing.w.Close()
	select {
	case err := <-finishing.done:
		if err != nil {
			t.Fatalf("upload during the drain: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("upload during the drain did not complete")
	}
	select {
	case code := <-s.done:
		t.Fatalf("serve exited (%d) while a transfer was still running", code)
	default:
	}
	if data, err := os.ReadFile(filepath.Join(e.dataDir, "homes", firstUserName, "finishing.bin")); err != nil || len(data) != 2*uploadChunk+3 {
		t.Errorf("finished upload: %d bytes, %v", len(data), err)
	}

	// The stalled one is cut when the timeout runs out, and serve ends.
	select {
	case code := <-s.done:
		if code != exitOK {
			t.Errorf("serve exit %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop after shutdown_timeout\n%s", s.stderr)
	}
	// Cutting a session is asynchronous (Shutdown does not wait for it,
	// as with net/http): wait for the transfer's end before its client
	// finishes, and learns that the upload failed.
	s.waitLog(t, "path=/stalled.bin")
	for l := range strings.Lines(s.stderr.String()) {
		if strings.Contains(l, "path=/stalled.bin") && !strings.Contains(l, "result=aborted") {
			t.Errorf("the stalled upload did not end aborted: %s", l)
		}
	}
	stalled.w.Close()
	select {
	case err := <-stalled.done:
		if err == nil {
			t.Error("the cut upload was reported complete")
		}
	case <-time.After(10 * time.Second):
		t.Error("the client of the cut upload got no answer")
	}
	if !strings.Contains(s.stderr.String(), "shutdown timeout reached") {
		t.Errorf("no timeout warning in the log:\n%s", s.stderr)
	}
	if got, err := os.ReadFile(stalledPath); err != nil || string(got) != "previous" {
		t.Errorf("the cut upload replaced the previous version: %d bytes, %v", len(got), err)
	}
}
