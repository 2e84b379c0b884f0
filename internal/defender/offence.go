package defender

import (
	"math"
	"time"
)

// maxOffences is how many past bans a key remembers. Levels stop rising
// there, long after the default escalation has reached MaxBanTime.
const maxOffences = 15

// offences is the ban history of one key: the start times of its bans
// (Unix nanoseconds), oldest first.
type offences struct {
	at [maxOffences]int64
	n  int
}

// forget drops the offences older than memory before now.
func (o *offences) forget(now time.Time, memory time.Duration) {
	cut := now.Add(-memory).UnixNano()
	k := 0
	for k < o.n && o.at[k] < cut {
		k++
	}
	copy(o.at[:], o.at[k:o.n])
	o.n -= k
}

// add records an offence at now and returns its level: one more than the
// offences remembered.
func (o *offences) add(now time.Time, memory time.Duration) int {
	o.forget(now, memory)
	level := o.n + 1
	o.push(now.UnixNano())
	return level
}

func (o *offences) push(t int64) {
	if o.n == maxOffences {
		copy(o.at[:], o.at[1:])
		o.n--
	}
	o.at[o.n] = t
	o.n++
}

// seed makes the history hold at least level offences, the newest at t, as
// when a ban of that level is loaded from storage.
func (o *offences) seed(level int, t time.Time) {
	level = min(level, maxOffences)
	for o.n < level {
		// Kept in time order: a seeded offence goes before any newer one.
		i := o.n
		for i > 0 && o.at[i-1] > t.UnixNano() {
			i--
		}
		copy(o.at[i+1:o.n+1], o.at[i:o.n])
		o.at[i] = t.UnixNano()
		o.n++
	}
}

// banDuration is the length of a ban of the given level.
func banDuration(c *Config, level int) time.Duration {
	if !c.Escalate || level <= 1 {
		return c.BanTime
	}
	d := float64(c.BanTime) * math.Pow(c.Factor, float64(level-1))
	if math.IsInf(d, 0) || math.IsNaN(d) || d >= float64(c.MaxBanTime) {
		return c.MaxBanTime
	}
	return time.Duration(d)
}
