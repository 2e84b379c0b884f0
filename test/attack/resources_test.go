package attack

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// heapBound is how much more live heap a scenario of resource abuse may
// make the server hold. Holding a 100,000-entry listing or a 50 MiB line
// in memory would take well over it; streaming takes a few buffers.
const heapBound = 16 << 20

// REST beyond the end of a file is refused with 554 for downloads and
// uploads alike, the file is left as it was, and the prepared data
// connection is released for the next command.
func TestRESTBeyondEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home := e.addUser(alice, alicePass)
	original := bytes.Repeat([]byte("0123456789"), 100)
	if err := os.WriteFile(filepath.Join(home, "f.bin"), original, 0o640); err != nil {
		t.Fatal(err)
	}
	e.start()
	r := e.rawLogin(t, alice, alicePass)
	for _, tc := range []struct {
		rest string
		cmd  string
		up   []byte
	}{
		{"1001", "RETR f.bin", nil},
		{"9223372036854775807", "RETR f.bin", nil},
		{"1001", "STOR f.bin", []byte("x")},
		{"1001", "APPE f.bin", []byte("x")},
		{"1", "STOR missing.bin", []byte("x")},
		{"5", "RETR missing.bin", nil},
	} {
		r.expect("REST "+tc.rest, 350)
		code, text, _ := r.transfer(tc.cmd, tc.up, 1<<20)
		want := 554
		if tc.cmd == "RETR missing.bin" {
			want = 550
		}
		if code != want {
			t.Errorf("REST %s, %s: %d %q, want %d", tc.rest, tc.cmd, code, text, want)
		}
		// The REST and the data connection were used up by the refusal.
		if code, text, data := r.transfer("RETR f.bin", nil, 1<<20); code != 226 || !bytes.Equal(data, original) {
			t.Errorf("after REST %s, %s: RETR gave %d %q, %d bytes", tc.rest, tc.cmd, code, text, len(data))
		}
	}
	for _, arg := range []string{"-1", "99999999999999999999", "1e3", "0x10", ""} {
		if code, text := r.send("REST " + arg); code != 501 {
			t.Errorf("REST %q: %d %q, want 501", arg, code, text)
		}
	}
	r.expect("REST 1000", 350)
	if code, _, data := r.transfer("RETR f.bin", nil, 1<<20); code != 226 || len(data) != 0 {
		t.Errorf("REST at the end: %d, %d bytes; want 226 and nothing", code, len(data))
	}
	if got, _ := os.ReadFile(filepath.Join(home, "f.bin")); !bytes.Equal(got, original) {
		t.Error("a refused restart changed the file")
	}
	if _, err := os.Stat(filepath.Join(home, "missing.bin")); err == nil {
		t.Error("a refused restart created a file")
	}
	e.noPanics()
}

// A directory of 100,000 entries is listed with LIST and MLSD in full,
// streamed: half way through, the live heap has grown by a few buffers,
// not by the listing.
func TestHugeDirectoryListing(t *testing.T) {
	const entries = 100_000
	e := newEnv(t)
	e.level = slog.LevelInfo
	home := e.addUser(alice, alicePass)
	dir := filepath.Join(home, "big")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		// Hard links, one system call per entry; a file system allows
		// some tens of thousands of links to one file.
		src := filepath.Join(home, fmt.Sprintf("source-%d.txt", i/20000))
		if i%20000 == 0 {
			if err := os.WriteFile(src, []byte("x"), 0o640); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Link(src, filepath.Join(dir, fmt.Sprintf("entry-%06d.txt", i))); err != nil {
			t.Fatal(err)
		}
	}
	e.start()
	r := e.rawLogin(t, alice, alicePass)
	for _, verb := range []string{"LIST", "MLSD"} {
		dc := r.OpenPassiveData()
		base := liveHeap()
		r.expect(verb+" /big", 150)
		tc, err := r.DataTLS(dc)
		if err != nil {
			t.Fatal(err)
		}
		tc.SetDeadline(time.Now().Add(60 * time.Second))
		br := bufio.NewReaderSize(tc, 64<<10)
		lines, grew := 0, uint64(0)
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				if err != io.EOF || len(line) > 0 {
					t.Fatalf("%s: after %d lines: %v", verb, lines, err)
				}
				break
			}
			if !bytes.Contains(line, []byte("entry-")) {
				t.Fatalf("%s: unexpected line %q", verb, line)
			}
			lines++
			if lines == entries/2 {
				if h := liveHeap(); h > base {
					grew = h - base
				}
			}
		}
		tc.Close()
		if code, text := r.ReadReply(); code != 226 {
			t.Errorf("%s: %d %q", verb, code, text)
		}
		if lines != entries {
			t.Errorf("%s: %d lines, want %d", verb, lines, entries)
		}
		t.Logf("%s: live heap half way grew by %d KiB", verb, grew>>10)
		if grew > heapBound {
			t.Errorf("%s: the live heap grew by %d MiB half way through, want under %d MiB", verb, grew>>20, heapBound>>20)
		}
	}
	e.noPanics()
}

// 5,000 RNFR without RNTO: each replaces the last, nothing accumulates,
// and RNTO after the last one works.
func TestRNFRFlood(t *testing.T) {
	const n = 5000
	e := newEnv(t)
	e.level = slog.LevelInfo
	home := e.addUser(alice, alicePass)
	// A long name, so that keeping every RNFR would show: 5,000 of them
	// are some 15 MiB.
	var elems []string
	for i := range 12 {
		elems = append(elems, fmt.Sprintf("%c%s", 'a'+i, strings.Repeat("n", 250)))
	}
	long := filepath.Join(append([]string{home}, elems...)...)
	if err := os.MkdirAll(long, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(long, "f"), []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	virt := "/" + strings.Join(elems, "/") + "/f"
	e.start()
	r := e.rawLogin(t, alice, alicePass)
	pipeline(r, "RNFR "+virt, 50, 350) // warm up
	baseHeap, baseG := liveHeap(), runtime.NumGoroutine()
	pipeline(r, "RNFR "+virt, n, 350)
	if grew := int64(liveHeap()) - int64(baseHeap); grew > 4<<20 {
		t.Errorf("live heap grew by %d KiB over %d RNFR", grew>>10, n)
	}
	if g := runtime.NumGoroutine(); g > baseG+5 {
		t.Errorf("goroutines grew from %d to %d", baseG, g)
	}
	r.expect("RNTO /renamed", 250)
	if _, err := os.Stat(filepath.Join(home, "renamed")); err != nil {
		t.Errorf("RNTO after the flood: %v", err)
	}
	// RNTO needs an RNFR right before it: the flood left nothing pending.
	r.expect("RNTO /again", 503)
	e.noPanics()
}

// pipeline sends cmd n times, in batches written at once, and expects
// code for each.
func pipeline(r *raw, cmd string, n, code int) {
	r.t.Helper()
	const batch = 250
	for done := 0; done < n; {
		k := min(batch, n-done)
		r.WriteRaw(bytes.Repeat([]byte(cmd+"\r\n"), k))
		for range k {
			got, text := r.ReadReply()
			r.e.noHostPath(shorten(cmd), text)
			if got != code {
				r.t.Fatalf("%s: %d %q, want %d", shorten(cmd), got, text, code)
			}
		}
		done += k
	}
}

// freePortRange finds n consecutive ports of 127.0.0.1 that can be bound,
// below the usual range of ephemeral ports.
func freePortRange(t *testing.T, n int) (int, int) {
	t.Helper()
	for lo := 20000 + (os.Getpid()%500)*10; lo < 32000; lo += n {
		var ls []net.Listener
		ok := true
		for p := lo; p < lo+n; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return lo, lo + n - 1
		}
	}
	t.Fatal("no free port range")
	return 0, 0
}

// 2,000 PASV and EPSV without a transfer, with ten passive ports: each
// releases the listener of the one before, descriptors do not grow, a
// transfer still works, and after QUIT every port is free again.
func TestPassiveChurn(t *testing.T) {
	const n = 2000
	lo, hi := freePortRange(t, 10)
	e := newEnv(t, func(c *config.Config) { c.Passive.Ports = fmt.Sprintf("%d-%d", lo, hi) })
	e.level = slog.LevelInfo
	home := e.addUser(alice, alicePass)
	if err := os.WriteFile(filepath.Join(home, "f.txt"), []byte("still works"), 0o640); err != nil {
		t.Fatal(err)
	}
	e.start()
	r := e.rawLogin(t, alice, alicePass)
	r.expect("EPSV", 229)
	baseFD := openFDs()
	for range n / 500 {
		pipeline(r, "PASV", 250, 227)
		pipeline(r, "EPSV", 250, 229)
	}
	if fd := openFDs(); baseFD >= 0 && fd > baseFD+2 {
		t.Errorf("open descriptors grew from %d to %d over %d PASV/EPSV", baseFD, fd, n)
	}
	if code, text, data := r.transfer("RETR f.txt", nil, 1<<20); code != 226 || string(data) != "still works" {
		t.Errorf("transfer after the churn: %d %q %q", code, text, data)
	}
	r.expect("PASV", 227)
	r.expect("QUIT", 221)
	waitUntil(t, 10*time.Second, "every passive port to be free", func() bool {
		for p := lo; p <= hi; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				return false
			}
			l.Close()
		}
		return true
	})
	e.noPanics()
}
