package defender

import (
	"container/heap"
	"math/bits"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// The ban table is read on every accepted connection and written rarely,
// but a flood of honeypot logins from many IPv6 networks can write it
// thousands of times a second. A copy-on-write map would make each write
// cost the whole table, so the table is sharded instead: a reader takes
// one shard's read lock per prefix length in use (normally one), and a
// writer locks only the shard it changes.
const banShards = 64

// Ban is one banned network.
type Ban struct {
	Prefix netip.Prefix
	Reason string
	// First is when the ban began; Last when the last event from the
	// network was seen; Count how many events it has been charged with
	// (those that led to the ban and any seen while banned).
	First, Last time.Time
	Count       int
	// Level is 1 for a first offence, 2 for a second within OffenceMemory,
	// and so on.
	Level int
	// Until is when the ban ends; zero means never.
	Until  time.Time
	Manual bool
}

// active reports whether b is in force at now.
func (b *Ban) active(now time.Time) bool { return b.Until.IsZero() || now.Before(b.Until) }

type banEntry struct {
	ban     Ban // read under the shard's lock; Until never changes
	heapIdx int // guarded by banTable.mu; -1 when in no heap
}

type banShard struct {
	mu sync.RWMutex
	m  map[netip.Prefix]*banEntry
	_  [32]byte // keeps neighbouring shards' locks off one cache line
}

type banTable struct {
	shards [banShards]banShard
	// Lengths of the banned prefixes of each family, in lengthMask layout,
	// so that a reader probes only the lengths that exist.
	len4, len6 [3]atomic.Uint64

	mu             sync.Mutex // serialises writers; guards the fields below
	count4, count6 [129]int
	auto           banHeap // automatic bans, soonest end first
	timed          banHeap // manual bans that end, soonest end first
	maxAuto        int
}

func newBanTable(maxAuto int) *banTable {
	t := &banTable{maxAuto: maxAuto}
	for i := range t.shards {
		t.shards[i].m = make(map[netip.Prefix]*banEntry)
	}
	return t
}

func (t *banTable) shard(p netip.Prefix) *banShard {
	a := p.Addr().As16()
	hi := uint64(a[0])<<56 | uint64(a[1])<<48 | uint64(a[2])<<40 | uint64(a[3])<<32 |
		uint64(a[4])<<24 | uint64(a[5])<<16 | uint64(a[6])<<8 | uint64(a[7])
	lo := uint64(a[8])<<56 | uint64(a[9])<<48 | uint64(a[10])<<40 | uint64(a[11])<<32 |
		uint64(a[12])<<24 | uint64(a[13])<<16 | uint64(a[14])<<8 | uint64(a[15])
	h := (hi*0x9e3779b97f4a7c15 ^ lo ^ uint64(p.Bits())) * 0xbf58476d1ce4e5b9
	return &t.shards[h>>(64-6)]
}

// find calls f with the entry of each banned prefix holding a, longest
// prefix first, until f returns true. a must be normalised.
func (t *banTable) find(a netip.Addr, f func(p netip.Prefix) bool) {
	masks, maxLen := &t.len6, 128
	if a.Is4() {
		masks, maxLen = &t.len4, 32
	}
	for w := range masks {
		word := masks[w].Load()
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			p, _ := a.Prefix(maxLen - (w*64 + b))
			if f(p) {
				return
			}
		}
	}
}

// lookup returns the ban in force on a, if any, and whether it passed over
// an expired one. It does not allocate.
func (t *banTable) lookup(a netip.Addr, clock func() time.Time) (ban Ban, found, expired bool) {
	var now time.Time
	t.find(a, func(p netip.Prefix) bool {
		s := t.shard(p)
		s.mu.RLock()
		e := s.m[p]
		if e != nil {
			ban = e.ban
		}
		s.mu.RUnlock()
		if e == nil {
			return false
		}
		if !ban.Until.IsZero() {
			if now.IsZero() {
				now = clock()
			}
			if !now.Before(ban.Until) {
				expired = true
				return false
			}
		}
		found = true
		return true
	})
	if !found {
		ban = Ban{}
	}
	return ban, found, expired
}

// touch charges an event at now to the ban in force on a, if any, and
// reports whether there was one.
func (t *banTable) touch(a netip.Addr, now time.Time) bool {
	hit := false
	t.find(a, func(p netip.Prefix) bool {
		s := t.shard(p)
		s.mu.Lock()
		if e := s.m[p]; e != nil && e.ban.active(now) {
			if now.After(e.ban.Last) {
				e.ban.Last = now
			}
			e.ban.Count++
			hit = true
		}
		s.mu.Unlock()
		return hit
	})
	return hit
}

// put adds b (already normalised), replacing any ban of its prefix in place
// so that readers never see the prefix unbanned in between.
func (t *banTable) put(b Ban, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneLocked(now)
	s := t.shard(b.Prefix)
	s.mu.RLock()
	old := s.m[b.Prefix]
	s.mu.RUnlock()
	if old != nil {
		t.unheapLocked(old)
	}
	if !b.active(now) {
		if old != nil {
			t.dropLocked(old)
		}
		return
	}
	e := &banEntry{ban: b, heapIdx: -1}
	s.mu.Lock()
	s.m[b.Prefix] = e
	s.mu.Unlock()
	if old == nil {
		t.addLength(b.Prefix, 1)
	}
	switch {
	case !b.Manual:
		heap.Push(&t.auto, e)
		// Past the bound, the ban that would end first makes way, unless it
		// is the one just made: that one was reported to the caller.
		for t.auto.Len() > t.maxAuto {
			first := heap.Pop(&t.auto).(*banEntry)
			if first == e {
				first = heap.Pop(&t.auto).(*banEntry)
				heap.Push(&t.auto, e)
			}
			t.dropLocked(first)
		}
	case !b.Until.IsZero():
		heap.Push(&t.timed, e)
	}
}

// remove deletes the ban of exactly p and reports whether there was one.
func (t *banTable) remove(p netip.Prefix) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.removeLocked(p)
}

// removeWithin deletes every ban whose prefix lies inside p and returns
// how many there were.
func (t *banTable) removeWithin(p netip.Prefix) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var doomed []netip.Prefix
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for q := range s.m {
			if q.Bits() >= p.Bits() && p.Contains(q.Addr()) {
				doomed = append(doomed, q)
			}
		}
		s.mu.RUnlock()
	}
	for _, q := range doomed {
		t.removeLocked(q)
	}
	return len(doomed)
}

func (t *banTable) removeLocked(p netip.Prefix) bool {
	s := t.shard(p)
	s.mu.RLock()
	e := s.m[p]
	s.mu.RUnlock()
	if e == nil {
		return false
	}
	t.unheapLocked(e)
	t.dropLocked(e)
	return true
}

// unheapLocked takes e out of the heap it is in, if any.
func (t *banTable) unheapLocked(e *banEntry) {
	if e.heapIdx < 0 {
		return
	}
	if e.ban.Manual {
		heap.Remove(&t.timed, e.heapIdx)
	} else {
		heap.Remove(&t.auto, e.heapIdx)
	}
}

// dropLocked takes e, already out of its heap, out of the map.
func (t *banTable) dropLocked(e *banEntry) {
	s := t.shard(e.ban.Prefix)
	s.mu.Lock()
	if s.m[e.ban.Prefix] == e {
		delete(s.m, e.ban.Prefix)
	}
	s.mu.Unlock()
	t.addLength(e.ban.Prefix, -1)
}

// pruneLocked removes the bans that have ended by now.
func (t *banTable) pruneLocked(now time.Time) {
	for _, h := range []*banHeap{&t.auto, &t.timed} {
		for h.Len() > 0 && !(*h)[0].ban.active(now) {
			t.dropLocked(heap.Pop(h).(*banEntry))
		}
	}
}

// addLength counts a prefix of p's length in or out and keeps the length
// masks that readers use in step.
func (t *banTable) addLength(p netip.Prefix, delta int) {
	counts, masks, maxLen := &t.count6, &t.len6, 128
	if p.Addr().Is4() {
		counts, masks, maxLen = &t.count4, &t.len4, 32
	}
	l := p.Bits()
	counts[l] += delta
	var m lengthMask
	for i := range masks {
		m[i] = masks[i].Load()
	}
	if counts[l] > 0 {
		m.set(maxLen - l)
	} else {
		m.clear(maxLen - l)
	}
	for i := range masks {
		masks[i].Store(m[i])
	}
}

// list returns the bans in force at now, soonest end first and permanent
// bans last.
func (t *banTable) list(now time.Time) []Ban {
	t.mu.Lock()
	t.pruneLocked(now)
	t.mu.Unlock()
	var out []Ban
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for _, e := range s.m {
			if e.ban.active(now) {
				out = append(out, e.ban)
			}
		}
		s.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Until, out[j].Until
		if a.Equal(b) {
			return out[i].Prefix.Compare(out[j].Prefix) < 0
		}
		if a.IsZero() || b.IsZero() {
			return b.IsZero()
		}
		return a.Before(b)
	})
	return out
}

// banHeap orders bans by their end, permanent ones (zero Until) last.
type banHeap []*banEntry

func (h banHeap) Len() int { return len(h) }
func (h banHeap) Less(i, j int) bool {
	a, b := h[i].ban.Until, h[j].ban.Until
	return !a.IsZero() && (b.IsZero() || a.Before(b))
}
func (h banHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}
func (h *banHeap) Push(x any) {
	e := x.(*banEntry)
	e.heapIdx = len(*h)
	*h = append(*h, e)
}
func (h *banHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.heapIdx = -1
	return e
}
