package ftp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// pieces returns its data in reads of at most size bytes, then err.
type pieces struct {
	data []byte
	size int
	err  error
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.data) == 0 {
		return 0, p.err
	}
	n := copy(b[:min(len(b), p.size)], p.data)
	p.data = p.data[n:]
	return n, nil
}

// stingy returns no data and no error.
type stingy struct{}

func (stingy) Read([]byte) (int, error) { return 0, nil }

func TestGather(t *testing.T) {
	broken := errors.New("broken")
	data := []byte("0123456789abcdef")
	always := func() bool { return true }
	never := func() bool { return false }
	tests := []struct {
		name    string
		src     io.Reader
		more    func() bool
		buf     int
		wantN   int
		wantErr error
	}{
		{"fills from small reads", &pieces{data: data, size: 3, err: io.EOF}, always, 10, 10, nil},
		{"one read when nothing waits", &pieces{data: data, size: 3, err: io.EOF}, never, 10, 3, nil},
		{"stops at EOF", &pieces{data: data[:7], size: 3, err: io.EOF}, always, 10, 7, io.EOF},
		{"keeps data before an error", &pieces{data: data[:4], size: 3, err: broken}, always, 10, 4, broken},
		{"error with data", iotest.DataErrReader(bytes.NewReader(data[:5])), always, 10, 5, io.EOF},
		{"no data, no error", stingy{}, always, 10, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, tc.buf)
			n, err := gather(tc.src, buf, tc.more)
			if n != tc.wantN || !errors.Is(err, tc.wantErr) {
				t.Fatalf("gather = %d, %v; want %d, %v", n, err, tc.wantN, tc.wantErr)
			}
			if !bytes.Equal(buf[:n], data[:n]) {
				t.Fatalf("read %q", buf[:n])
			}
		})
	}
}

// countConn counts the writes that reach the connection.
type countConn struct {
	*fakeConn
	writes int
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes++
	return c.fakeConn.Write(p)
}

func TestBatchConn(t *testing.T) {
	cc := &countConn{fakeConn: newFakeConn("127.0.0.1:5000")}
	b := &batchConn{Conn: cc, pool: new(sync.Pool)}

	b.Write([]byte("hello "))
	if cc.writes != 1 {
		t.Fatalf("write outside a batch: %d writes, want 1", cc.writes)
	}
	for round := range 2 {
		b.begin()
		for _, s := range []string{"one ", "two ", "three "} {
			if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if cc.writes != 1+round {
			t.Fatalf("records sent before flush: %d writes", cc.writes)
		}
		if err := b.flush(); err != nil {
			t.Fatal(err)
		}
		if cc.writes != 2+round {
			t.Fatalf("after flush: %d writes, want %d", cc.writes, 2+round)
		}
	}
	if err := b.flush(); err != nil || cc.writes != 3 {
		t.Fatalf("empty flush: %v, %d writes", err, cc.writes)
	}
	if got, want := string(cc.written), "hello one two three one two three "; got != want {
		t.Fatalf("sent %q, want %q", got, want)
	}
}

func TestPendingOf(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	pending := pendingOf(&deadlineConn{Conn: server, timeout: time.Minute})
	if pending == nil {
		t.Skip("receive queue not visible on this system")
	}
	if pending() {
		t.Fatal("pending before anything was sent")
	}
	client.Write([]byte("hello"))
	deadline := time.Now().Add(10 * time.Second)
	for !pending() {
		if time.Now().After(deadline) {
			t.Fatal("sent bytes never reported pending")
		}
		time.Sleep(time.Millisecond)
	}
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(server, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	if pending() {
		t.Fatal("pending after everything was read")
	}
}
