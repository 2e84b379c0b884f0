package attack

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// floodConn is one connection of an attacker who never logs in.
type floodConn struct {
	c      net.Conn
	done   chan struct{}
	data   bytes.Buffer // what the server sent; read after done
	closed bool         // the server closed the connection
}

// watch reads everything the server sends until it closes the connection
// or the deadline passes; greeted counts connections that got a full line.
func (f *floodConn) watch(deadline time.Time, greeted *atomic.Int32) {
	defer close(f.done)
	f.c.SetReadDeadline(deadline)
	buf := make([]byte, 512)
	counted := false
	for {
		n, err := f.c.Read(buf)
		f.data.Write(buf[:n])
		if !counted && bytes.Contains(f.data.Bytes(), []byte("\r\n")) {
			counted = true
			greeted.Add(1)
		}
		if err != nil {
			var ne net.Error
			f.closed = !(errors.As(err, &ne) && ne.Timeout())
			return
		}
	}
}

func dialFrom(addr, from string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return d.Dial("tcp", addr)
}

// 500 connections that never send a byte and 200 that send one byte a
// second hold sessions open, yet a legitimate client logs in and
// transfers meanwhile; the login time limit then closes every one of them,
// and the server's goroutines and descriptors return to where they were.
// The caps are raised so that they do not hide this (they are shown
// refusing in TestConnectionCaps).
func TestSlowAndIdleClients(t *testing.T) {
	const (
		idleExplicit = 400
		idleImplicit = 100
		dribblers    = 200
		loginLimit   = 4 * time.Second
	)
	e := newEnv(t, func(c *config.Config) {
		c.Server.LoginTimeout.Duration = loginLimit
		c.Defender.MaxConnections = 5000
		c.Defender.MaxConnectionsPerIP = 1000
		// A source whose connections time out would be banned, and the ban
		// would close the rest early: here the time limit is under test.
		c.Defender.ScoreLoginTimeout = 0
		c.Defender.ScoreTLSFailure = 0
	})
	e.level = slog.LevelInfo
	e.addUser(alice, alicePass)
	e.start()

	// One full session first, so that the baseline includes what the
	// first login sets up for good (store connections, usage counters).
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	legitSession(t, e, payload)
	baseG, baseFD := settle()

	var (
		flood   []*floodConn
		greeted atomic.Int32
		wg      sync.WaitGroup
	)
	deadline := time.Now().Add(loginLimit + 30*time.Second)
	open := func(addr, from string, n int) {
		for range n {
			c, err := dialFrom(addr, from)
			if err != nil {
				t.Fatalf("flood dial from %s: %v", from, err)
			}
			t.Cleanup(func() { c.Close() })
			f := &floodConn{c: c, done: make(chan struct{})}
			flood = append(flood, f)
			wg.Add(1)
			go func() { defer wg.Done(); f.watch(deadline, &greeted) }()
		}
	}
	sources := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
	for _, src := range sources {
		open(e.Explicit(), src, idleExplicit/len(sources))
	}
	open(e.Implicit(), "127.0.0.6", idleImplicit)
	first := len(flood)
	open(e.Explicit(), "127.0.0.7", dribblers/2)
	open(e.Explicit(), "127.0.0.8", dribblers/2)
	dribbling := flood[first:]

	stop := make(chan struct{})
	var dribbleDone sync.WaitGroup
	dribbleDone.Add(1)
	go func() {
		defer dribbleDone.Done()
		line := []byte("USER slowly-typed-name\r\n")
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for i := 0; ; i++ {
			for _, f := range dribbling {
				f.c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
				f.c.Write(line[i%len(line) : i%len(line)+1])
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	stopDribbling := sync.OnceFunc(func() { close(stop); dribbleDone.Wait() })
	defer stopDribbling()

	// Every explicit connection has its greeting: the server holds them all.
	waitUntil(t, 30*time.Second, "the greetings of the flood", func() bool {
		return int(greeted.Load()) >= idleExplicit+dribblers
	})
	legitSession(t, e, payload)
	stillOpen := 0
	for _, f := range flood {
		select {
		case <-f.done:
		default:
			stillOpen++
		}
	}
	t.Logf("legitimate session done while %d of %d flood connections were held", stillOpen, len(flood))

	wg.Wait()
	for i, f := range flood {
		if !f.closed {
			t.Fatalf("flood connection %d not closed by the server (got %q)", i, f.data.String())
		}
		got := f.data.String()
		if i >= idleExplicit && i < idleExplicit+idleImplicit {
			// Implicit TLS: the handshake never started, nothing is said.
			if strings.Contains(got, "220") {
				t.Errorf("implicit connection %d got a greeting before TLS: %q", i, got)
			}
			continue
		}
		if !strings.HasPrefix(got, "220") || !strings.HasPrefix(lastReplyLine(got), "421 ") {
			t.Errorf("flood connection %d: got %q, want the greeting and a final 421", i, got)
		}
	}
	stopDribbling()
	for _, f := range flood {
		f.c.Close()
	}
	waitUntil(t, 20*time.Second, "goroutines and descriptors back near the baseline", func() bool {
		g, fd := runtime.NumGoroutine(), openFDs()
		return g <= baseG+10 && (baseFD < 0 || fd <= baseFD+10)
	})
	if !strings.Contains(e.logs.String(), "login time limit exceeded") {
		t.Error("no login time limit logged")
	}
	e.noPanics()
}

// legitSession logs in from 127.0.0.1, uploads and downloads payload.
func legitSession(t *testing.T, e *env, payload []byte) {
	t.Helper()
	c, err := dialFTP(e.Explicit(), "127.0.0.1")
	if err != nil {
		t.Fatalf("legitimate client refused: %v", err)
	}
	defer c.Quit()
	if err := c.Login(alice, alicePass); err != nil {
		t.Fatalf("legitimate login: %v", err)
	}
	if err := c.Stor("legit.bin", bytes.NewReader(payload)); err != nil {
		t.Fatalf("legitimate upload: %v", err)
	}
	r, err := c.Retr("legit.bin")
	if err != nil {
		t.Fatalf("legitimate download: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("legitimate download differs (%d bytes, %v)", len(got), err)
	}
}

// settle waits briefly for connections of earlier work to wind down and
// returns the goroutine and descriptor counts.
func settle() (goroutines, fds int) {
	deadline := time.Now().Add(2 * time.Second)
	g, fd := runtime.NumGoroutine(), openFDs()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		g2, fd2 := runtime.NumGoroutine(), openFDs()
		if g2 == g && fd2 == fd {
			break
		}
		g, fd = g2, fd2
	}
	return g, fd
}

// The caps refuse with 421 at the door: per address, then in all; a slot
// freed by a closed connection is given to the next one.
func TestConnectionCaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) {
		c.Defender.MaxConnections = 8
		c.Defender.MaxConnectionsPerIP = 4
	})
	e.start()
	admitted := func(from string) (net.Conn, bool, string) {
		t.Helper()
		c, err := dialFrom(e.Explicit(), from)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line := make([]byte, 128)
		n, _ := io.ReadAtLeast(c, line, 4)
		got := string(line[:n])
		return c, strings.HasPrefix(got, "220"), got
	}
	var held []net.Conn
	for range 4 {
		c, ok, got := admitted("127.0.0.2")
		if !ok {
			t.Fatalf("connection under the cap refused: %q", got)
		}
		held = append(held, c)
	}
	if _, ok, got := admitted("127.0.0.2"); ok || !strings.HasPrefix(got, "421 ") {
		t.Fatalf("fifth connection from one address: %q, want 421", got)
	}
	for range 4 {
		if _, ok, got := admitted("127.0.0.3"); !ok {
			t.Fatalf("another address refused under the total cap: %q", got)
		}
	}
	if _, ok, got := admitted("127.0.0.4"); ok || !strings.HasPrefix(got, "421 ") {
		t.Fatalf("connection over the total cap: %q, want 421", got)
	}
	for _, c := range held {
		c.Close()
	}
	waitUntil(t, 10*time.Second, "a freed slot", func() bool {
		_, ok, _ := admitted("127.0.0.4")
		return ok
	})
	e.noPanics()
}
