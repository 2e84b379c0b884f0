package defender

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestSetConfigKeepsBansAndScores(t *testing.T) {
	d, c := newTest(t, nil) // threshold 20, bad password 5
	mustBan(t, d, addr("192.0.2.1"), EventHoneypot, "root")
	for range 3 {
		mustNotBan(t, d, addr("192.0.2.2"), EventBadPassword) // 15 points
	}

	cfg := DefaultConfig()
	cfg.Threshold = 100
	cfg.Scores = map[Event]int{EventBadPassword: 50}
	d.SetConfig(cfg)

	if !isBanned(d, "192.0.2.1") {
		t.Error("ban lost by SetConfig")
	}
	// 15 kept points + 50 < 100; + 50 more bans.
	mustNotBan(t, d, addr("192.0.2.2"), EventBadPassword)
	b := mustBan(t, d, addr("192.0.2.2"), EventBadPassword, "alice")
	if b.Until != c.Now().Add(cfg.BanTime) {
		t.Errorf("ban until %v", b.Until)
	}
	if d.IsHoneypot("root") != true {
		t.Error("honeypots lost")
	}
}

func TestSetConfigWindowKeepsAttackUnderWay(t *testing.T) {
	d, c := newTest(t, nil) // window 10m
	for range 3 {
		mustNotBan(t, d, addr("192.0.2.2"), EventBadPassword) // 15 points
	}
	c.Advance(5 * time.Minute)

	cfg := DefaultConfig()
	cfg.Window = time.Hour
	d.SetConfig(cfg)
	// The 15 points count as scored now, for the new hour.
	c.Advance(50 * time.Minute)
	mustBan(t, d, addr("192.0.2.2"), EventBadPassword, "")

	// Shrinking the window: points older than the new window go.
	for range 3 {
		mustNotBan(t, d, addr("192.0.2.3"), EventBadPassword)
	}
	cfg.Window = time.Minute
	d.SetConfig(cfg)
	c.Advance(2 * time.Minute)
	mustNotBan(t, d, addr("192.0.2.3"), EventBadPassword)
	mustNotBan(t, d, addr("192.0.2.3"), EventBadPassword)
}

func TestSetConfigLists(t *testing.T) {
	d, _ := newTest(t, nil)
	if isBanned(d, "198.51.100.7") {
		t.Fatal("banned before the blocklist")
	}
	mustBan(t, d, addr("192.0.2.9"), EventHoneypot, "root")

	cfg := DefaultConfig()
	cfg.Blocklist = []netip.Prefix{prefix("198.51.100.0/24")}
	cfg.Safelist = []netip.Prefix{prefix("192.0.2.9/32")}
	cfg.Honeypots = []string{"bait"}
	d.SetConfig(cfg)

	if !isBanned(d, "198.51.100.7") {
		t.Error("new blocklist not applied")
	}
	if isBanned(d, "192.0.2.9") {
		t.Error("new safelist does not override the ban")
	}
	if d.IsHoneypot("root") || !d.IsHoneypot("BAIT") {
		t.Error("honeypot names not replaced")
	}

	// The ban was kept all along: lifting the safelist shows it again.
	d.SetConfig(DefaultConfig())
	if !isBanned(d, "192.0.2.9") {
		t.Error("ban lost while safelisted")
	}
}

func TestSetConfigBounds(t *testing.T) {
	d, _ := newTest(t, nil)
	for i := range 50 {
		d.Record(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), EventCommandBeforeLogin, "")
		d.AccountFailure(fmt.Sprintf("u%d", i), addr("192.0.2.1"))
	}
	cfg := DefaultConfig()
	cfg.MaxTracked = 10
	cfg.MaxAccounts = 5
	d.SetConfig(cfg)
	if n := d.Tracked(); n != 10 {
		t.Errorf("tracked %d after lowering MaxTracked to 10", n)
	}
	d.accounts.mu.Lock()
	n := d.accounts.m.len()
	d.accounts.mu.Unlock()
	if n != 5 {
		t.Errorf("accounts %d after lowering MaxAccounts to 5", n)
	}
	// The most recent are the ones kept.
	if !d.tracked.has(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, 49}), 32)) {
		t.Error("most recent source forgotten")
	}
}

func (l *lru[K, V]) has(k K) bool {
	_, ok := l.m[k]
	return ok
}

func TestSetConfigAccountWindow(t *testing.T) {
	d, c := newTest(t, func(c *Config) { c.AccountThreshold = 4 })
	for i := range 3 {
		if _, started := d.AccountFailure("alice", netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})); started {
			t.Fatal("protection started early")
		}
	}
	cfg := DefaultConfig()
	cfg.AccountThreshold = 4
	cfg.AccountWindow = 2 * time.Hour
	d.SetConfig(cfg)
	c.Advance(90 * time.Minute) // past the old window, within the new one
	if _, started := d.AccountFailure("alice", addr("192.0.2.9")); !started {
		t.Error("failures before the change forgotten")
	}
}

// TestSetConfigConcurrent is worth its salt under -race.
func TestSetConfigConcurrent(t *testing.T) {
	d, c := newTest(t, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := netip.AddrFrom4([4]byte{10, byte(w), byte(i >> 8), byte(i)})
				d.Record(a, Event(1+i%numEvents), "u")
				d.Banned(a)
				d.AccountFailure("u", a)
				d.IsHoneypot("root")
				d.Key(a)
			}
		})
	}
	for i := range 200 {
		cfg := DefaultConfig()
		cfg.Window = time.Duration(1+i%3) * time.Minute
		cfg.AccountWindow = time.Duration(1+i%2) * time.Hour
		cfg.MaxTracked = 100 + i%50
		cfg.Blocklist = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 32)}
		d.SetConfig(cfg)
		c.Advance(time.Second)
	}
	close(stop)
	wg.Wait()
}
