package attack

import (
	"bytes"
	"crypto/sha256"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// lineBlock is the text of a line that never ends: no CR, no LF.
var lineBlock = bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz0123456789 "), 1771)

// endlessLine reads n bytes of one line without an end.
type endlessLine struct {
	n, off int64
}

func (l *endlessLine) Read(p []byte) (int, error) {
	if l.off >= l.n {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && l.off < l.n {
		m := copy(p[k:min(len(p), k+int(l.n-l.off))], lineBlock[l.off%int64(len(lineBlock)):])
		k += m
		l.off += int64(m)
	}
	return k, nil
}

// A 50 MiB file that is one line, downloaded and uploaded in TYPE A: the
// conversion streams, so half way through the live heap has grown by a few
// buffers, and the bytes arrive unchanged (there is no line end to
// convert).
func TestASCIIHugeSingleLine(t *testing.T) {
	const size = 50 << 20
	e := newEnv(t)
	e.level = slog.LevelInfo
	home := e.addUser(alice, alicePass)
	f, err := os.Create(filepath.Join(home, "line.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, want), &endlessLine{n: size}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	wantSum := want.Sum(nil)
	e.start()
	r := e.rawLogin(t, alice, alicePass)
	r.expect("TYPE A", 200)

	// Download.
	dc := r.OpenPassiveData()
	base := liveHeap()
	r.expect("RETR line.txt", 150)
	tc, err := r.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.SetDeadline(time.Now().Add(120 * time.Second))
	got := sha256.New()
	if _, err := io.CopyN(got, tc, size/2); err != nil {
		t.Fatal(err)
	}
	grew := int64(liveHeap()) - int64(base)
	n, err := io.Copy(got, tc)
	tc.Close()
	if err != nil || n != size/2 || !bytes.Equal(got.Sum(nil), wantSum) {
		t.Errorf("TYPE A download: %d bytes after the half, %v; want the line unchanged", n, err)
	}
	if code, text := r.ReadReply(); code != 226 {
		t.Errorf("TYPE A download: %d %q", code, text)
	}
	t.Logf("download: live heap half way grew by %d KiB", grew>>10)
	if grew > heapBound {
		t.Errorf("TYPE A download: live heap grew by %d MiB half way", grew>>20)
	}

	// Upload.
	dc = r.OpenPassiveData()
	base = liveHeap()
	r.expect("STOR up.txt", 150)
	tc, err = r.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.SetDeadline(time.Now().Add(120 * time.Second))
	sent := make(chan error, 1)
	go func() {
		_, err := io.Copy(tc, &endlessLine{n: size})
		tc.Close()
		sent <- err
	}()
	waitUntil(t, 120*time.Second, "half of the upload", func() bool {
		return uploadedSoFar(home) >= size/2 || len(sent) > 0
	})
	grew = int64(liveHeap()) - int64(base)
	if err := <-sent; err != nil {
		t.Fatalf("TYPE A upload: %v", err)
	}
	if code, text := r.ReadReply(); code != 226 {
		t.Errorf("TYPE A upload: %d %q", code, text)
	}
	t.Logf("upload: live heap half way grew by %d KiB", grew>>10)
	if grew > heapBound {
		t.Errorf("TYPE A upload: live heap grew by %d MiB half way", grew>>20)
	}
	data, err := os.Open(filepath.Join(home, "up.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	stored := sha256.New()
	if n, err := io.Copy(stored, data); err != nil || n != size || !bytes.Equal(stored.Sum(nil), wantSum) {
		t.Errorf("TYPE A upload stored %d bytes (%v), want the line unchanged", n, err)
	}
	e.noPanics()
}
