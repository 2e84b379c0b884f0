package defender

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse runs every operation at once; its worth is under -race.
// Each worker bans its own address and must see that ban, whatever the
// others do to theirs.
func TestConcurrentUse(t *testing.T) {
	d, c := newTest(t, func(c *Config) { c.MaxTracked = 500; c.MaxAccounts = 50 })
	const workers, rounds = 16, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			own := netip.AddrFrom4([4]byte{10, 0, 0, byte(w)})
			for i := range rounds {
				other := netip.AddrFrom4([4]byte{172, 16, byte(w), byte(i)})
				d.Record(other, Event(1+i%numEvents), "user")
				d.Banned(other)
				d.AccountFailure(fmt.Sprintf("u%d", i%70), other)
				d.AccountProtected("u1")
				switch i % 50 {
				case 10:
					d.Ban(Ban{Prefix: netip.PrefixFrom(other, 32), Manual: true, Until: c.Now().Add(time.Minute)})
				case 20:
					d.Unban(netip.PrefixFrom(other, 24))
				case 30:
					d.Bans()
					d.Tracked()
					d.SetAccountProtection("u2", c.Now().Add(time.Minute))
				case 40:
					c.Advance(time.Second)
				}
			}
			if _, ok := d.Record(own, EventHoneypot, "root"); !ok {
				if _, ok := d.Banned(own); !ok {
					errs <- fmt.Errorf("worker %d: honeypot login did not ban", w)
					return
				}
			}
			if _, ok := d.Banned(own); !ok {
				errs <- fmt.Errorf("worker %d: own ban not seen", w)
			}
		})
	}
	// Readers on the hot path throughout.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				d.Banned(netip.AddrFrom4([4]byte{172, 16, byte(r), byte(i)}))
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if d.Tracked() > 500 {
		t.Errorf("Tracked = %d over its bound", d.Tracked())
	}
}
