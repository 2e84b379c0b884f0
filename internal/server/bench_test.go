package server_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

const benchFileSize = 256 << 20

// BenchmarkFTPSDownload and BenchmarkFTPSUpload measure one large file over
// explicit FTPS on loopback through the whole stack: engine, TLS, login
// pipeline, jailed file system and crash-safe uploads (fsync included).
func BenchmarkFTPSDownload(b *testing.B) {
	e := servertest.New(b)
	e.AddUser(b, "alice", "Correct-Horse-7")
	e.Start(b)
	home := e.Config.DefaultHome("alice")
	os.MkdirAll(home, 0o750)
	data := make([]byte, benchFileSize)
	rand.Read(data)
	if err := os.WriteFile(filepath.Join(home, "big.bin"), data, 0o640); err != nil {
		b.Fatal(err)
	}
	c := dial(b, e.Explicit(), false)
	if err := c.Login("alice", "Correct-Horse-7"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFileSize)
	for b.Loop() {
		r, err := c.Retr("big.bin")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != benchFileSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}

func BenchmarkFTPSUpload(b *testing.B) {
	e := servertest.New(b)
	e.AddUser(b, "alice", "Correct-Horse-7")
	e.Start(b)
	data := make([]byte, benchFileSize)
	rand.Read(data)
	c := dial(b, e.Explicit(), false)
	if err := c.Login("alice", "Correct-Horse-7"); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchFileSize)
	for b.Loop() {
		if err := c.Stor("up.bin", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
