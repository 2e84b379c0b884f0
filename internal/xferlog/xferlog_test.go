package xferlog

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// lineRE is the line of xferlog(5), field by field, as strictly as the
// manual describes it.
var lineRE = regexp.MustCompile(`^` +
	`(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ` +
	`( [1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] [0-9]{4} ` + // current-time
	`[0-9]+ ` + // transfer-time
	`[^ ]+ ` + // remote-host
	`[0-9]+ ` + // file-size
	`[^ ]+ ` + // filename
	`[ab] ` + // transfer-type
	`(_|[CUT]+) ` + // special-action-flag
	`[oid] ` + // direction
	`[agr] ` + // access-mode
	`[^ ]+ ` + // username
	`[^ ]+ ` + // service-name
	`[01] ` + // authentication-method
	`[^ ]+ ` + // authenticated-user-id
	`[ci]$`) // completion-status

func TestAppendLineExample(t *testing.T) {
	// Built in the local zone, so the expected text holds in any TZ.
	now := time.Date(2026, 11, 29, 13, 45, 0, 0, time.Local)
	info := ftp.TransferInfo{
		Remote: netip.MustParseAddrPort("127.0.0.1:40000"), User: "alice",
		Verb: "RETR", Path: "/dir/file.bin", Bytes: 1048576,
		Duration: 2*time.Second + 900*time.Millisecond, Result: "ok",
	}
	got := string(AppendLine(nil, info, now))
	want := "Sun Nov 29 13:45:00 2026 2 127.0.0.1 1048576 /dir/file.bin b _ o r alice ftp 0 * c\n"
	if got != want {
		t.Fatalf("line:\n got %q\nwant %q", got, want)
	}
}

func TestAppendLineFields(t *testing.T) {
	now := time.Date(2026, 3, 9, 7, 5, 3, 0, time.Local)
	base := ftp.TransferInfo{
		Remote: netip.MustParseAddrPort("192.0.2.7:1234"), User: "bob",
		Verb: "STOR", Path: "/up/x", Upload: true, Bytes: 10, Duration: 0, Result: "ok",
	}
	tests := []struct {
		name string
		edit func(*ftp.TransferInfo)
		want string
	}{
		{"upload under a second is 1", func(*ftp.TransferInfo) {},
			"Mon Mar  9 07:05:03 2026 1 192.0.2.7 10 /up/x b _ i r bob ftp 0 * c\n"},
		{"ascii append", func(i *ftp.TransferInfo) { i.ASCII, i.Verb = true, "APPE" },
			"Mon Mar  9 07:05:03 2026 1 192.0.2.7 10 /up/x a _ i r bob ftp 0 * c\n"},
		{"aborted download", func(i *ftp.TransferInfo) {
			i.Upload, i.Verb, i.Result, i.Duration = false, "RETR", "aborted", 61*time.Second
		}, "Mon Mar  9 07:05:03 2026 61 192.0.2.7 10 /up/x b _ o r bob ftp 0 * i\n"},
		{"broken data connection", func(i *ftp.TransferInfo) { i.Result = "data connection broken" },
			"Mon Mar  9 07:05:03 2026 1 192.0.2.7 10 /up/x b _ i r bob ftp 0 * i\n"},
		{"spaces and controls in the name", func(i *ftp.TransferInfo) { i.Path = "/my dir/a\tb\r\n c\x00\x7f\x1bd\u00a0e" },
			"Mon Mar  9 07:05:03 2026 1 192.0.2.7 10 /my_dir/a_b___cd_e b _ i r bob ftp 0 * c\n"},
		{"non-UTF-8 bytes kept", func(i *ftp.TransferInfo) { i.Path = "/caf\xe9" },
			"Mon Mar  9 07:05:03 2026 1 192.0.2.7 10 /caf\xe9 b _ i r bob ftp 0 * c\n"},
		{"IPv4-mapped address unmapped", func(i *ftp.TransferInfo) {
			i.Remote = netip.MustParseAddrPort("[::ffff:198.51.100.1]:21")
		}, "Mon Mar  9 07:05:03 2026 1 198.51.100.1 10 /up/x b _ i r bob ftp 0 * c\n"},
		{"IPv6 address", func(i *ftp.TransferInfo) { i.Remote = netip.MustParseAddrPort("[2001:db8::1]:21") },
			"Mon Mar  9 07:05:03 2026 1 2001:db8::1 10 /up/x b _ i r bob ftp 0 * c\n"},
		{"no address, no user", func(i *ftp.TransferInfo) { i.Remote, i.User = netip.AddrPort{}, "" },
			"Mon Mar  9 07:05:03 2026 1 unknown 10 /up/x b _ i r * ftp 0 * c\n"},
		{"user name with a space", func(i *ftp.TransferInfo) { i.User = "jo doe" },
			"Mon Mar  9 07:05:03 2026 1 192.0.2.7 10 /up/x b _ i r jo_doe ftp 0 * c\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := base
			tt.edit(&info)
			got := string(AppendLine(nil, info, now))
			if got != tt.want {
				t.Fatalf("line:\n got %q\nwant %q", got, tt.want)
			}
			if !lineRE.MatchString(strings.TrimSuffix(got, "\n")) {
				t.Fatalf("line does not match xferlog(5): %q", got)
			}
		})
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline", path)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func fixedClock() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local) }

func transfer(verb, path string) ftp.TransferInfo {
	return ftp.TransferInfo{Remote: netip.MustParseAddrPort("127.0.0.1:5000"), User: "alice",
		Verb: verb, Path: path, Upload: verb != "RETR", Bytes: 5, Result: "ok"}
}

func TestWriterSkipsListingsAndCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xferlog")
	w, err := Open(path, WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, verb := range []string{"LIST", "RETR", "NLST", "STOR", "MLSD", "APPE", "STOU"} {
		w.Log(transfer(verb, "/f-"+verb))
	}
	lines := readLines(t, path)
	want := []string{"/f-RETR b _ o", "/f-STOR b _ i", "/f-APPE b _ i", "/f-STOU b _ i"}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d: %q", len(lines), len(want), lines)
	}
	for i, l := range lines {
		if !lineRE.MatchString(l) || !strings.Contains(l, want[i]) {
			t.Errorf("line %d = %q, want a valid line with %q", i, l, want[i])
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&^fileMode != 0 {
		t.Errorf("mode %v, want at most %v", perm, os.FileMode(fileMode))
	}
}

func TestWriterConcurrentLinesStayWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xferlog")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 50
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				w.Log(transfer("STOR", fmt.Sprintf("/g%d/file %d", g, i)))
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != writers*each {
		t.Fatalf("got %d lines, want %d", len(lines), writers*each)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if !lineRE.MatchString(l) {
			t.Fatalf("bad line %q", l)
		}
		seen[strings.Fields(l)[8]] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("got %d distinct names, want %d", len(seen), writers*each)
	}
}

func TestWriterReopenAfterRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "xferlog")
	w, err := Open(path, WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	w.Log(transfer("RETR", "/before"))
	rotated := path + ".1"
	if err := os.Rename(path, rotated); err != nil {
		t.Fatal(err)
	}
	// Until Reopen the writer still appends to the renamed file.
	w.Log(transfer("RETR", "/between"))
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Log(transfer("STOR", "/after"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	old, cur := readLines(t, rotated), readLines(t, path)
	if len(old) != 2 || !strings.Contains(old[0], " /before ") || !strings.Contains(old[1], " /between ") {
		t.Errorf("rotated file: %q", old)
	}
	if len(cur) != 1 || !strings.Contains(cur[0], " /after ") {
		t.Errorf("new file: %q", cur)
	}
	// After Close nothing is written and Reopen refuses.
	w.Log(transfer("RETR", "/closed"))
	if got := readLines(t, path); len(got) != 1 {
		t.Errorf("a line was written after Close: %q", got)
	}
	if err := w.Reopen(); err != ErrClosed {
		t.Errorf("Reopen after Close: %v, want ErrClosed", err)
	}
}

func TestWriterReopenFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "xferlog")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(filepath.Dir(path), moved); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err == nil {
		t.Fatal("Reopen into a missing directory succeeded")
	}
	w.Log(transfer("RETR", "/still"))
	if got := readLines(t, filepath.Join(moved, "xferlog")); len(got) != 1 {
		t.Fatalf("old file after failed Reopen: %q", got)
	}
}

func TestWriterCountsWriteErrors(t *testing.T) {
	// /dev/full accepts the open and fails every write with ENOSPC.
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	var logs bytes.Buffer
	w, err := Open("/dev/full", WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for range 3 {
		w.Log(transfer("RETR", "/x"))
	}
	if got := w.Errors(); got != 3 {
		t.Errorf("Errors() = %d, want 3", got)
	}
	if n := strings.Count(logs.String(), "transfer log write failed"); n != 1 {
		t.Errorf("logged the failure %d times, want once:\n%s", n, logs.String())
	}
}

func TestOpenFails(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "xferlog")); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}
