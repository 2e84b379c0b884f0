package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lftpClient drives the lftp binary (built with GnuTLS on Debian) against one
// listener of a fixture.
type lftpClient struct {
	bin      string
	url      string
	user     string
	env      []string
	settings []string
}

// lftpSettings is the configuration under which lftp works with Bulwark's
// defaults: TLS forced on the control and every data connection, the
// self-signed certificate accepted, and quick failure instead of lftp's
// patient retrying, so that a refusal shows as an error and not a hang.
// lftp reuses the control connection's TLS session on data connections
// by itself, so nothing about sessions needs setting.
func lftpSettings() []string {
	return []string{
		"set cmd:fail-exit yes",
		"set ssl:verify-certificate no",
		"set ftp:ssl-force yes",
		"set ftp:ssl-auth TLS",
		"set ftp:ssl-protect-data yes",
		"set ftp:ssl-protect-list yes",
		"set ftp:passive-mode yes",
		"set net:max-retries 1",
		"set net:timeout 20",
		"set net:reconnect-interval-base 1",
		"set xfer:clobber yes",
		// The FTP dialogue goes to stderr (passwords masked), shown on failure.
		"debug 5",
	}
}

func newLftp(t *testing.T, f *fixture, m mode, extra ...string) *lftpClient {
	t.Helper()
	bin := needTool(t, "lftp")
	scheme := "ftp"
	if m.implicit {
		scheme = "ftps"
	}
	// An empty HOME keeps the user's rc files and bookmarks out, together
	// with --norc.
	home := t.TempDir()
	return &lftpClient{
		bin:  bin,
		url:  scheme + "://" + f.addr(m),
		user: f.User,
		// The password travels in the environment (open --env-password),
		// never on a command line.
		env:      []string{"LFTP_PASSWORD=" + f.Password, "HOME=" + home},
		settings: append(lftpSettings(), extra...),
	}
}

// run opens a session and runs cmds in it, stopping at the first failure.
func (c *lftpClient) run(t *testing.T, cmds ...string) runResult {
	t.Helper()
	script := append(append([]string{}, c.settings...), "open --env-password -u "+c.user+" "+c.url)
	script = append(script, cmds...)
	return mustRun(t, c.env, c.bin, "--norc", "-c", strings.Join(script, "; "))
}

// quote makes a local path one lftp word.
func quote(t *testing.T, path string) string {
	t.Helper()
	if strings.ContainsAny(path, "\"\\;") {
		t.Fatalf("path %q needs more quoting than this test does", path)
	}
	return `"` + path + `"`
}

func TestLftp(t *testing.T) {
	for _, m := range bothModes() {
		t.Run(m.name, func(t *testing.T) {
			f := startServer(t)
			lftpSession(t, f, newLftp(t, f, m))
			f.wantTLSVersion(t, "TLS 1.3")
		})
	}
}

// TestLftpTLS12 repeats the session with TLS 1.3 switched off in GnuTLS.
func TestLftpTLS12(t *testing.T) {
	for _, m := range bothModes() {
		t.Run(m.name, func(t *testing.T) {
			f := startServer(t)
			lftpSession(t, f, newLftp(t, f, m, `set ssl:priority "NORMAL:-VERS-TLS1.3"`))
			f.wantTLSVersion(t, "TLS 1.2")
		})
	}
}

// lftpSession uploads, downloads, lists, resumes both ways, renames,
// deletes and makes and removes a directory.
func lftpSession(t *testing.T, f *fixture, c *lftpClient) {
	local := t.TempDir()
	src := filepath.Join(local, "src.bin")
	sum := writeRandomFile(t, src, bigFileSize)

	c.run(t, "mkdir dir", "put "+quote(t, src)+" -o dir/file.bin")
	wantSHA(t, "uploaded file on disk", filepath.Join(f.Home, "dir", "file.bin"), sum)

	down := filepath.Join(local, "down.bin")
	c.run(t, "get dir/file.bin -o "+quote(t, down))
	wantSHA(t, "downloaded file", down, sum)

	if out := c.run(t, "nlist dir").Stdout; !hasLine(out, "file.bin") {
		t.Errorf("nlist dir lacks file.bin:\n%s", out)
	}
	if out := c.run(t, "cls -l dir").Stdout; !strings.Contains(out, "file.bin") {
		t.Errorf("cls -l dir lacks file.bin:\n%s", out)
	}

	// get -c continues a partial local file with REST+RETR.
	partial := filepath.Join(local, "partial.bin")
	writePrefix(t, src, partial, resumeCut)
	c.run(t, "get -c dir/file.bin -o "+quote(t, partial))
	wantSHA(t, "resumed download", partial, sum)

	// put -c continues from the remote file's size.
	head := filepath.Join(local, "head.bin")
	writePrefix(t, src, head, resumeCut)
	c.run(t, "put "+quote(t, head)+" -o resume.bin")
	wantSHA(t, "first part on disk", filepath.Join(f.Home, "resume.bin"), fileSHA(head))
	c.run(t, "put -c "+quote(t, src)+" -o resume.bin")
	wantSHA(t, "resumed upload on disk", filepath.Join(f.Home, "resume.bin"), sum)

	c.run(t, "mv dir/file.bin dir/renamed.bin")
	wantExists(t, filepath.Join(f.Home, "dir", "file.bin"), false)
	wantSHA(t, "renamed file", filepath.Join(f.Home, "dir", "renamed.bin"), sum)

	c.run(t, "rm dir/renamed.bin")
	wantExists(t, filepath.Join(f.Home, "dir", "renamed.bin"), false)

	c.run(t, "mkdir made")
	if fi, err := os.Stat(filepath.Join(f.Home, "made")); err != nil || !fi.IsDir() {
		t.Errorf("mkdir made: no directory on disk (%v)", err)
	}
	if out := c.run(t, "nlist").Stdout; !hasLine(out, "made") {
		t.Errorf("root listing lacks made:\n%s", out)
	}
	c.run(t, "rmdir made")
	wantExists(t, filepath.Join(f.Home, "made"), false)
}
