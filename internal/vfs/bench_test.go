package vfs

import (
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// BenchmarkUpload64MiB measures Create, Write in 1 MiB chunks and Commit,
// fsyncs included.
func BenchmarkUpload64MiB(b *testing.B) {
	fsys, _, _ := newTestFS(b)
	chunk := make([]byte, 1<<20)
	const chunks = 64
	b.SetBytes(chunks << 20)
	for b.Loop() {
		u, err := fsys.Create("/big", ftp.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for range chunks {
			if _, err := u.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		if err := u.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
