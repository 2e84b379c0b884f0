package access

import (
	"fmt"
	"time"
)

// Schedule is one level's weekly windows, read in Location. A time is
// inside the schedule when it is inside any window; no windows means any
// time.
type Schedule struct {
	Windows []Window
	// Location is the zone the windows' wall-clock times are read in; nil
	// is UTC.
	Location *time.Location
}

// ParseSchedule reads windows (see ParseWindow) in the IANA zone named
// zone, or in defaultZone when zone is "" (UTC when that is nil too).
func ParseSchedule(windows []string, zone string, defaultZone *time.Location) (Schedule, error) {
	loc := defaultZone
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			return Schedule{}, fmt.Errorf("unknown time zone %q", zone)
		}
		loc = l
	}
	if loc == nil {
		loc = time.UTC
	}
	s := Schedule{Location: loc}
	for _, text := range windows {
		w, err := ParseWindow(text)
		if err != nil {
			return Schedule{}, err
		}
		s.Windows = append(s.Windows, w)
	}
	return s, nil
}

// IsZero reports whether the schedule has no windows: always open.
func (s Schedule) IsZero() bool { return len(s.Windows) == 0 }

func (s Schedule) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// Open reports whether t is inside the schedule. A window's start is
// inside, its end is not.
func (s Schedule) Open(t time.Time) bool {
	if s.IsZero() {
		return true
	}
	// A window is at most a day long on the clock (a little more in real
	// time across a change), so only those starting on the day before t's
	// date can still be open; one more day each side covers zones whose
	// clock jumps over midnight.
	for _, sp := range s.spans(t, -2, 1) {
		if sp.contains(t) {
			return true
		}
	}
	return false
}

// Next returns the first instant after t at which Open changes: when t is
// inside, the moment the schedule closes (windows that overlap or touch
// count as one); when outside, the moment it next opens. ok is false when
// Open never changes: no windows, windows covering the whole week without
// a gap, or windows that never open.
func (s Schedule) Next(t time.Time) (time.Time, bool) {
	if s.IsZero() {
		return time.Time{}, false
	}
	spans := s.spans(t, -2, nextHorizonDays)
	if !s.Open(t) {
		var first time.Time
		for _, sp := range spans {
			if sp.start.After(t) && (first.IsZero() || sp.start.Before(first)) {
				first = sp.start
			}
		}
		return first, !first.IsZero()
	}
	// Follow the chain of spans that hold the current end.
	end := t
	for moved := true; moved; {
		moved = false
		for _, sp := range spans {
			if sp.contains(end) {
				end, moved = sp.end, true
			}
		}
		// The windows repeat weekly, so staying open this long means they
		// cover the whole week. The margin over 7 days is for a gap that a
		// daylight saving change hides once, which makes one run of
		// coverage up to two weeks long.
		if end.Sub(t) > alwaysOpenAfter {
			return time.Time{}, false
		}
	}
	return end, true
}

const (
	// alwaysOpenAfter is how long an unbroken stretch of open time proves
	// a weekly schedule is always open.
	alwaysOpenAfter = 15 * 24 * time.Hour
	// nextHorizonDays is how many days after t Next looks at: enough to
	// follow a stretch of alwaysOpenAfter and a window's length beyond.
	nextHorizonDays = 17
)

// span is one occurrence of a window: [start, end).
type span struct{ start, end time.Time }

func (sp span) contains(t time.Time) bool { return !t.Before(sp.start) && t.Before(sp.end) }

// spans returns the non-empty occurrences of the windows that start on the
// calendar dates from-to days around t's date in the schedule's zone.
func (s Schedule) spans(t time.Time, from, to int) []span {
	loc := s.loc()
	y, m, d := t.In(loc).Date()
	var out []span
	for i := from; i <= to; i++ {
		// Dates are stepped in UTC, where days have no gaps, and only
		// then read as wall-clock times of loc.
		date := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		midnight := date.Unix()
		for _, w := range s.Windows {
			if !w.Days[date.Weekday()] {
				continue
			}
			endDay := midnight
			if w.End <= w.Start {
				endDay += 24 * 3600
			}
			sp := span{
				start: firstReach(loc, midnight+int64(w.Start)*60),
				end:   firstReach(loc, endDay+int64(w.End)*60),
			}
			// A window inside an hour the clock skips is empty.
			if sp.start.Before(sp.end) {
				out = append(out, sp)
			}
		}
	}
	return out
}

// maxZoneOffset is more than any zone's distance from UTC (the largest
// are +14h and -12h, local mean times of the past slightly more).
const maxZoneOffset = 16 * 3600

// firstReach returns the first instant at which the clock of loc shows
// wall (seconds since 1970-01-01 00:00 on that clock) or a later time.
// For a time the clock shows once, that is the time itself; for one it
// shows twice (clocks set back) the first showing; for one it skips
// (clocks set forward) the instant of the jump.
func firstReach(loc *time.Location, wall int64) time.Time {
	// Walk the zone's periods of constant offset, from an instant whose
	// clock is surely earlier than wall, to the first period whose clock
	// gets to wall before it ends.
	at := time.Unix(wall-maxZoneOffset, 0).In(loc)
	for range 64 {
		_, offset := at.Zone()
		_, end := at.ZoneBounds()
		if end.IsZero() || end.Unix()+int64(offset) > wall {
			return time.Unix(max(at.Unix(), wall-int64(offset)), 0).In(loc)
		}
		at = end.In(loc)
	}
	// Not reached with real zones, whose periods last months; the answer
	// of time.Date is a fair one if it ever is.
	return time.Date(1970, 1, 1, 0, 0, int(wall), 0, loc)
}
