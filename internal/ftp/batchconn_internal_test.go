package ftp

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"sync"
	"testing"
)

// Read-ahead hands out exactly the bytes sent, in order, whatever the
// sizes of the reads, and reports what it still holds.
func TestBatchConnReadAhead(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	data := make([]byte, 3*batchSize+123)
	rand.Read(data)
	go func() {
		for p := data; len(p) > 0; {
			n := min(len(p), 70000)
			a.Write(p[:n])
			p = p[n:]
		}
		a.Close()
	}()
	c := &batchConn{Conn: b, pool: &sync.Pool{}}
	release := c.readAhead()
	var got bytes.Buffer
	sizes := []int{1, 5, 16 << 10, 300 << 10, 7}
	p := make([]byte, 300<<10)
	sawBuffered := false
	for i := 0; ; i++ {
		n, err := c.Read(p[:sizes[i%len(sizes)]])
		got.Write(p[:n])
		if c.buffered() {
			sawBuffered = true
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	release()
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("read %d bytes, not the %d sent", got.Len(), len(data))
	}
	if !sawBuffered {
		t.Error("small reads never left bytes in the read-ahead buffer")
	}
	if c.rbuf != nil || c.buffered() {
		t.Error("release kept the buffer")
	}
}
