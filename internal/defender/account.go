package defender

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// accounts counts failed logins per account, from whatever address, to see
// guessing spread over many addresses that no single address's score
// would catch. Account names are compared without regard to letter case,
// as the user store compares them.
type accounts struct {
	now func() time.Time

	mu sync.Mutex
	m  *lru[string, account]
}

// account is the recent failure count of one account and, when protected,
// the end of its protection.
type account struct {
	ring
	fails [slots]uint32
	until time.Time
}

func (as *accounts) init(maxAccounts int, now func() time.Time) {
	as.now = now
	as.m = newLRU[string, account](maxAccounts)
}

func accountKey(user string) string { return strings.ToLower(user) }

// AccountFailure counts a wrong password given for user from addr. When
// the failures within AccountWindow reach AccountThreshold, the account is
// protected until now+AccountCooldown and started is true. While it is
// protected, until is the end of protection and started is false.
// Failures from safelisted addresses are not counted.
func (d *Defender) AccountFailure(user string, addr netip.Addr) (until time.Time, started bool) {
	as := &d.accounts
	if _, ok := d.rules.Load().safe.match(normAddr(addr)); ok {
		until, _ = d.AccountProtected(user)
		return until, false
	}
	now := as.now()
	key := accountKey(user)

	as.mu.Lock()
	defer as.mu.Unlock()
	// Loaded under as.mu: the account buckets match these rules.
	r := d.rules.Load()
	width := r.accWidth
	acc, ok := as.m.get(key)
	if !ok {
		// A kept key must not share memory with the caller's string, which
		// may be a slice of a whole command line.
		acc = as.m.getOrAdd(strings.Clone(key))
	}
	i := acc.advance(bucketIndex(now, width), func(i int) { acc.fails[i] = 0 })
	acc.fails[i]++
	if now.Before(acc.until) {
		return acc.until, false
	}
	acc.until = time.Time{}
	oldest := bucketIndex(now, width) - slots + 1
	n := 0
	for b := max(acc.head-slots+1, oldest); b <= acc.head; b++ {
		n += int(acc.fails[b%slots])
	}
	if n < r.cfg.AccountThreshold {
		return time.Time{}, false
	}
	acc.until = now.Add(r.cfg.AccountCooldown)
	return acc.until, true
}

// AccountProtected reports whether user is under protection, and until when.
func (d *Defender) AccountProtected(user string) (until time.Time, ok bool) {
	as := &d.accounts
	now := as.now()
	as.mu.Lock()
	defer as.mu.Unlock()
	acc, found := as.m.peek(accountKey(user))
	if !found || !now.Before(acc.until) {
		return time.Time{}, false
	}
	return acc.until, true
}

// SetAccountProtection protects user until the given time, as when loading
// saved state or on an administrator's word. A zero until lifts the
// protection and forgets the account's failures.
func (d *Defender) SetAccountProtection(user string, until time.Time) {
	as := &d.accounts
	key := strings.Clone(accountKey(user))
	as.mu.Lock()
	defer as.mu.Unlock()
	if until.IsZero() {
		as.m.remove(key)
		return
	}
	as.m.getOrAdd(key).until = until
}
