package faults

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// waitLimit bounds every wait for the network or another process. It is
// generous because the race detector and two cores make everything slow; a
// passing run never waits that long.
const waitLimit = 20 * time.Second

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockedBuffer collects a server's log from several goroutines.
type lockedBuffer = testutil.Buffer

// newInProcess prepares a server started in the test process, built the
// way `bulwark serve` builds it, with the explicit listener only; add
// users, then call Start.
func newInProcess(t testing.TB) *servertest.Env {
	t.Helper()
	return servertest.New(t, func(c *config.Config) { c.Server.ImplicitListen = "" })
}

// homeAt puts a user's home at the host path home.
func homeAt(home string) func(*user.User) {
	return func(u *user.User) { u.Home = home }
}

// login opens an explicit FTPS session (AUTH TLS) and logs in.
func login(t testing.TB, addr, name, pass string, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	opts = append([]ftp.DialOption{ftp.DialWithExplicitTLS(servertest.ClientTLS()), ftp.DialWithTimeout(waitLimit)}, opts...)
	c, err := ftp.Dial(addr, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Quit() })
	if err := c.Login(name, pass); err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	return c
}

// randomBytes returns n bytes that no two calls share.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// download reads a whole file over FTP.
func download(t testing.TB, c *ftp.ServerConn, name string) []byte {
	t.Helper()
	r, err := c.Retr(name)
	if err != nil {
		t.Fatalf("RETR %s: %v", name, err)
	}
	b, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("RETR %s: %v", name, err)
	}
	return b
}

// replyCode is the FTP reply code inside an error from the client, or 0.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// tempFiles lists the temporary upload files anywhere under dir.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), vfs.TempPrefix) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return found
}

// tempSizes gives the size of each temporary upload file under dir.
func tempSizes(t testing.TB, dir string) []int64 {
	t.Helper()
	var sizes []int64
	for _, p := range tempFiles(t, dir) {
		info, err := os.Stat(p)
		if err != nil {
			continue // committed or removed meanwhile
		}
		sizes = append(sizes, info.Size())
	}
	return sizes
}

// gatedReader gives head, at most chunk bytes a read (when chunk > 0) and
// pausing between reads (when pause > 0), as a slow client sends; then it
// blocks until release is closed, and fails: an upload that stops moving
// part way and never finishes.
type gatedReader struct {
	head    []byte
	chunk   int
	pause   time.Duration
	release <-chan struct{}
}

var errGateReleased = errors.New("test: upload abandoned")

func (g *gatedReader) Read(p []byte) (int, error) {
	if len(g.head) > 0 {
		if g.chunk > 0 && len(p) > g.chunk {
			p = p[:g.chunk]
		}
		if g.pause > 0 {
			time.Sleep(g.pause)
		}
		n := copy(p, g.head)
		g.head = g.head[n:]
		return n, nil
	}
	<-g.release
	return 0, errGateReleased
}
