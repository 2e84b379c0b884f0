// Package defender scores what clients do wrong, bans the networks that
// score too much (for longer each time they come back), and protects
// accounts against guessing spread over many addresses. It is pure logic:
// the clock is injected and persistence is the caller's, who saves the Ban
// values it is given and hands them back at start-up.
package defender

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ReasonBlocklist is the Reason of the bans the blocklist makes.
const ReasonBlocklist = "blocklist"

// Defender keeps scores, bans and account protection. It is safe for
// concurrent use.
type Defender struct {
	now func() time.Time
	// rules is replaced whole by SetConfig. Score and account buckets
	// depend on its windows, so it changes only with mu and accounts.mu
	// held, and whoever reads the windows loads it under those locks.
	rules atomic.Pointer[rules]
	bans  *banTable

	mu      sync.Mutex // guards tracked and history
	tracked *lru[netip.Prefix, score]
	history *lru[netip.Prefix, offences]

	accounts accounts
}

// rules is a configuration in the form the Defender reads it. It never
// changes once made.
type rules struct {
	cfg       Config
	points    [numEvents + 1]int
	width     int64 // of a score bucket
	accWidth  int64 // of an account failure bucket
	safe      prefixSet
	block     prefixSet
	honeypots map[string]struct{}
}

func newRules(cfg Config) *rules {
	r := &rules{
		cfg:       cfg,
		width:     bucketWidth(cfg.Window),
		accWidth:  bucketWidth(cfg.AccountWindow),
		safe:      newPrefixSet(cfg.Safelist),
		block:     newPrefixSet(cfg.Blocklist),
		honeypots: make(map[string]struct{}, len(cfg.Honeypots)),
	}
	for e, p := range cfg.Scores {
		r.points[e] = p
	}
	for _, h := range cfg.Honeypots {
		r.honeypots[strings.ToLower(strings.TrimSpace(h))] = struct{}{}
	}
	return r
}

// New returns a Defender with cfg's rules, its zero fields set to their
// defaults (and any value Validate rejects replaced by its default).
// now is the clock; nil means time.Now.
func New(cfg Config, now func() time.Time) *Defender {
	if now == nil {
		now = time.Now
	}
	cfg = cfg.sane()
	d := &Defender{
		now:     now,
		bans:    newBanTable(cfg.MaxTracked),
		tracked: newLRU[netip.Prefix, score](cfg.MaxTracked),
		history: newLRU[netip.Prefix, offences](cfg.MaxTracked),
	}
	d.rules.Store(newRules(cfg))
	d.accounts.init(cfg.MaxAccounts, now)
	return d
}

// Key returns the network that addr is scored and banned as: the address
// itself for IPv4 (an IPv4-mapped IPv6 address counts as IPv4), its
// IPv6Prefix-long prefix for IPv6. An invalid addr gives the zero Prefix.
func (d *Defender) Key(addr netip.Addr) netip.Prefix {
	return d.rules.Load().key(normAddr(addr))
}

func (r *rules) key(a netip.Addr) netip.Prefix {
	if !a.IsValid() {
		return netip.Prefix{}
	}
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(r.cfg.IPv6Prefix)
	return p
}

// Banned reports whether addr must be refused, and the ban that refuses it.
// The safelist comes first, then the blocklist (a permanent ban with Reason
// ReasonBlocklist), then the bans in force; an ended ban counts as none.
// It is meant for every accepted connection: it takes no exclusive lock
// and does not allocate.
func (d *Defender) Banned(addr netip.Addr) (Ban, bool) {
	a := normAddr(addr)
	if !a.IsValid() {
		return Ban{}, false
	}
	r := d.rules.Load()
	if _, ok := r.safe.match(a); ok {
		return Ban{}, false
	}
	if p, ok := r.block.match(a); ok {
		return Ban{Prefix: p, Reason: ReasonBlocklist}, true
	}
	b, ok, expired := d.bans.lookup(a, d.now)
	if expired && d.bans.mu.TryLock() {
		// Tidy up while here, unless a writer is busy (it prunes too).
		d.bans.pruneLocked(d.now())
		d.bans.mu.Unlock()
	}
	return b, ok
}

// Record charges ev, done from addr, to addr's key. When the key's score
// within Window reaches Threshold, the key is banned and Record returns the
// new ban and true. detail (for a failed login, the user name) goes into
// the ban's Reason. Safelisted and blocklisted addresses are not recorded;
// an event from a banned address adds to that ban's Last and Count.
func (d *Defender) Record(addr netip.Addr, ev Event, detail string) (*Ban, bool) {
	a := normAddr(addr)
	if !a.IsValid() || !ev.valid() {
		return nil, false
	}
	if r := d.rules.Load(); r.listed(a) {
		return nil, false
	}
	now := d.now()

	d.mu.Lock()
	defer d.mu.Unlock()
	// Loaded again under mu: the buckets of tracked match these rules.
	r := d.rules.Load()
	key := r.key(a)
	if d.bans.touch(a, now) {
		return nil, false
	}
	points := r.points[ev]
	if points == 0 {
		return nil, false
	}
	s := d.tracked.getOrAdd(key)
	s.add(now, r.width, ev, points, detail)
	if s.total(now, r.width) < r.cfg.Threshold {
		return nil, false
	}

	reason, n := s.reason(now, r.width)
	d.tracked.remove(key) // the ban takes over; a later score starts afresh
	level := d.history.getOrAdd(key).add(now, r.cfg.OffenceMemory)
	b := Ban{
		Prefix: key,
		Reason: reason,
		First:  now,
		Last:   now,
		Count:  n,
		Level:  level,
		Until:  now.Add(banDuration(&r.cfg, level)),
	}
	d.bans.put(b, now)
	return &b, true
}

// listed reports whether a (normalised) is on the safelist or the
// blocklist, the addresses that are never scored.
func (r *rules) listed(a netip.Addr) bool {
	if _, ok := r.safe.match(a); ok {
		return true
	}
	_, ok := r.block.match(a)
	return ok
}

// IsHoneypot reports whether name is a honeypot user name.
func (d *Defender) IsHoneypot(name string) bool {
	_, ok := d.rules.Load().honeypots[strings.ToLower(name)]
	return ok
}

// Ban adds b, replacing any ban of its prefix (an IPv4-mapped prefix is
// taken as IPv4). It serves manual bans and the reloading of saved ones:
// a zero First is now, a Last before First is First, and a saved automatic
// ban of Level L counts as L offences for the escalation of the next one,
// even when it has already ended. A ban whose Until has passed is not added.
func (d *Defender) Ban(b Ban) {
	p := normPrefix(b.Prefix)
	if !p.IsValid() {
		return
	}
	now := d.now()
	b.Prefix = p
	if b.First.IsZero() {
		b.First = now
	}
	if b.Last.Before(b.First) {
		b.Last = b.First
	}
	if b.Manual && b.Reason == "" {
		b.Reason = "manual"
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if !b.Manual && b.Level > 0 {
		h := d.history.getOrAdd(p)
		h.seed(b.Level, b.First)
		h.forget(now, d.rules.Load().cfg.OffenceMemory)
		if h.n == 0 {
			d.history.remove(p)
		}
	}
	d.bans.put(b, now)
}

// Unban lifts the bans inside prefix (a single address stands for its
// whole key, so unbanning one IPv6 address lifts the ban of its /64) and
// forgets the scores and past offences of the addresses inside it. It
// reports whether a ban was lifted.
func (d *Defender) Unban(prefix netip.Prefix) bool {
	p := normPrefix(prefix)
	if !p.IsValid() {
		return false
	}
	if p.IsSingleIP() {
		p = d.rules.Load().key(p.Addr())
	}
	inside := func(k netip.Prefix) bool { return k.Bits() >= p.Bits() && p.Contains(k.Addr()) }

	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.bans.removeWithin(p)
	d.tracked.removeIf(func(k netip.Prefix, _ *score) bool { return inside(k) })
	d.history.removeIf(func(k netip.Prefix, _ *offences) bool { return inside(k) })
	return n > 0
}

// Bans returns the bans in force, soonest end first and permanent ones
// last. The blocklist is configuration and is not listed.
func (d *Defender) Bans() []Ban {
	return d.bans.list(d.now())
}

// Tracked returns how many keys are being scored.
func (d *Defender) Tracked() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tracked.len()
}
