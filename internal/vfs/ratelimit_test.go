package vfs

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// The limiters refill at one token a second, so the tokens a transfer
// takes show up in Tokens() no matter how long the test runs; the margin
// only allows for the slow refill.
const refillMargin = 120

func limitedFS(t *testing.T, up, down *rate.Limiter) (*FS, string) {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	fsys, err := New(home, Options{CreateHome: true, UploadLimiter: up, DownloadLimiter: down})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys, home
}

func wantTokens(t *testing.T, what string, lim *rate.Limiter, want float64) {
	t.Helper()
	if got := lim.Tokens(); got < want || got > want+refillMargin {
		t.Errorf("%s: %.0f tokens left, want about %.0f", what, got, want)
	}
}

func TestDownloadLimiterConsulted(t *testing.T) {
	const burst = 10000
	down := rate.NewLimiter(1, burst)
	fsys, home := limitedFS(t, nil, down)
	writeHost(t, filepath.Join(home, "f"), strings.Repeat("d", 4000))
	if got := readVFS(t, fsys, "/f"); len(got) != 4000 {
		t.Fatalf("read %d bytes", len(got))
	}
	wantTokens(t, "download", down, burst-4000)
	// Resuming takes tokens only for what is sent.
	r, err := fsys.Open("/f", 3000)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	r.Close()
	if err != nil || n != 1000 {
		t.Fatalf("copied %d, %v", n, err)
	}
	wantTokens(t, "resumed download", down, burst-5000)
}

func TestUploadLimiterConsulted(t *testing.T) {
	const burst = 10000
	up := rate.NewLimiter(1, burst)
	fsys, home := limitedFS(t, up, nil)
	put(t, fsys, "/f", ftp.CreateOptions{}, strings.Repeat("u", 3000))
	if got := readHost(t, filepath.Join(home, "f")); len(got) != 3000 {
		t.Fatalf("stored %d bytes", len(got))
	}
	wantTokens(t, "upload", up, burst-3000)
}

// A limiter refuses WaitN beyond its burst, so transfers larger than the
// burst work only if they wait in chunks.
func TestLimiterChunksWithinBurst(t *testing.T) {
	up := rate.NewLimiter(1e9, 16)
	down := rate.NewLimiter(1e9, 16)
	fsys, _ := limitedFS(t, up, down)
	data := strings.Repeat("0123456789", 100)
	u, err := fsys.Create("/f", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := u.Write([]byte(data)); err != nil || n != len(data) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if err := u.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := fsys.Open("/f", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 512)
	n, err := r.Read(buf)
	if err != nil || n > 16 {
		t.Errorf("Read = %d, %v; want at most a burst", n, err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || string(buf[:n])+string(rest) != data {
		t.Errorf("read back %d bytes, %v", n+len(rest), err)
	}
}

// Abort interrupts an upload waiting for bandwidth.
func TestAbortInterruptsLimiterWait(t *testing.T) {
	up := rate.NewLimiter(0.001, 10)
	up.AllowN(time.Now(), 10) // empty the bucket
	fsys, home := limitedFS(t, up, nil)
	u, err := fsys.Create("/f", ftp.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := u.Write([]byte("0123456789"))
		done <- err
	}()
	if err := u.Abort(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrUploadFinished) {
			t.Errorf("Write after Abort: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Write still waiting after Abort")
	}
	if tmp := tempFiles(t, home); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}
