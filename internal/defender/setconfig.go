package defender

import "time"

// SetConfig replaces the rules with cfg, as New applies them (zero fields
// default, values Validate rejects replaced by their defaults), while the
// Defender runs. Bans in force, scores, past offences and account
// protection are all kept:
//
//   - Bans keep the end they were given; new rules decide the bans to come.
//   - When Window changes, the points a source scored within the old window
//     count as scored at the moment of the change, so that an attack under
//     way is not forgotten; AccountWindow is treated the same way.
//   - A smaller MaxTracked or MaxAccounts forgets the least recently seen
//     sources or accounts at once.
//   - Scores kept under another IPv6Prefix length stay apart from the new
//     keys until they age out.
func (d *Defender) SetConfig(cfg Config) {
	next := newRules(cfg.sane())
	now := d.now()

	// Both locks, in the order Record and AccountFailure never invert,
	// so that no one charges a bucket of the old width under new rules.
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accounts.mu.Lock()
	defer d.accounts.mu.Unlock()

	old := d.rules.Load()
	if next.width != old.width {
		for n := d.tracked.root.next; n != &d.tracked.root; n = n.next {
			n.val.rebucket(now, old.width, next.width)
		}
	}
	if next.accWidth != old.accWidth {
		m := d.accounts.m
		for n := m.root.next; n != &m.root; n = n.next {
			n.val.rebucket(now, old.accWidth, next.accWidth)
		}
	}
	d.tracked.resize(next.cfg.MaxTracked)
	d.history.resize(next.cfg.MaxTracked)
	d.accounts.m.resize(next.cfg.MaxAccounts)
	d.bans.setMaxAuto(next.cfg.MaxTracked)
	d.rules.Store(next)
}

// rebucket moves what a score holds within the window at now (buckets of
// from nanoseconds) into the bucket of now for buckets of to nanoseconds.
func (s *score) rebucket(now time.Time, from, to int64) {
	points := s.total(now, from)
	counts, _ := s.events(now, from)
	s.points = [slots]uint32{}
	s.counts = [slots][numEvents + 1]uint8{}
	s.head = bucketIndex(now, to)
	i := s.head % slots
	s.points[i] = uint32(points)
	for e, c := range counts {
		s.counts[i][e] = uint8(min(c, 255))
	}
}

// rebucket does for an account's failures what score.rebucket does.
func (a *account) rebucket(now time.Time, from, to int64) {
	oldest := bucketIndex(now, from) - slots + 1
	var n uint32
	for b := max(a.head-slots+1, oldest); b <= a.head; b++ {
		n += a.fails[b%slots]
	}
	a.fails = [slots]uint32{}
	a.head = bucketIndex(now, to)
	a.fails[a.head%slots] = n
}

// resize changes the bound of l, forgetting the least recent entries
// beyond it.
func (l *lru[K, V]) resize(max int) {
	l.max = max
	for len(l.m) > l.max {
		n := l.root.prev
		l.unlink(n)
		delete(l.m, n.key)
	}
}

// setMaxAuto changes the bound of the automatic bans. The bans in force
// stay, even beyond a lower bound, until the next automatic ban: put then
// drops those that would end first down to the bound, as it always does.
func (t *banTable) setMaxAuto(max int) {
	t.mu.Lock()
	t.maxAuto = max
	t.mu.Unlock()
}
