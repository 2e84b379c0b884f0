package ftp_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"
)

const benchSize = 64 << 20

func BenchmarkDownloadTLS(b *testing.B) {
	e := newEnv(b)
	data := make([]byte, benchSize)
	rand.Read(data)
	e.writeFile(b, "big.bin", data)
	c := e.dialJ(b)
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := c.Retr("big.bin")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != benchSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}

func BenchmarkUploadTLS(b *testing.B) {
	e := newEnv(b)
	data := make([]byte, benchSize)
	rand.Read(data)
	c := e.dialJ(b)
	b.SetBytes(benchSize)
	for b.Loop() {
		if err := c.Stor("up.bin", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
