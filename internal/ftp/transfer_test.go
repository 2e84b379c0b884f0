package ftp_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// startUpload begins a STOR and sends a first chunk, leaving the data
// connection open.
func startUpload(t *testing.T, c *ftptest.Client, name string) net.Conn {
	t.Helper()
	dc := c.OpenPassiveData()
	c.Expect("STOR "+name, 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	rand.Read(chunk)
	tc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := tc.Write(chunk); err != nil {
		t.Fatal(err)
	}
	return tc
}

func TestABORDuringUpload(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "keep.bin", []byte("previous version"))
	c := e.secureClient(t)
	startUpload(t, c, "keep.bin")
	waitUntil(t, "upload progress", func() bool {
		return strings.Contains(c.Expect("STAT", 211), "Transfer in progress: STOR /keep.bin")
	})
	c.WriteRaw([]byte("ABOR\r\n"))
	c.ExpectReply(426)
	c.ExpectReply(226)
	if got := string(e.readFile(t, "keep.bin")); got != "previous version" {
		t.Fatalf("aborted upload changed the file to %d bytes", len(got))
	}
	waitUntil(t, "temporary file removed", func() bool { return len(e.dirNames(t)) == 1 })
	e.logs.waitFor(t, "result=aborted")
	c.Expect("NOOP", 200)
}

func TestABORDuringDownload(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "big.bin", make([]byte, 32<<20))
	c := e.secureClient(t)
	dc := c.OpenPassiveData()
	c.Expect("RETR big.bin", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	// Read a little, then stop reading so the server blocks on the write.
	io.ReadFull(tc, make([]byte, 1024))
	c.WriteRaw([]byte("ABOR\r\n"))
	c.ExpectReply(426)
	c.ExpectReply(226)
	c.Expect("PWD", 257)
}

func TestABORWithoutTransfer(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	c.Expect("EPSV", 229)
	c.Expect("ABOR", 225)
	c.Expect("LIST", 425) // ABOR released the passive listener
}

func TestCommandsDuringTransfer(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	tc := startUpload(t, c, "up.bin")
	c.Expect("NOOP", 200)
	c.Expect("PWD", 450)
	c.Expect("EPSV", 450)
	c.Expect("STAT /", 450)
	status := c.Expect("STAT", 211)
	if !strings.Contains(status, "Transfer in progress: STOR /up.bin") {
		t.Errorf("STAT during transfer:\n%s", status)
	}
	tc.Write([]byte("tail"))
	tc.Close()
	c.ExpectReply(226)
	if got := len(e.readFile(t, "up.bin")); got != 64<<10+4 {
		t.Fatalf("stored %d bytes", got)
	}
	c.Expect("PWD", 257)
}

func TestQUITDuringTransferWaitsForIt(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	tc := startUpload(t, c, "q.bin")
	c.WriteRaw([]byte("QUIT\r\n"))
	tc.Close()
	c.ExpectReply(226)
	c.ExpectReply(221)
	c.ExpectClosed()
	if got := len(e.readFile(t, "q.bin")); got != 64<<10 {
		t.Fatalf("stored %d bytes", got)
	}
}

func TestUploadBrokenByClient(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "keep.bin", []byte("previous"))
	c := e.secureClient(t)
	tc := startUpload(t, c, "keep.bin")
	// Reset the TCP connection under TLS: the upload did not complete.
	tc.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn).SetLinger(0)
	tc.(interface{ NetConn() net.Conn }).NetConn().Close()
	c.ExpectReply(426)
	if got := string(e.readFile(t, "keep.bin")); got != "previous" {
		t.Fatalf("broken upload replaced the file")
	}
}

func TestStalledDataConnectionTimesOut(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.DataTimeout = 300 * time.Millisecond })
	e.writeFile(t, "keep.bin", []byte("previous"))
	c := e.secureClient(t)
	startUpload(t, c, "keep.bin")
	// Send nothing more: the upload must fail, not hang.
	c.ExpectReply(426)
	if got := string(e.readFile(t, "keep.bin")); got != "previous" {
		t.Fatalf("stalled upload replaced the file")
	}
	c.Expect("NOOP", 200)

	c.Expect("EPSV", 229)
	c.Expect("LIST", 150)
	// Never connect: the wait for the data connection ends too.
	c.ExpectReply(425)
}

func TestShutdownLetsTransferFinish(t *testing.T) {
	e := newEnv(t)
	busy := e.secureClient(t)
	idle := e.secureClient(t)
	tc := startUpload(t, busy, "during.bin")

	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(context.Background()) }()

	// The idle session is told and closed; the busy one carries on.
	idle.ExpectReply(421)
	idle.ExpectClosed()
	waitUntil(t, "one session left", func() bool { return e.srv.ActiveSessions() == 1 })
	if _, err := net.DialTimeout("tcp", e.addr, time.Second); err == nil {
		t.Error("server still accepts connections during Shutdown")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v while a transfer ran", err)
	default:
	}
	tc.Write([]byte("end"))
	tc.Close()
	busy.ExpectReply(226)
	busy.ExpectReply(421)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after the transfer")
	}
	if got := len(e.readFile(t, "during.bin")); got != 64<<10+3 {
		t.Fatalf("stored %d bytes", got)
	}
}

func TestShutdownDeadline(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	startUpload(t, c, "stuck.bin")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	waitUntil(t, "sessions closed", func() bool { return e.srv.ActiveSessions() == 0 })
	if names := e.dirNames(t); len(names) != 0 {
		t.Fatalf("interrupted upload left %q", names)
	}
}

// panicFS panics where tests ask it to.
type panicFS struct{ ftp.FileSystem }

func (p panicFS) Stat(name string) (fs.FileInfo, error) {
	if name == "/boom" {
		panic("stat exploded")
	}
	return p.FileSystem.Stat(name)
}

func (p panicFS) Open(name string, offset int64) (io.ReadCloser, error) {
	r, err := p.FileSystem.Open(name, offset)
	if err == nil && strings.HasSuffix(name, ".boom") {
		return panicReader{r}, nil
	}
	return r, err
}

type panicReader struct{ io.ReadCloser }

func (panicReader) Read([]byte) (int, error) { panic("read exploded") }

// panicAuth panics for the user "panic".
type panicAuth struct{ ftp.Authenticator }

func (p panicAuth) Login(ctx context.Context, info ftp.LoginInfo) (*ftp.LoginResult, error) {
	if info.User == "panic" {
		panic("auth exploded")
	}
	return p.Authenticator.Login(ctx, info)
}

func TestPanicsAreContained(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, e *env) {
		s.Auth = panicAuth{&ftptest.Auth{Users: ftptest.Users{testUser: testPass}, FS: panicFS{e.fs}}}
	})
	e.writeFile(t, "x.boom", []byte("data"))
	bystander := e.secureClient(t)

	c := e.secureClient(t)
	code, text := c.Send("CWD /boom")
	if code != 421 || strings.Contains(text, "exploded") {
		t.Fatalf("panic in a handler: %d %q", code, text)
	}
	c.ExpectClosed()

	c = e.secureClient(t)
	dc := c.OpenPassiveData()
	c.Expect("RETR x.boom", 150)
	c.DataTLS(dc)
	if code, text := c.ReadReply(); code != 421 || strings.Contains(text, "exploded") {
		t.Fatalf("panic in a transfer: %d %q", code, text)
	}
	c.ExpectClosed()

	c = ftptest.Dial(t, e.addr)
	c.UpgradeTLS(e.cert.ClientConfig())
	c.Expect("USER panic", 331)
	if code, _ := c.Send("PASS x"); code != 421 {
		t.Fatalf("panic in the authenticator: %d", code)
	}
	c.ExpectClosed()

	if n := e.srv.Panics(); n != 3 {
		t.Fatalf("Panics() = %d, want 3", n)
	}
	e.logs.waitFor(t, "panic recovered")
	if !strings.Contains(e.logs.String(), "goroutine") {
		t.Error("the panic's stack was not logged")
	}
	bystander.Expect("PWD", 257)
	e.secureClient(t).Expect("NOOP", 200)
}

// bigDirFS adds a synthetic directory "/big" with many entries.
type bigDirFS struct {
	ftp.FileSystem
	n int
}

type fakeInfo struct {
	name string
	dir  bool
}

func (f fakeInfo) Name() string { return f.name }
func (f fakeInfo) Size() int64  { return 42 }
func (f fakeInfo) Mode() fs.FileMode {
	if f.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (f fakeInfo) ModTime() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
func (f fakeInfo) IsDir() bool        { return f.dir }
func (f fakeInfo) Sys() any           { return nil }

type fakeDir struct {
	next, n int
	maxAsk  *int
}

func (d *fakeDir) Stat() (fs.FileInfo, error) { return fakeInfo{name: "big", dir: true}, nil }
func (d *fakeDir) Read([]byte) (int, error)   { return 0, io.EOF }
func (d *fakeDir) Close() error               { return nil }
func (d *fakeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		return nil, errors.New("unbounded ReadDir")
	}
	*d.maxAsk = max(*d.maxAsk, n)
	var out []fs.DirEntry
	for ; d.next < d.n && len(out) < n; d.next++ {
		out = append(out, fs.FileInfoToDirEntry(fakeInfo{name: "file-" + strconv.Itoa(d.next)}))
	}
	if len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}

func (b *bigDirFS) Stat(name string) (fs.FileInfo, error) {
	if name == "/big" {
		return fakeInfo{name: "big", dir: true}, nil
	}
	return b.FileSystem.Stat(name)
}

func TestLargeDirectoryIsStreamed(t *testing.T) {
	const n = 100_000
	maxAsk := 0
	e := newEnv(t, func(s *ftp.Server, e *env) {
		s.Auth = &ftptest.Auth{Users: ftptest.Users{testUser: testPass}, FS: &openDirFS{bigDirFS{e.fs, n}, &maxAsk}}
	})
	c := e.secureClient(t)
	dc := c.OpenPassiveData()
	c.Expect("NLST /big", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.SetReadDeadline(time.Now().Add(30 * time.Second))
	sc := bufio.NewScanner(tc)
	lines := 0
	for sc.Scan() {
		lines++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	c.ExpectReply(226)
	if lines != n {
		t.Fatalf("listed %d entries, want %d", lines, n)
	}
	if maxAsk > 1024 {
		t.Fatalf("ReadDir asked for %d entries at once", maxAsk)
	}
}

type openDirFS struct {
	bigDirFS
	maxAsk *int
}

func (o *openDirFS) OpenDir(name string) (fs.ReadDirFile, error) {
	if name == "/big" {
		return &fakeDir{n: o.n, maxAsk: o.maxAsk}, nil
	}
	return o.FileSystem.OpenDir(name)
}

// publicErrFS refuses uploads with a reply of its own.
type publicErrFS struct{ ftp.FileSystem }

type quotaError struct{}

func (quotaError) Error() string   { return "quota of /home/alice exceeded" }
func (quotaError) FTPCode() int    { return 552 }
func (quotaError) Reply() string   { return "Quota exceeded" }
func (quotaError) Is(e error) bool { return false }

type quotaUpload struct{ ftp.Upload }

func (q quotaUpload) Write(p []byte) (int, error) { return 0, quotaError{} }

func (p publicErrFS) Create(name string, opts ftp.CreateOptions) (ftp.Upload, error) {
	u, err := p.FileSystem.Create(name, opts)
	if err != nil {
		return nil, err
	}
	return quotaUpload{u}, nil
}

func (p publicErrFS) Remove(name string) error { return errors.New("disk /dev/sda1 on fire") }

func TestErrorsReachClientOnlyWhenPublic(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, e *env) {
		s.Auth = &ftptest.Auth{Users: ftptest.Users{testUser: testPass}, FS: publicErrFS{e.fs}}
	})
	e.writeFile(t, "f", []byte("x"))
	c := e.secureClient(t)
	if text := c.Expect("DELE f", 550); text != "Requested action aborted: local error in processing" {
		t.Errorf("private error reached the client: %q", text)
	}
	e.logs.waitFor(t, "on fire")

	dc := c.OpenPassiveData()
	c.Expect("STOR q", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.Write(bytes.Repeat([]byte("x"), 1000))
	tc.Close()
	if code, text := c.ReadReply(); code != 552 || text != "Quota exceeded" {
		t.Fatalf("quota error: %d %q", code, text)
	}
}
