package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jlaffaye/ftp"
)

// client opens FTP sessions to one server.
type client struct {
	addr  string
	tls   bool
	roots *x509.CertPool
}

// tlsConfig is fresh for each control connection: its own session cache,
// so that its data connections resume its own TLS session (all servers
// here require that).
func (c *client) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         "localhost",
		RootCAs:            c.roots,
		MinVersion:         tls.VersionTLS12,
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
	}
}

func (c *client) login() (*ftp.ServerConn, error) {
	cfg := c.tlsConfig()
	control := true
	// The first dial is the control connection, which the library secures
	// itself after AUTH TLS; later dials are data connections, secured
	// here so that they close the way FTPS servers expect.
	dial := func(network, address string) (net.Conn, error) {
		nc, err := net.DialTimeout(network, address, 30*time.Second)
		if err != nil || control || !c.tls {
			control = false
			return nc, err
		}
		return &dataConn{tls.Client(nc, cfg)}, nil
	}
	opts := []ftp.DialOption{ftp.DialWithTimeout(30 * time.Second), ftp.DialWithDialFunc(dial)}
	if c.tls {
		opts = append(opts, ftp.DialWithExplicitTLS(cfg))
	}
	conn, err := ftp.Dial(c.addr, opts...)
	if err != nil {
		return nil, err
	}
	if err := conn.Login(testUser, testPassword); err != nil {
		conn.Quit()
		return nil, err
	}
	return conn, nil
}

// dataConn closes a TLS data connection gracefully: close_notify, then
// reading what the server still sends (TLS 1.3 session tickets) until it
// closes too. Closing a socket with unread data resets it, and a server
// then reports the upload as failed.
type dataConn struct{ *tls.Conn }

func (d *dataConn) Close() error {
	err := d.Conn.CloseWrite()
	d.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, d.Conn)
	if cerr := d.Conn.Close(); err == nil {
		err = cerr
	}
	return err
}

const copyBuffer = 1 << 20

func download(conn *ftp.ServerConn, name string) (int64, error) {
	r, err := conn.Retr(name)
	if err != nil {
		return 0, err
	}
	n, err := io.CopyBuffer(io.Discard, r, make([]byte, copyBuffer))
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// source yields size bytes in large writes (io.Copy prefers WriteTo).
type source struct {
	size  int64
	block []byte
}

func (s *source) Read(p []byte) (int, error) { return 0, errors.New("use WriteTo") }

func (s *source) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for n < s.size {
		k, err := w.Write(s.block[:min(int64(len(s.block)), s.size-n)])
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Repeats is how many times each single-stream transfer runs; the
// median is reported, as one run on a shared machine can be off by a
// fifth either way.
const repeats = 3

// transfer measures downloads and uploads of the big file, in MB/s: the
// median of repeats runs each, alternating download and upload.
func (c *client) transfer(size int64, block []byte) (down, up float64, err error) {
	conn, err := c.login()
	if err != nil {
		return 0, 0, fmt.Errorf("login: %w", err)
	}
	defer conn.Quit()
	conn.Type(ftp.TransferTypeBinary)
	var downs, ups []float64
	for range repeats {
		start := time.Now()
		n, err := download(conn, "big.bin")
		if err != nil {
			return 0, 0, fmt.Errorf("download: %w", err)
		}
		if n != size {
			return 0, 0, fmt.Errorf("download: got %d bytes, want %d", n, size)
		}
		downs = append(downs, mbps(size, time.Since(start)))
		u, err := store(conn, size, block)
		if err != nil {
			return 0, 0, err
		}
		ups = append(ups, u)
	}
	return median(downs), median(ups), nil
}

// median of a non-empty list.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// upload logs in and measures uploads of size bytes (the median of
// repeats), without the downloads that transfer does.
func (c *client) upload(size int64, block []byte) (float64, error) {
	conn, err := c.login()
	if err != nil {
		return 0, fmt.Errorf("login: %w", err)
	}
	defer conn.Quit()
	conn.Type(ftp.TransferTypeBinary)
	var ups []float64
	for range repeats {
		u, err := store(conn, size, block)
		if err != nil {
			return 0, err
		}
		ups = append(ups, u)
	}
	return median(ups), nil
}

// store uploads size bytes as upload.bin, checks the size the server
// reports, and deletes the file again.
func store(conn *ftp.ServerConn, size int64, block []byte) (float64, error) {
	start := time.Now()
	if err := conn.Stor("upload.bin", &source{size: size, block: block}); err != nil {
		return 0, fmt.Errorf("upload: %w", err)
	}
	up := mbps(size, time.Since(start))
	got, err := conn.FileSize("upload.bin")
	if err == nil && got != size {
		return up, fmt.Errorf("upload: server has %d bytes, want %d", got, size)
	}
	conn.Delete("upload.bin")
	return up, nil
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }

// parallel runs n clients at once, each logging in and downloading
// mid.bin; it returns the time until the last one finished, how many
// failed and the first failure.
func (c *client) parallel(n int, size int64) (time.Duration, int, error) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for range n {
		wg.Go(func() {
			conn, err := c.login()
			if err != nil {
				errs <- err
				return
			}
			defer conn.Quit()
			conn.Type(ftp.TransferTypeBinary)
			got, err := download(conn, "mid.bin")
			if err == nil && got != size {
				err = fmt.Errorf("got %d bytes, want %d", got, size)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	failed := len(errs)
	return d, failed, <-errs
}

// sessionResult is the outcome of the idle-session workload.
type sessionResult struct {
	LoginTime   time.Duration
	RSSIdle     int64
	RSSAtLogins int64
	RSSAtMax    int64
	PSSAtMax    int64
	ProcsAtMax  int
}

// sessions logs in logins sessions one after another and keeps them open,
// then goes on to max sessions; it reads the server's memory at both.
func (c *client) sessions(logins, max, pid int) (sessionResult, error) {
	var r sessionResult
	r.RSSIdle, _, _ = treeMemory(pid)
	conns := make([]*ftp.ServerConn, 0, max)
	defer func() {
		for _, conn := range conns {
			conn.Quit()
		}
	}()
	start := time.Now()
	for i := range max {
		conn, err := c.login()
		if err != nil {
			return r, fmt.Errorf("session %d: %w", i+1, err)
		}
		conns = append(conns, conn)
		if i+1 == logins {
			r.LoginTime = time.Since(start)
			settle()
			r.RSSAtLogins, _, _ = treeMemory(pid)
		}
	}
	settle()
	r.RSSAtMax, r.PSSAtMax, r.ProcsAtMax = treeMemory(pid)
	return r, nil
}

// settle lets forked session processes finish their start-up before memory
// is read.
func settle() { time.Sleep(500 * time.Millisecond) }

// rawSession is a hand-driven control connection, used where the byte
// count of a listing matters.
type rawSession struct {
	c    *client
	tc   *textproto.Conn
	tcfg *tls.Config
	conn net.Conn
}

func (c *client) raw() (*rawSession, error) {
	nc, err := net.DialTimeout("tcp", c.addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	s := &rawSession{c: c, tc: textproto.NewConn(nc), conn: nc}
	if _, _, err := s.tc.ReadResponse(220); err != nil {
		nc.Close()
		return nil, err
	}
	if c.tls {
		if err := s.cmd(234, "AUTH TLS"); err != nil {
			nc.Close()
			return nil, err
		}
		s.tcfg = c.tlsConfig()
		tc := tls.Client(nc, s.tcfg)
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return nil, err
		}
		s.conn = tc
		s.tc = textproto.NewConn(tc)
	}
	return s, nil
}

func (s *rawSession) cmd(code int, format string, args ...any) error {
	if err := s.tc.PrintfLine(format, args...); err != nil {
		return err
	}
	_, _, err := s.tc.ReadResponse(code)
	return err
}

func (s *rawSession) login() error {
	if err := s.cmd(331, "USER %s", testUser); err != nil {
		return err
	}
	if err := s.cmd(230, "PASS %s", testPassword); err != nil {
		return err
	}
	if s.c.tls {
		if err := s.cmd(200, "PBSZ 0"); err != nil {
			return err
		}
		return s.cmd(200, "PROT P")
	}
	return nil
}

// list runs verb (LIST or MLSD) on dir and returns the listing's size and
// line count.
func (s *rawSession) list(verb, dir string) (int64, int, error) {
	if err := s.tc.PrintfLine("EPSV"); err != nil {
		return 0, 0, err
	}
	_, msg, err := s.tc.ReadResponse(229)
	if err != nil {
		return 0, 0, err
	}
	i, j := strings.Index(msg, "(|||"), strings.LastIndex(msg, "|)")
	if i < 0 || j < i {
		return 0, 0, fmt.Errorf("EPSV reply %q", msg)
	}
	port, _ := strconv.Atoi(msg[i+4 : j])
	host, _, _ := net.SplitHostPort(s.c.addr)
	dc, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 10*time.Second)
	if err != nil {
		return 0, 0, err
	}
	if err := s.tc.PrintfLine("%s %s", verb, dir); err != nil {
		dc.Close()
		return 0, 0, err
	}
	var data net.Conn = dc
	if s.c.tls {
		data = tls.Client(dc, s.tcfg)
	}
	if _, _, err := s.tc.ReadResponse(1); err != nil {
		data.Close()
		return 0, 0, err
	}
	var lines int
	var n int64
	buf := make([]byte, copyBuffer)
	for {
		k, err := data.Read(buf)
		n += int64(k)
		for _, b := range buf[:k] {
			if b == '\n' {
				lines++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			data.Close()
			return n, lines, err
		}
	}
	data.Close()
	_, _, err = s.tc.ReadResponse(2)
	return n, lines, err
}

func (s *rawSession) close() {
	s.tc.PrintfLine("QUIT")
	s.conn.Close()
}

// tlsState reports the protocol version and cipher suite the server picks.
func (c *client) tlsState() (string, error) {
	s, err := c.raw()
	if err != nil {
		return "", err
	}
	defer s.close()
	st := s.conn.(*tls.Conn).ConnectionState()
	return tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite), nil
}

// hammer connects from src for d, reading each connection to its end, and
// returns refused connections per second. A connection that is greeted
// counts as an error.
func hammer(addr, src string, d time.Duration, workers int) (float64, error) {
	var mu sync.Mutex
	var refused int
	var firstErr error
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
			buf := make([]byte, 64)
			for time.Now().Before(deadline) {
				conn, err := dialer.Dial("tcp", addr)
				if err == nil {
					conn.SetDeadline(time.Now().Add(5 * time.Second))
					var k int
					k, err = conn.Read(buf)
					conn.Close()
					switch {
					case k > 0 && strings.HasPrefix(string(buf[:k]), "421"):
						err = nil
					case k > 0:
						err = fmt.Errorf("banned source was answered: %q", buf[:k])
					case errors.Is(err, os.ErrDeadlineExceeded):
						err = errors.New("banned source was held open")
					default: // closed at accept: EOF or reset
						err = nil
					}
				}
				mu.Lock()
				if err == nil {
					refused++
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return float64(refused) / time.Since(start).Seconds(), firstErr
}
