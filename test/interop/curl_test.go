package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// curlClient drives the curl binary against one listener of a fixture.
type curlClient struct {
	bin   string
	base  string // ftp://127.0.0.1:port or ftps://… for implicit TLS
	netrc string
	extra []string
}

func newCurl(t *testing.T, f *fixture, m mode, extra ...string) *curlClient {
	t.Helper()
	bin := needTool(t, "curl")
	// The password goes through a netrc file so that it never appears on a
	// command line (visible in the process table) or in the test log.
	netrc := filepath.Join(t.TempDir(), "netrc")
	entry := fmt.Sprintf("machine 127.0.0.1 login %s password %s\n", f.User, f.Password)
	if err := os.WriteFile(netrc, []byte(entry), 0o600); err != nil {
		t.Fatal(err)
	}
	scheme := "ftp"
	if m.implicit {
		scheme = "ftps"
	}
	return &curlClient{
		bin:   bin,
		base:  scheme + "://" + f.addr(m),
		netrc: netrc,
		extra: extra,
	}
}

// args builds a curl command line: -q first so that no ~/.curlrc applies,
// TLS required on control and data, the self-signed certificate accepted,
// passive mode, and a deadline.
func (c *curlClient) args(path string, more ...string) []string {
	a := []string{"-q", "--silent", "--show-error", "--ssl-reqd", "--insecure",
		"--ftp-pasv", "--max-time", "60", "--netrc-file", c.netrc}
	a = append(a, c.extra...)
	a = append(a, more...)
	return append(a, c.base+path)
}

func (c *curlClient) run(t *testing.T, path string, more ...string) runResult {
	t.Helper()
	return mustRun(t, nil, c.bin, c.args(path, more...)...)
}

func TestCurl(t *testing.T) {
	for _, m := range bothModes() {
		t.Run(m.name, func(t *testing.T) {
			f := startServer(t)
			curlSession(t, f, newCurl(t, f, m))
			f.wantTLSVersion(t, "TLS 1.3")
		})
	}
}

// Over TLS 1.2 curl (with OpenSSL) offers no session ticket, and Go's TLS
// server resumes sessions only from tickets, so curl's data connections
// cannot resume the control connection's session. Bulwark's default
// refuses them; TestCurlTLS12RefusedByDefault pins that down and
// TestCurlTLS12 shows the working configuration: TLS 1.3 (curl's default)
// or, where a client is held to TLS 1.2, tls.require_session_resumption
// switched off.

// TestCurlTLS12 runs the whole session over TLS 1.2 against a server that
// does not require session resumption on data connections.
func TestCurlTLS12(t *testing.T) {
	for _, m := range bothModes() {
		t.Run(m.name, func(t *testing.T) {
			f := startServer(t, func(c *config.Config) { c.TLS.RequireSessionResumption = false })
			curlSession(t, f, newCurl(t, f, m, "--tls-max", "1.2"))
			f.wantTLSVersion(t, "TLS 1.2")
		})
	}
}

// TestCurlTLS12RefusedByDefault checks that a TLS 1.2 curl transfer fails
// against the default configuration and stores nothing. Should a future
// curl offer session tickets over TLS 1.2, this test fails and the
// paragraph above needs updating.
func TestCurlTLS12RefusedByDefault(t *testing.T) {
	for _, m := range bothModes() {
		t.Run(m.name, func(t *testing.T) {
			f := startServer(t)
			wantCurlRefused(t, f, newCurl(t, f, m, "--tls-max", "1.2"))
		})
	}
}

// curlSession uploads, downloads, lists, resumes both ways, renames,
// deletes and makes and removes a directory.
func curlSession(t *testing.T, f *fixture, c *curlClient) {
	local := t.TempDir()
	src := filepath.Join(local, "src.bin")
	sum := writeRandomFile(t, src, bigFileSize)

	// Upload into a directory that curl creates on the way.
	c.run(t, "/dir/file.bin", "--ftp-create-dirs", "-T", src)
	wantSHA(t, "uploaded file on disk", filepath.Join(f.Home, "dir", "file.bin"), sum)

	down := filepath.Join(local, "down.bin")
	c.run(t, "/dir/file.bin", "-o", down)
	wantSHA(t, "downloaded file", down, sum)

	// Names only (NLST), then the long listing (LIST).
	if out := c.run(t, "/dir/", "--list-only").Stdout; !hasLine(out, "file.bin") {
		t.Errorf("NLST of /dir lacks file.bin:\n%s", out)
	}
	if out := c.run(t, "/dir/").Stdout; !strings.Contains(out, "file.bin") {
		t.Errorf("LIST of /dir lacks file.bin:\n%s", out)
	}

	// A download that stopped at resumeCut continues from there (REST+RETR).
	partial := filepath.Join(local, "partial.bin")
	writePrefix(t, src, partial, resumeCut)
	c.run(t, "/dir/file.bin", "--continue-at", "-", "-o", partial)
	wantSHA(t, "resumed download", partial, sum)

	// An upload that stopped at resumeCut continues from the remote size.
	head := filepath.Join(local, "head.bin")
	writePrefix(t, src, head, resumeCut)
	c.run(t, "/resume.bin", "-T", head)
	wantSHA(t, "first part on disk", filepath.Join(f.Home, "resume.bin"), fileSHA(head))
	c.run(t, "/resume.bin", "--continue-at", "-", "-T", src)
	wantSHA(t, "resumed upload on disk", filepath.Join(f.Home, "resume.bin"), sum)

	// Commands prefixed with "-" run after the transfer (here a listing of
	// /dir/, which also leaves curl in that directory).
	c.run(t, "/dir/", "--list-only", "-Q", "-RNFR file.bin", "-Q", "-RNTO renamed.bin")
	wantExists(t, filepath.Join(f.Home, "dir", "file.bin"), false)
	wantSHA(t, "renamed file", filepath.Join(f.Home, "dir", "renamed.bin"), sum)
	if out := c.run(t, "/dir/", "--list-only").Stdout; !hasLine(out, "renamed.bin") || hasLine(out, "file.bin") {
		t.Errorf("listing after rename:\n%s", out)
	}

	c.run(t, "/dir/", "--list-only", "-Q", "-DELE renamed.bin")
	wantExists(t, filepath.Join(f.Home, "dir", "renamed.bin"), false)

	c.run(t, "/", "--list-only", "-Q", "MKD made")
	if fi, err := os.Stat(filepath.Join(f.Home, "made")); err != nil || !fi.IsDir() {
		t.Errorf("MKD made: no directory on disk (%v)", err)
	}
	if out := c.run(t, "/", "--list-only").Stdout; !hasLine(out, "made") {
		t.Errorf("root listing lacks made:\n%s", out)
	}
	c.run(t, "/", "--list-only", "-Q", "-RMD made")
	wantExists(t, filepath.Join(f.Home, "made"), false)
}

// TestCurlWithoutSessionReuseIsRefused shows that the server's refusal of
// data connections that do not resume the control connection's TLS session
// is real: curl with its session cache off cannot transfer, and nothing is
// stored.
func TestCurlWithoutSessionReuseIsRefused(t *testing.T) {
	for _, m := range bothModes() {
		t.Run(m.name, func(t *testing.T) {
			f := startServer(t)
			wantCurlRefused(t, f, newCurl(t, f, m, "--no-sessionid"))
		})
	}
}

// wantCurlRefused fails the test unless an upload with c fails because its
// data connection did not resume the TLS session, and leaves nothing in the
// home directory.
func wantCurlRefused(t *testing.T, f *fixture, c *curlClient) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src.bin")
	writeRandomFile(t, src, 64<<10)
	res := run(t, nil, c.bin, c.args("/refused.bin", "-T", src, "--verbose")...)
	if res.Err == nil {
		t.Fatalf("upload succeeded; want its data connection refused for not resuming the TLS session")
	}
	wantExists(t, filepath.Join(f.Home, "refused.bin"), false)
	// The reply may not reach curl (it can fail writing first), so the
	// reason is checked in the server's log.
	if !strings.Contains(f.logs.String(), refusedNotResumed) {
		t.Errorf("server log lacks %q", refusedNotResumed)
	}
}

// refusedNotResumed is the server's log message for a data connection it
// refused because the TLS session was not resumed.
const refusedNotResumed = "data connection refused: TLS session not resumed"

// hasLine reports whether out has a line equal to name, or ending in /name
// (servers may answer NLST with paths).
func hasLine(out, name string) bool {
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if line == name || strings.HasSuffix(line, "/"+name) {
			return true
		}
	}
	return false
}
