package server_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

// secureHashing restores the default Argon2id cost (servertest.Config
// lowers it to keep tests fast), so login figures are those of a real
// installation.
func secureHashing(c *config.Config) {
	d := config.Default()
	c.PasswordHash = d.PasswordHash
}

// BenchmarkSequentialLogins measures one full FTPS login after another
// (connect, AUTH TLS, USER, PASS, QUIT) for the same account, with the
// default Argon2id cost, with and without the verification cache.
func BenchmarkSequentialLogins(b *testing.B) {
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"cache", 5 * time.Minute}, {"nocache", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			e := servertest.New(b, secureHashing, func(c *config.Config) { c.Auth.PasswordCacheTTL.Duration = bc.ttl })
			e.AddUser(b, "alice", "Correct-Horse-7")
			e.Start(b)
			for b.Loop() {
				c, err := ftp.Dial(e.Explicit(), ftp.DialWithExplicitTLS(servertest.ClientTLS()), ftp.DialWithTimeout(10*time.Second))
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Login("alice", "Correct-Horse-7"); err != nil {
					b.Fatal(err)
				}
				c.Quit()
			}
		})
	}
}

// BenchmarkIdleSessionMemory logs in many TLS sessions and reports the heap
// and goroutine stacks that each idle session holds.
func BenchmarkIdleSessionMemory(b *testing.B) {
	const sessions = 500
	e := servertest.New(b, func(c *config.Config) {
		c.Defender.MaxConnections = 10000
		c.Defender.MaxConnectionsPerIP = 10000
		c.Defender.Enabled = false
	})
	e.AddUser(b, "alice", "Correct-Horse-7")
	e.Start(b)
	measure := func() (heap, stack uint64) {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse, m.StackInuse
	}
	for b.Loop() {
		h0, s0 := measure()
		conns := make([]*ftp.ServerConn, 0, sessions)
		for range sessions {
			c, err := ftp.Dial(e.Explicit(), ftp.DialWithExplicitTLS(servertest.ClientTLS()), ftp.DialWithTimeout(10*time.Second))
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Login("alice", "Correct-Horse-7"); err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		h1, s1 := measure()
		// Client and server share the process: the figure includes the
		// client's side of each connection, an upper bound for the server.
		b.ReportMetric(float64(int64(h1)-int64(h0))/sessions, "heap-B/session")
		b.ReportMetric(float64(int64(s1)-int64(s0))/sessions, "stack-B/session")
		for _, c := range conns {
			c.Quit()
		}
	}
}
