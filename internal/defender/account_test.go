package defender

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// spread returns the i-th of many attacking addresses.
func spread(i int) netip.Addr { return netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)}) }

func TestAccountProtectionStarts(t *testing.T) {
	d, c := newTest(t, nil)
	for i := range 29 {
		if until, started := d.AccountFailure("alice", spread(i)); started || !until.IsZero() {
			t.Fatalf("failure %d started protection", i+1)
		}
		c.Advance(time.Minute)
	}
	until, started := d.AccountFailure("Alice", spread(29)) // letter case does not matter
	if !started || !until.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("30th failure: until %v, started %v", until, started)
	}
	if u, ok := d.AccountProtected("ALICE"); !ok || !u.Equal(until) {
		t.Errorf("AccountProtected = %v, %v", u, ok)
	}
	if _, ok := d.AccountProtected("bob"); ok {
		t.Error("bob protected too")
	}
	// Further failures neither restart nor lengthen it.
	if u, started := d.AccountFailure("alice", spread(99)); started || !u.Equal(until) {
		t.Errorf("during protection: %v, %v", u, started)
	}
	c.Advance(time.Hour - time.Nanosecond)
	if _, ok := d.AccountProtected("alice"); !ok {
		t.Error("protection ended early")
	}
	c.Advance(time.Nanosecond)
	if _, ok := d.AccountProtected("alice"); ok {
		t.Error("protection outlived its cooldown")
	}
}

func TestAccountFailuresExpire(t *testing.T) {
	d, c := newTest(t, nil)
	for i := range 29 {
		d.AccountFailure("alice", spread(i))
	}
	c.Advance(time.Hour)
	for i := range 29 {
		if _, started := d.AccountFailure("alice", spread(i)); started {
			t.Fatalf("failures older than the window counted (at %d)", i+1)
		}
	}
	if _, started := d.AccountFailure("alice", spread(0)); !started {
		t.Error("30 failures within the window did not start protection")
	}
}

func TestAccountAttackGoesOn(t *testing.T) {
	d, c := newTest(t, func(c *Config) {
		c.AccountThreshold, c.AccountWindow, c.AccountCooldown = 3, time.Hour, 10*time.Minute
	})
	for i := range 3 {
		d.AccountFailure("alice", spread(i))
	}
	c.Advance(10 * time.Minute)
	// Still under attack when the cooldown ends: the next failure starts
	// protection again at once.
	if _, started := d.AccountFailure("alice", spread(7)); !started {
		t.Error("protection not renewed")
	}
}

func TestAccountSafelistNotCounted(t *testing.T) {
	d, _ := newTest(t, func(c *Config) {
		c.AccountThreshold = 2
		c.Safelist = []netip.Prefix{prefix("192.168.0.0/16")}
	})
	for range 10 {
		if _, started := d.AccountFailure("alice", addr("192.168.1.1")); started {
			t.Fatal("safelisted failures counted")
		}
	}
}

func TestSetAccountProtection(t *testing.T) {
	d, c := newTest(t, func(c *Config) { c.AccountThreshold = 3 })
	until := c.Now().Add(5 * time.Hour)
	d.SetAccountProtection("carol", until)
	if u, ok := d.AccountProtected("carol"); !ok || !u.Equal(until) {
		t.Fatalf("loaded protection = %v, %v", u, ok)
	}
	d.AccountFailure("carol", spread(1))
	d.AccountFailure("carol", spread(2))
	d.SetAccountProtection("CAROL", time.Time{})
	if _, ok := d.AccountProtected("carol"); ok {
		t.Error("zero did not clear the protection")
	}
	// Clearing also forgets the failures.
	if _, started := d.AccountFailure("carol", spread(3)); started {
		t.Error("failures before the clearing still counted")
	}
	d.SetAccountProtection("dave", c.Now().Add(-time.Minute))
	if _, ok := d.AccountProtected("dave"); ok {
		t.Error("protection that ended in the past is in force")
	}
}

func TestAccountsBounded(t *testing.T) {
	d, _ := newTest(t, func(c *Config) { c.MaxAccounts = 100; c.AccountThreshold = 2 })
	for i := range 10_000 {
		d.AccountFailure(fmt.Sprintf("user%d", i), spread(i))
	}
	d.accounts.mu.Lock()
	n := d.accounts.m.len()
	d.accounts.mu.Unlock()
	if n > 100 {
		t.Errorf("%d accounts tracked, bound is 100", n)
	}
	// The most recent are the ones kept.
	if _, started := d.AccountFailure("user9999", spread(1)); !started {
		t.Error("the most recent account was forgotten")
	}
}
