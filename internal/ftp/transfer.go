package ftp

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// transfer is a running data transfer, seen by the serve goroutine (for
// ABOR, STAT and QUIT) and run by a goroutine of its own.
type transfer struct {
	verb    string
	path    string
	started time.Time
	bytes   atomic.Int64
	aborted atomic.Bool
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // closed after the final reply was sent
}

// abort stops the transfer: its data connection is closed and it answers
// 426. The caller waits on done.
func (x *transfer) abort() {
	x.aborted.Store(true)
	x.cancel()
}

// job describes one transfer to runTransfer.
type job struct {
	verb   string
	path   string // virtual path, for logs
	upload bool
	ascii  bool // TYPE A, for the Observer
	data   *dataSetup
	protP  bool
	// run moves the data over the open data connection. It returns the
	// data connection's error and the local (file system) error apart,
	// since they get different replies.
	run func(x *transfer, dc net.Conn) (netErr, localErr error)
	// finish ends the local side: commit or abort an upload, close a
	// file. ok says whether the transfer succeeded; an error then fails
	// it. It is called exactly once.
	finish func(ok bool) error
	// success is the text of the 226 reply.
	success string
}

// startTransfer hands j to a new goroutine and returns at once; the 150
// reply must already have been sent. During Shutdown no transfer starts.
func (s *session) startTransfer(j *job) {
	ctx, cancel := context.WithCancel(context.Background())
	x := &transfer{
		verb:    j.verb,
		path:    j.path,
		started: time.Now(),
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	s.mu.Lock()
	if s.closing || s.ended {
		s.mu.Unlock()
		cancel()
		j.data.close()
		j.finish(false)
		// After kick the reply goes nowhere.
		s.reply(codeServiceUnavailable, "Server shutting down; closing control connection")
		s.quit = true
		return
	}
	s.xfer = x
	s.mu.Unlock()
	go s.runTransfer(x, j)
}

// runTransfer opens the data connection, runs the job and sends the final
// reply. A panic is recovered: the upload is aborted, the client gets 421
// and the session closes.
func (s *session) runTransfer(x *transfer, j *job) {
	finished := false
	finish := func(ok bool) error {
		if finished {
			return nil
		}
		finished = true
		return j.finish(ok)
	}
	code, text := codeLocalError, textLocalError
	var dc net.Conn
	defer func() {
		x.cancel()
		if dc != nil {
			dc.Close()
		}
		if r := recover(); r != nil {
			s.srv.panics.Add(1)
			s.log.Error("panic recovered", "in", "transfer", "panic", r, "stack", string(debug.Stack()))
			func() {
				defer func() { recover() }()
				finish(false)
			}()
			code, text = codeServiceUnavailable, "Internal error; closing control connection"
			s.endTransfer(x, code, text)
			s.closeNow()
			return
		}
		s.endTransfer(x, code, text)
	}()

	var netErr, localErr error
	dc, netErr = s.openData(x.ctx, j.data, j.protP)
	if netErr == nil {
		// The callback gets its own copy: dc is set to nil below, and a
		// callback already running when stop() returns must not see that.
		conn := dc
		stop := context.AfterFunc(x.ctx, func() { conn.Close() })
		netErr, localErr = j.run(x, &deadlineConn{Conn: dc, timeout: s.cfg.dataTimeout})
		stop()
		// Closing sends TLS close_notify after a download, so the client
		// sees a clean end before the 226.
		cerr := dc.Close()
		dc = nil
		if !j.upload && netErr == nil && localErr == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			netErr = cerr
		}
	}
	// Read once: an ABOR arriving after this point finds the transfer
	// complete (it then gets 226 after this transfer's 226).
	aborted := x.aborted.Load()
	ok := netErr == nil && localErr == nil && !aborted
	if ferr := finish(ok); ok && ferr != nil {
		ok = false
		localErr = ferr
	}

	var de *dataError
	result := "ok"
	switch {
	case aborted:
		code, text, result = codeTransferAborted, "Connection closed; transfer aborted", "aborted"
	case localErr != nil:
		code, text = errorReply(localErr, codeLocalError)
		result = "local error"
	case errors.As(netErr, &de):
		code, text, result = de.code, de.text, "data connection failed"
	case netErr != nil:
		code, text, result = codeTransferAborted, "Data connection closed; transfer aborted", "data connection broken"
	default:
		code, text = codeTransferComplete, j.success
	}
	elapsed := time.Since(x.started)
	attrs := []any{"command", j.verb, "path", j.path, "bytes", x.bytes.Load(),
		"duration", elapsed.Round(time.Millisecond), "result", result}
	s.mu.Lock()
	userName := s.user
	s.mu.Unlock()
	s.observe(func(o Observer) {
		o.TransferDone(TransferInfo{SessionID: s.id, Remote: s.remote, User: userName,
			Verb: j.verb, Path: j.path, Upload: j.upload, ASCII: j.ascii, Bytes: x.bytes.Load(),
			Started: x.started, Duration: elapsed, Result: result, TLS: j.protP})
	})
	switch {
	case ok:
		s.log.Info("transfer completed", attrs...)
	case localErr != nil && !isPublic(localErr):
		s.log.Error("transfer failed", append(attrs, "err", localErr)...)
	default:
		err := localErr
		if err == nil {
			err = netErr
		}
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		s.log.Warn("transfer failed", attrs...)
	}
}

// endTransfer sends the final reply and marks the session idle. Both
// happen under wmu, so a command read after the reply never sees the
// transfer as running, and a reply to ABOR cannot overtake this one.
func (s *session) endTransfer(x *transfer, code int, text string) {
	s.wmu.Lock()
	defer func() {
		s.wmu.Unlock()
		close(x.done)
	}()
	s.mu.Lock()
	s.xfer = nil
	s.mu.Unlock()
	s.writeLocked(formatReply(code, []string{text}))
}

// bufferSize is the copy buffer of a transfer: large, so that TLS records
// are full and system calls few.
const bufferSize = 256 << 10

// bufferPool recycles copy buffers across the sessions of one Server.
type bufferPool struct{ p sync.Pool }

func (bp *bufferPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, bufferSize)
	return &b
}

func (bp *bufferPool) put(b *[]byte) { bp.p.Put(b) }

// copyData copies src to dst through a pooled buffer, adding to count (if
// not nil) as it goes. It returns the read and write errors apart; io.EOF
// from src is the normal end. Neither side's ReaderFrom or WriterTo is
// used, so every read and write goes through the deadline wrapper.
//
// With more (not nil), src is read again before each write for as long as
// more reports data waiting and the buffer has room: a TLS connection
// returns at most one record (16 KiB) per read, and writing the file in
// pieces that small costs a system call and the file system's bookkeeping
// each. Only data already waiting is gathered, so what a stalled client
// sent is written at once; what was read is always written before a read
// error (ABOR, a timeout) is returned.
func (s *session) copyData(dst io.Writer, src io.Reader, count *atomic.Int64, more func() bool) (n int64, readErr, writeErr error) {
	bp := s.srv.buffers.get()
	defer s.srv.buffers.put(bp)
	buf := *bp
	read := src.Read
	if more != nil {
		read = func(p []byte) (int, error) { return gather(src, p, more) }
	}
	for {
		nr, er := read(buf)
		if nr > 0 {
			nw, ew := dst.Write(buf[:nr])
			if nw > 0 {
				n += int64(nw)
				if count != nil {
					count.Add(int64(nw))
				}
			}
			if ew != nil {
				return n, nil, ew
			}
			if nw != nr {
				return n, nil, io.ErrShortWrite
			}
		}
		if er == io.EOF {
			return n, nil, nil
		}
		if er != nil {
			return n, er, nil
		}
	}
}

// gather reads into p once, then again while more reports waiting data, p
// has room and src neither fails nor returns nothing (which a well-behaved
// reader does not do; it is not retried, so the copy cannot spin).
func gather(src io.Reader, p []byte, more func() bool) (int, error) {
	n := 0
	for {
		m, err := src.Read(p[n:])
		n += m
		if err != nil || m == 0 || n == len(p) || !more() {
			return n, err
		}
	}
}

// tlsDataOf returns the TLS data connection under c (as given to a job's
// run), if it is one.
func tlsDataOf(c net.Conn) (*tlsData, bool) {
	if d, ok := c.(*deadlineConn); ok {
		c = d.Conn
	}
	t, ok := c.(*tlsData)
	return t, ok
}

// pendingOf returns a function that reports whether the data connection c
// (as given to a job's run) has received bytes not read yet, in the socket
// or in the read-ahead buffer, or nil if that cannot be known. Bytes
// already inside the TLS layer are not seen: they only end a gathering
// read early.
func pendingOf(c net.Conn) func() bool {
	if d, ok := c.(*deadlineConn); ok {
		c = d.Conn
	}
	var inTLS func() bool
	if t, ok := c.(*tlsData); ok {
		c = t.b.Conn
		inTLS = t.b.buffered
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return inTLS
	}
	pending := socketPending(sc)
	if inTLS == nil || pending == nil {
		return pending
	}
	return func() bool { return inTLS() || pending() }
}

// deadlineConn renews the deadline as data flows, so a transfer may last as
// long as data keeps flowing, but a stalled peer is dropped after about
// DataTimeout. Setting a deadline takes a lock and touches the runtime
// poller, so it is renewed only when a slice of the timeout has passed
// since the last renewal: a stalled peer is then dropped between
// DataTimeout less that slice and DataTimeout after its last byte.
type deadlineConn struct {
	net.Conn
	timeout      time.Duration
	lastR, lastW time.Time
}

// deadlineSlack is the largest part of DataTimeout by which the deadline
// may lag behind the last byte moved.
func (c *deadlineConn) slack() time.Duration { return min(c.timeout/8, time.Second) }

func (c *deadlineConn) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(c.lastR) >= c.slack() {
		c.Conn.SetReadDeadline(now.Add(c.timeout))
		c.lastR = now
	}
	return c.Conn.Read(p)
}

func (c *deadlineConn) Write(p []byte) (int, error) {
	if now := time.Now(); now.Sub(c.lastW) >= c.slack() {
		c.Conn.SetWriteDeadline(now.Add(c.timeout))
		c.lastW = now
	}
	return c.Conn.Write(p)
}
