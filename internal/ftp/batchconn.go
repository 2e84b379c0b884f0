package ftp

import (
	"crypto/tls"
	"net"
	"sync"
)

// batchSize is the capacity of a batch: a copy buffer's worth of records
// with room for their headers and authentication tags.
const batchSize = bufferSize + 64<<10

// batchConn sits under the TLS layer of a data connection. crypto/tls
// writes every record (at most 16 KiB) with a system call of its own;
// while a Write of tlsData is in progress, batchConn collects the records
// and sends them with one call when that Write is done. Outside such a
// Write (handshake, close_notify) it passes writes straight through. The
// batch buffer is borrowed from pool only while a Write is in progress, so
// an idle or slow connection holds none.
type batchConn struct {
	net.Conn
	pool *sync.Pool // of *[]byte
	mu   sync.Mutex
	hold bool
	buf  *[]byte

	// Read-ahead, for uploads (see readAhead). Only the goroutine that
	// reads touches these.
	rbuf       *[]byte
	rpos, rend int
}

// readAhead makes reads large: crypto/tls reads one record (at most
// 16 KiB) per call, and each would otherwise be a system call of its own.
// Reads then fill a pooled buffer with whatever the socket holds and hand
// records out of it. The returned function gives the buffer back; it must
// be called by the reading goroutine once it reads no more.
func (c *batchConn) readAhead() (release func()) {
	c.rbuf = c.get()
	*c.rbuf = (*c.rbuf)[:cap(*c.rbuf)]
	return func() {
		b := c.rbuf
		c.rbuf, c.rpos, c.rend = nil, 0, 0
		*b = (*b)[:0]
		c.pool.Put(b)
	}
}

// buffered reports whether read-ahead holds bytes not read yet.
func (c *batchConn) buffered() bool { return c.rpos < c.rend }

func (c *batchConn) Read(p []byte) (int, error) {
	if c.rbuf == nil {
		return c.Conn.Read(p)
	}
	if c.rpos == c.rend {
		n, err := c.Conn.Read(*c.rbuf)
		c.rpos, c.rend = 0, n
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, (*c.rbuf)[c.rpos:c.rend])
	c.rpos += n
	return n, nil
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.hold {
		if c.buf == nil {
			c.buf = c.get()
		}
		*c.buf = append(*c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *batchConn) get() *[]byte {
	if b, ok := c.pool.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, batchSize)
	return &b
}

// begin starts collecting records.
func (c *batchConn) begin() {
	c.mu.Lock()
	c.hold = true
	c.mu.Unlock()
}

// flush stops collecting and sends what was collected. The lock is not
// held while sending: a Close that aborts the transfer must never wait
// behind a write to a stalled peer.
func (c *batchConn) flush() error {
	c.mu.Lock()
	c.hold = false
	b := c.buf
	c.buf = nil
	c.mu.Unlock()
	if b == nil {
		return nil
	}
	var err error
	if len(*b) > 0 {
		_, err = c.Conn.Write(*b)
	}
	*b = (*b)[:0]
	c.pool.Put(b)
	return err
}

// tlsData is a TLS data connection whose writes leave in one system call
// each instead of one per record.
type tlsData struct {
	*tls.Conn
	b *batchConn
}

func (c *tlsData) Write(p []byte) (int, error) {
	c.b.begin()
	n, err := c.Conn.Write(p)
	if ferr := c.b.flush(); err == nil {
		err = ferr
	}
	return n, err
}
