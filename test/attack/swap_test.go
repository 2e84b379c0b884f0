package attack

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// swapForLink replaces the directory dir by a symbolic link to target,
// keeping the directory under dir+"-moved" (inside the same jail).
func swapForLink(t *testing.T, dir, target string) {
	t.Helper()
	if err := os.Rename(dir, dir+"-moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, dir); err != nil {
		t.Fatal(err)
	}
}

// uploadedSoFar returns the size of the temporary file of an upload
// running in dir, or -1 when there is none yet.
func uploadedSoFar(dir string) int64 {
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), vfs.TempPrefix) {
			if info, err := en.Info(); err == nil {
				return info.Size()
			}
		}
	}
	return -1
}

// A directory replaced by a link to the outside while an upload into it
// or a download from it runs: the transfer stays with the directory it
// began in, and every later command through the link is refused. The
// sentinel beside the home and the share is never touched.
func TestSymlinkSwappedDuringTransfer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home := e.addUser(alice, alicePass)
	sen := plantSentinel(t, filepath.Join(filepath.Dir(home), "sentinel"))
	share := filepath.Join(e.base, "shares", "proj")
	for _, d := range []string{home + "/up", home + "/down", home + "/cwd", share + "/up"} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	inside := make([]byte, 4<<20)
	rand.Read(inside)
	if err := os.WriteFile(home+"/down/secret.txt", inside, 0o640); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Store.CreateShare(ctx, &user.Share{Name: "proj", Path: share}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetGrant(ctx, user.Grant{Share: "proj", User: alice, At: "/proj", Rights: user.RightsAll}); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, filepath.Dir(home), filepath.Base(home))
	e.start()
	r := e.rawLogin(t, alice, alicePass)

	// Uploads, into the home and into the share.
	for _, tc := range []struct{ virt, host string }{{"/up", home + "/up"}, {"/proj/up", share + "/up"}} {
		payload := make([]byte, 1<<20)
		rand.Read(payload)
		dc := r.OpenPassiveData()
		r.expect("STOR "+tc.virt+"/secret.txt", 150)
		tc2, err := r.DataTLS(dc)
		if err != nil {
			t.Fatal(err)
		}
		tc2.SetDeadline(time.Now().Add(30 * time.Second))
		half := len(payload) / 4
		if _, err := tc2.Write(payload[:half]); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 10*time.Second, "the upload to begin", func() bool { return uploadedSoFar(tc.host) > 0 })
		swapForLink(t, tc.host, sen.dir)
		if _, err := tc2.Write(payload[half:]); err != nil {
			t.Fatal(err)
		}
		tc2.Close()
		if code, text := r.ReadReply(); code != 226 {
			t.Errorf("%s: upload across the swap: %d %q", tc.virt, code, text)
		}
		if got, _ := os.ReadFile(tc.host + "-moved/secret.txt"); !bytes.Equal(got, payload) {
			t.Errorf("%s: the upload did not end in its own directory (%d bytes there)", tc.virt, len(got))
		}
		laterRefused(t, r, tc.virt)
	}

	// A download from the directory.
	dc := r.OpenPassiveData()
	r.expect("RETR /down/secret.txt", 150)
	tc, err := r.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(tc, head); err != nil {
		t.Fatal(err)
	}
	swapForLink(t, home+"/down", sen.dir)
	rest, err := io.ReadAll(tc)
	if err != nil || !bytes.Equal(append(head, rest...), inside) {
		t.Errorf("download across the swap: %d bytes, %v; want the file it began with", len(head)+len(rest), err)
	}
	if code, text := r.ReadReply(); code != 226 {
		t.Errorf("download across the swap: %d %q", code, text)
	}
	laterRefused(t, r, "/down")

	// The working directory itself.
	r.expect("CWD /cwd", 250)
	swapForLink(t, home+"/cwd", sen.dir)
	for _, cmd := range []string{"RETR secret.txt", "LIST", "NLST", "MLSD", "STOR new.txt"} {
		if code, text, _ := r.transfer(cmd, []byte("x"), 1<<20); code < 500 {
			t.Errorf("%s in a swapped working directory: %d %q", cmd, code, text)
		}
	}
	for _, cmd := range []string{"SIZE secret.txt", "MLST .", "STAT .", "MKD new", "DELE secret.txt", "CWD inner"} {
		if code, text := r.send(cmd); code < 500 {
			t.Errorf("%s in a swapped working directory: %d %q", cmd, code, text)
		}
	}
	r.expect("CDUP", 250)
	r.stillServes()

	if d := before.diff(takeSnapshot(t, filepath.Dir(home), filepath.Base(home))); len(d) > 0 {
		t.Errorf("beside the home, changed: %q", d)
	}
	if got, _ := os.ReadFile(filepath.Join(sen.dir, "secret.txt")); !strings.HasPrefix(string(got), sen.content) {
		t.Error("the sentinel's secret was overwritten")
	}
	e.noPanics()
}

// laterRefused checks that every command through a swapped directory is
// refused.
func laterRefused(t *testing.T, r *raw, dir string) {
	t.Helper()
	for _, cmd := range []string{"RETR", "LIST", "NLST", "MLSD"} {
		if code, text, data := r.transfer(cmd+" "+dir+"/secret.txt", nil, 1<<20); code < 500 || len(data) > 0 {
			t.Errorf("%s %s/secret.txt after the swap: %d %q, %d bytes", cmd, dir, code, text, len(data))
		}
	}
	for _, cmd := range []string{"STOR", "APPE", "STOU"} {
		if code, text, _ := r.transfer(cmd+" "+dir+"/secret.txt", []byte("overwrite"), 1<<20); code < 500 {
			t.Errorf("%s %s/secret.txt after the swap: %d %q", cmd, dir, code, text)
		}
	}
	for _, cmd := range []string{
		"SIZE %s/secret.txt", "MDTM %s/secret.txt", "HASH %s/secret.txt", "MLST %s/secret.txt",
		"STAT %s", "CWD %s", "MKD %s/new", "DELE %s/secret.txt", "RNFR %s/secret.txt",
		"SITE CHMOD 777 %s/secret.txt", "MFMT 20200101000000 %s/secret.txt", "RMD %s/emptydir",
	} {
		if code, text := r.send(strings.ReplaceAll(cmd, "%s", dir)); code < 500 {
			t.Errorf("%s after the swap: %d %q", strings.ReplaceAll(cmd, "%s", dir), code, text)
		}
	}
}
