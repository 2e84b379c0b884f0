package auth

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// DefaultCacheSize bounds a VerifyCache whose Size is zero.
const DefaultCacheSize = 10000

// VerifyCache remembers recent successful password verifications so that a
// client logging in again and again (a backup job, a benchmark, a mirror
// script opening a connection per file) does not pay the full argon2id cost
// every time. It stores, per account, only HMAC-SHA256 under a random
// per-process key of the stored hash and the password: nothing in it can be
// turned back into a password, and it is lost with the process.
//
// Only successes are stored. A login whose password does not give the
// remembered HMAC goes through the full verification, so a wrong password
// is never accepted and guessing gets no speed-up. Because the stored hash
// is part of the HMAC, a password change (or a hash upgrade) makes the old
// entry useless at once.
//
// The zero value is not usable; call NewVerifyCache. A nil *VerifyCache
// caches nothing.
type VerifyCache struct {
	ttl  time.Duration
	size int
	now  func() time.Time
	key  [32]byte

	mu      sync.Mutex
	entries map[string]*list.Element // lower-cased account name → element
	order   list.List                // front: most recently stored
}

type cacheEntry struct {
	name    string
	mac     [sha256.Size]byte
	expires time.Time
}

// NewVerifyCache returns a cache keeping successes for ttl, at most size
// accounts (0 means DefaultCacheSize; the least recently stored is evicted
// first). now is the clock; nil means time.Now. A ttl of zero or less
// returns nil: no caching.
func NewVerifyCache(ttl time.Duration, size int, now func() time.Time) *VerifyCache {
	if ttl <= 0 {
		return nil
	}
	if size <= 0 {
		size = DefaultCacheSize
	}
	if now == nil {
		now = time.Now
	}
	c := &VerifyCache{ttl: ttl, size: size, now: now, entries: map[string]*list.Element{}}
	rand.Read(c.key[:])
	return c
}

func (c *VerifyCache) mac(name, hash, pw string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.key[:])
	// Lengths first, so that no two (name, hash, password) triples give
	// the same input.
	var n [8]byte
	for _, s := range []string{name, hash, pw} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// Hit reports whether pw was verified against hash for name within the TTL.
func (c *VerifyCache) Hit(name, hash, pw string) bool {
	if c == nil {
		return false
	}
	key := strings.ToLower(name)
	want := c.mac(key, hash, pw)
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return false
	}
	return hmac.Equal(e.mac[:], want[:])
}

// Store remembers that pw verified against hash for name.
func (c *VerifyCache) Store(name, hash, pw string) {
	if c == nil {
		return
	}
	key := strings.ToLower(name)
	e := &cacheEntry{name: key, mac: c.mac(key, hash, pw), expires: c.now().Add(c.ttl)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(e)
	for len(c.entries) > c.size {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.entries, old.Value.(*cacheEntry).name)
	}
}

// Forget drops name's entry, if any.
func (c *VerifyCache) Forget(name string) {
	if c == nil {
		return
	}
	key := strings.ToLower(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.order.Remove(el)
		delete(c.entries, key)
	}
}

// Len returns the number of accounts remembered.
func (c *VerifyCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
