package vfs

import (
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// Uploads larger than writebackChunk start writeback as they go; the data
// placed must be exactly what was sent, with or without a kept prefix.
func TestLargeUploadWriteback(t *testing.T) {
	data := make([]byte, 2*writebackChunk+12345)
	rand.Read(data)
	tests := []struct {
		name   string
		prefix int
		piece  int
		abort  bool
	}{
		{"new file, odd pieces", 0, 100_003, false},
		{"resume after a prefix", writebackChunk - 7, 256 << 10, false},
		{"aborted new file keeps its partial", 0, 1 << 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys, home, _ := newTestFS(t)
			if tc.prefix > 0 {
				writeHost(t, filepath.Join(home, "f"), string(data[:tc.prefix]))
			}
			u, err := fsys.Create("/f", ftp.CreateOptions{Offset: int64(tc.prefix)})
			if err != nil {
				t.Fatal(err)
			}
			for rest := data[tc.prefix:]; len(rest) > 0; {
				n := min(tc.piece, len(rest))
				if m, err := u.Write(rest[:n]); m != n || err != nil {
					t.Fatalf("Write = %d, %v", m, err)
				}
				rest = rest[n:]
			}
			if tc.abort {
				err = u.Abort()
			} else {
				err = u.Commit()
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := readHost(t, filepath.Join(home, "f")); got != string(data) {
				t.Fatalf("placed %d bytes, want %d identical", len(got), len(data))
			}
		})
	}
}
