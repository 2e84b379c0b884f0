package defender

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// slots is the number of buckets a window is cut into. More buckets make
// the window sharper and every tracked key bigger.
const slots = 8

// ring is the bucket bookkeeping shared by address scores and account
// failure counts: head is the index (time / width) of the newest bucket,
// and bucket i lives in slot i % slots.
type ring struct{ head int64 }

// advance moves the ring to the bucket of idx, calling clear for each slot
// that falls out of the window, and returns the slot of idx. A clock that
// went backwards charges the newest bucket.
func (r *ring) advance(idx int64, clear func(slot int)) int {
	switch d := idx - r.head; {
	case d <= 0:
		idx = r.head
	case d >= slots:
		for i := range slots {
			clear(i)
		}
	default:
		for i := r.head + 1; i <= idx; i++ {
			clear(int(i % slots))
		}
	}
	r.head = idx
	return int(idx % slots)
}

// bucketIndex returns the bucket of now for buckets width nanoseconds wide.
func bucketIndex(now time.Time, width int64) int64 {
	i := now.UnixNano() / width
	if i < 0 {
		return 0 // before 1970: no clock worth scoring against
	}
	return i
}

// bucketWidth cuts a window into slots buckets.
func bucketWidth(window time.Duration) int64 {
	return max(int64(window)/slots, 1)
}

// maxDetail bounds the stored detail (a user name chosen by the client), so
// that the memory of a tracked key stays constant.
const maxDetail = 64

// score is the recent history of one key. It is about 150 bytes whatever
// the key does.
type score struct {
	ring
	points [slots]uint32
	counts [slots][numEvents + 1]uint8 // events per bucket, saturating
	detail string                      // the last non-empty detail, truncated
	detEv  Event                       // the event detail came with
}

// add charges ev worth points at now.
func (s *score) add(now time.Time, width int64, ev Event, points int, detail string) {
	i := s.advance(bucketIndex(now, width), func(i int) {
		s.points[i] = 0
		s.counts[i] = [numEvents + 1]uint8{}
	})
	s.points[i] += uint32(points)
	if s.counts[i][ev] < 255 {
		s.counts[i][ev]++
	}
	if detail != "" {
		s.detail = strings.Clone(truncate(detail, maxDetail))
		s.detEv = ev
	}
}

// total returns the score at now (which must not precede the last add).
func (s *score) total(now time.Time, width int64) int {
	oldest := bucketIndex(now, width) - slots + 1
	sum := 0
	for b := max(s.head-slots+1, oldest); b <= s.head; b++ {
		sum += int(s.points[b%slots])
	}
	return sum
}

// events returns the events in the window at now, by kind, and their sum.
func (s *score) events(now time.Time, width int64) (byKind [numEvents + 1]int, n int) {
	oldest := bucketIndex(now, width) - slots + 1
	for b := max(s.head-slots+1, oldest); b <= s.head; b++ {
		for e, c := range s.counts[b%slots] {
			byKind[e] += int(c)
			n += int(c)
		}
	}
	return byKind, n
}

// reason describes in plain words why the key is banned, for logs and the
// ban list: `5 failed logins (bad_password: 3, unknown_user: 2); last user "root"`.
func (s *score) reason(now time.Time, width int64) (string, int) {
	byKind, n := s.events(now, width)
	logins := true
	var parts []string
	for e := EventBadPassword; e <= EventLoginTimeout; e++ {
		if byKind[e] == 0 {
			continue
		}
		logins = logins && e.isLogin()
		parts = append(parts, fmt.Sprintf("%s: %d", e, byKind[e]))
	}
	noun := "failed login"
	if !logins {
		noun = "offence"
	}
	if n != 1 {
		noun += "s"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s (%s)", n, noun, strings.Join(parts, ", "))
	if s.detail != "" {
		what := "detail"
		if s.detEv.isLogin() {
			what = "user"
		}
		fmt.Fprintf(&b, "; last %s %q", what, s.detail)
	}
	return b.String(), n
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
