package defender

// lru is a map bounded to max entries that forgets the least recently used
// one when full. The list is intrusive and an evicted node is reused for
// the newcomer, so a flood of new keys does not allocate per key once full.
// It is not safe for concurrent use; its owner locks.
type lru[K comparable, V any] struct {
	max  int
	m    map[K]*lruNode[K, V]
	root lruNode[K, V] // sentinel: root.next is the most recent, root.prev the least
}

type lruNode[K comparable, V any] struct {
	key        K
	val        V
	prev, next *lruNode[K, V]
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	l := &lru[K, V]{max: max, m: make(map[K]*lruNode[K, V])}
	l.root.prev, l.root.next = &l.root, &l.root
	return l
}

func (l *lru[K, V]) len() int { return len(l.m) }

// get returns the value of k and marks it most recent.
func (l *lru[K, V]) get(k K) (*V, bool) {
	n, ok := l.m[k]
	if !ok {
		return nil, false
	}
	l.unlink(n)
	l.pushFront(n)
	return &n.val, true
}

// peek returns the value of k without marking it.
func (l *lru[K, V]) peek(k K) (*V, bool) {
	n, ok := l.m[k]
	if !ok {
		return nil, false
	}
	return &n.val, true
}

// getOrAdd returns the value of k, adding a zero value if k is absent
// (forgetting the least recent entry when full), and marks it most recent.
func (l *lru[K, V]) getOrAdd(k K) *V {
	if v, ok := l.get(k); ok {
		return v
	}
	var n *lruNode[K, V]
	if len(l.m) >= l.max {
		n = l.root.prev
		l.unlink(n)
		delete(l.m, n.key)
		var zero V
		n.val = zero
	} else {
		n = new(lruNode[K, V])
	}
	n.key = k
	l.m[k] = n
	l.pushFront(n)
	return &n.val
}

func (l *lru[K, V]) remove(k K) {
	if n, ok := l.m[k]; ok {
		l.unlink(n)
		delete(l.m, k)
	}
}

// removeIf removes every entry for which drop returns true.
func (l *lru[K, V]) removeIf(drop func(k K, v *V) bool) {
	for n := l.root.next; n != &l.root; {
		next := n.next
		if drop(n.key, &n.val) {
			l.unlink(n)
			delete(l.m, n.key)
		}
		n = next
	}
}

func (l *lru[K, V]) unlink(n *lruNode[K, V]) {
	n.prev.next = n.next
	n.next.prev = n.prev
	n.prev, n.next = nil, nil
}

func (l *lru[K, V]) pushFront(n *lruNode[K, V]) {
	n.prev = &l.root
	n.next = l.root.next
	l.root.next.prev = n
	l.root.next = n
}
