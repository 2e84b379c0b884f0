package defender

import (
	"net/netip"
	"testing"
	"time"
)

func TestTrackedBounded(t *testing.T) {
	const max = 10_000
	d, _ := newTest(t, func(c *Config) { c.MaxTracked = max })
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	for i := range n {
		a := netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		if _, ok := d.Record(a, EventBadPassword, "alice"); ok {
			t.Fatalf("one failure from %s banned", a)
		}
		if i%100_000 == 0 && d.Tracked() > max {
			t.Fatalf("Tracked = %d after %d addresses", d.Tracked(), i+1)
		}
	}
	if got := d.Tracked(); got != max {
		t.Errorf("Tracked = %d, want %d", got, max)
	}
	// The least recently seen went first: the newest are still scored.
	last := netip.AddrFrom4([4]byte{byte((n - 1) >> 24), byte((n - 1) >> 16), byte((n - 1) >> 8), byte(n - 1)})
	for range 3 {
		d.Record(last, EventBadPassword, "")
	}
	if !isBanned(d, last.String()) {
		t.Error("the newest address lost its score")
	}
}

func TestBansAndHistoryBounded(t *testing.T) {
	const max = 100
	d, _ := newTest(t, func(c *Config) { c.MaxTracked = max })
	d.Ban(Ban{Prefix: prefix("192.0.2.0/24"), Manual: true}) // not counted against the bound
	for i := range 5000 {
		a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i), 7: 0, 15: 1})
		mustBan(t, d, a, EventHoneypot, "root")
	}
	bans := d.Bans()
	if len(bans) != max+1 {
		t.Errorf("%d bans, want %d automatic and the manual one", len(bans), max)
	}
	if !isBanned(d, "2001:db8:1387::1") || !isBanned(d, "192.0.2.1") {
		t.Error("the newest automatic ban or the manual ban was dropped")
	}
	d.mu.Lock()
	h := d.history.len()
	d.mu.Unlock()
	if h > max {
		t.Errorf("offence history holds %d keys", h)
	}
	// The table's bookkeeping agrees with its contents.
	stored := 0
	for i := range d.bans.shards {
		stored += len(d.bans.shards[i].m)
	}
	if stored != len(bans) || d.bans.auto.Len() != max {
		t.Errorf("stored %d, auto heap %d, listed %d", stored, d.bans.auto.Len(), len(bans))
	}
}

func TestLRU(t *testing.T) {
	l := newLRU[int, int](3)
	for k := range 3 {
		*l.getOrAdd(k) = k * 10
	}
	l.get(0)            // 0 is now the most recent; 1 the least
	*l.getOrAdd(3) = 30 // evicts 1
	if _, ok := l.peek(1); ok {
		t.Error("the least recent key survived")
	}
	for _, k := range []int{0, 2, 3} {
		if v, ok := l.peek(k); !ok || *v != k*10 {
			t.Errorf("key %d = %v, %v", k, v, ok)
		}
	}
	if v := l.getOrAdd(4); *v != 0 {
		t.Error("a reused node kept its old value")
	}
	l.removeIf(func(k int, _ *int) bool { return k%2 == 0 })
	if l.len() != 1 {
		t.Errorf("len = %d after removeIf", l.len())
	}
	l.remove(3)
	l.remove(3)
	if l.len() != 0 || l.root.next != &l.root {
		t.Error("list not empty")
	}
}

func TestNewBanSurvivesFullTable(t *testing.T) {
	d, c := newTest(t, func(c *Config) { c.MaxTracked = 2 })
	for i, s := range []string{"198.51.100.1/32", "198.51.100.2/32"} {
		d.Ban(Ban{Prefix: prefix(s), Level: 3, Until: c.Now().Add(time.Duration(i+1) * 24 * time.Hour)})
	}
	b := mustBan(t, d, addr("192.0.2.1"), EventHoneypot, "root") // ends far sooner than both
	if !isBanned(d, "192.0.2.1") {
		t.Fatalf("the ban just reported is not in force: %+v", b)
	}
	if isBanned(d, "198.51.100.1") || !isBanned(d, "198.51.100.2") {
		t.Error("the wrong ban made way")
	}
}
