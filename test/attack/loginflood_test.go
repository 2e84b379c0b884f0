package attack

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// A flood of logins from many addresses at once, each paying the full
// argon2id memory cost, takes no more memory than password_hash.
// max_concurrent computations: the others wait their turn instead of each
// holding 19 MiB at the same moment (50 at once would hold about 1 GiB).
func TestLoginFloodMemoryBounded(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.PasswordHash.MemoryKiB = 19456
		c.PasswordHash.Iterations = 1
		c.PasswordHash.MaxConcurrent = 2
	})
	e.addUser("alice", "Alice-Pass-42x")
	e.start()

	const clients = 50
	base := heapSys()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), heapSys()))
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var (
		wg       sync.WaitGroup
		accepted atomic.Int32
	)
	for i := range clients {
		wg.Go(func() {
			c, err := dialFTP(e.Explicit(), fmt.Sprintf("127.0.%d.%d", 10+i/200, 1+i%200))
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			defer c.Quit()
			// Half guess alice's password, half names that do not exist:
			// both cost one argon2id computation.
			name := "alice"
			if i%2 == 1 {
				name = fmt.Sprintf("nobody%d", i)
			}
			if c.Login(name, "Wrong-Guess-1") == nil {
				accepted.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	if n := accepted.Load(); n != 0 {
		t.Fatalf("%d wrong passwords accepted", n)
	}
	grew := (peak.Load() - min(base, peak.Load())) >> 20
	t.Logf("heap reserved grew by %d MiB during %d simultaneous logins", grew, clients)
	if grew > 300 {
		t.Errorf("heap grew by %d MiB: password hashing is not bounded", grew)
	}
	e.noPanics()
}

// heapSys is the heap memory the process has reserved from the system.
func heapSys() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapSys
}
