package xferlog

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// TestWebalizerReadsLog feeds a generated log to webalizer, whose "-F ftp"
// mode reads the wu-ftpd xferlog, and checks that it takes every line as a
// good record. Debian's webalizer package provides it.
func TestWebalizerReadsLog(t *testing.T) {
	bin, err := exec.LookPath("webalizer")
	if err != nil {
		t.Skip("webalizer not installed (apt-get install webalizer); xferlog(5) format checked by the other tests only")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "xferlog")
	now := time.Date(2026, 11, 29, 13, 45, 0, 0, time.Local)
	w, err := Open(path, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	infos := []ftp.TransferInfo{
		{Verb: "RETR", Path: "/pub/file.bin", Bytes: 1 << 20, Duration: 2 * time.Second, Result: "ok"},
		{Verb: "STOR", Path: "/in/my report.txt", Upload: true, ASCII: true, Bytes: 2048, Result: "ok"},
		{Verb: "APPE", Path: "/in/log", Upload: true, Bytes: 10, Result: "aborted"},
		{Verb: "RETR", Path: "/pub/x", Bytes: 0, Result: "data connection broken"},
	}
	for i, info := range infos {
		info.Remote = netip.MustParseAddrPort("127.0.0.1:4000")
		info.User = "alice"
		if i == 3 {
			info.Remote = netip.MustParseAddrPort("[::1]:4000")
		}
		w.Log(info)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// -c /dev/null: no site configuration; -N 0: no DNS look-ups.
	cmd := exec.Command(bin, "-c", "/dev/null", "-F", "ftp", "-N", "0", "-n", "bulwark", "-o", out, "-v", path)
	cmd.Dir = dir
	msg, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("webalizer: %v\n%s", err, msg)
	}
	m := regexp.MustCompile(`(?m)^(\d+) records( \(([^)]*)\))? in`).FindSubmatch(msg)
	if m == nil {
		t.Fatalf("no record count in webalizer's output:\n%s", msg)
	}
	if string(m[1]) != "4" || len(m[3]) != 0 {
		t.Fatalf("webalizer read %s records (%s), want 4 good ones:\n%s", m[1], m[3], msg)
	}
}
