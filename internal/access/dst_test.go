package access

import (
	"testing"
	"time"
)

// Daylight saving changes of 2025 used below, in UTC:
//
//	America/New_York  spring Sun Mar 9  07:00 (02:00 EST -> 03:00 EDT)
//	                  fall   Sun Nov 2  06:00 (02:00 EDT -> 01:00 EST)
//	Europe/Berlin     spring Sun Mar 30 01:00 (02:00 CET -> 03:00 CEST)
//	                  fall   Sun Oct 26 01:00 (03:00 CEST -> 02:00 CET)
//	Australia/Sydney  fall   Sun Apr 6  at Apr 5 16:00 (03:00 AEDT -> 02:00 AEST)
//	                  spring Sun Oct 5  at Oct 4 16:00 (02:00 AEST -> 03:00 AEDT)
func TestScheduleDST(t *testing.T) {
	const (
		ny     = "America/New_York"
		berlin = "Europe/Berlin"
		sydney = "Australia/Sydney"
	)
	const (
		mar = time.March
		apr = time.April
		oct = time.October
		nov = time.November
	)
	skipped := []string{"Sun 02:00-03:00"}
	around := []string{"Sun 01:00-04:00"}
	runScheduleCases(t, []scheduleCase{
		// New York, spring forward: 02:00-03:00 does not exist.
		{"ny spring: skipped hour is empty, opens a week later", ny, skipped, utc(2025, mar, 8, 17, 0), false, utc(2025, mar, 16, 6, 0)},
		{"ny spring: closed at the jump", ny, skipped, utc(2025, mar, 9, 7, 0), false, utc(2025, mar, 16, 6, 0)},
		{"ny spring: closed just before the jump", ny, skipped, utc(2025, mar, 9, 6, 59), false, utc(2025, mar, 16, 6, 0)},
		{"ny spring: 01:00-04:00 opens at 01:00 EST", ny, around, utc(2025, mar, 9, 5, 59), false, utc(2025, mar, 9, 6, 0)},
		{"ny spring: 01:00-04:00 lasts two hours", ny, around, utc(2025, mar, 9, 6, 0), true, utc(2025, mar, 9, 8, 0)},
		{"ny spring: open at 03:30 EDT", ny, around, utc(2025, mar, 9, 7, 30), true, utc(2025, mar, 9, 8, 0)},
		{"ny spring: start in the gap opens at the jump", ny, []string{"Sun 02:30-04:00"}, utc(2025, mar, 9, 6, 30), false, utc(2025, mar, 9, 7, 0)},
		{"ny spring: end in the gap closes at the jump", ny, []string{"Sat 22:00-02:30"}, utc(2025, mar, 9, 3, 0), true, utc(2025, mar, 9, 7, 0)},
		{"ny spring: weekdays open Monday 09:00 EDT", ny, []string{"Mon-Fri 09:00-17:00"}, utc(2025, mar, 7, 22, 0), false, utc(2025, mar, 10, 13, 0)},
		{"ny spring: always open stays open", ny, []string{"Daily 00:00-24:00"}, utc(2025, mar, 9, 6, 30), true, time.Time{}},

		// New York, fall back: 01:xx happens twice.
		{"ny fall: 01:00-02:00 opens at the first 01:00", ny, []string{"Sun 01:00-02:00"}, utc(2025, nov, 2, 4, 59), false, utc(2025, nov, 2, 5, 0)},
		{"ny fall: 01:00-02:00 lasts two hours", ny, []string{"Sun 01:00-02:00"}, utc(2025, nov, 2, 5, 0), true, utc(2025, nov, 2, 7, 0)},
		{"ny fall: first 01:30 inside", ny, []string{"Sun 01:00-02:00"}, utc(2025, nov, 2, 5, 30), true, utc(2025, nov, 2, 7, 0)},
		{"ny fall: second 01:30 inside", ny, []string{"Sun 01:00-02:00"}, utc(2025, nov, 2, 6, 30), true, utc(2025, nov, 2, 7, 0)},
		{"ny fall: 02:00 EST outside", ny, []string{"Sun 01:00-02:00"}, utc(2025, nov, 2, 7, 0), false, utc(2025, nov, 9, 6, 0)},
		// A window ends the first time the clock shows its end.
		{"ny fall: an end at 01:30 comes the first time", ny, []string{"Sun 00:00-01:30"}, utc(2025, nov, 2, 5, 0), true, utc(2025, nov, 2, 5, 30)},
		{"ny fall: second 01:15 after that end", ny, []string{"Sun 00:00-01:30"}, utc(2025, nov, 2, 6, 15), false, utc(2025, nov, 9, 5, 0)},
		{"ny fall: night over the change lasts 13 hours", ny, []string{"Sat 20:00-08:00"}, utc(2025, nov, 2, 0, 0), true, utc(2025, nov, 2, 13, 0)},
		{"ny fall: weekdays open Monday 09:00 EST", ny, []string{"Mon-Fri 09:00-17:00"}, utc(2025, oct, 31, 21, 0), false, utc(2025, nov, 3, 14, 0)},

		// Berlin: the change is at 02:00/03:00 local, 01:00 UTC.
		{"berlin spring: skipped hour is empty", berlin, skipped, utc(2025, mar, 29, 11, 0), false, utc(2025, apr, 6, 0, 0)},
		{"berlin spring: 01:00-04:00 lasts two hours", berlin, around, utc(2025, mar, 30, 0, 0), true, utc(2025, mar, 30, 2, 0)},
		{"berlin fall: 02:00-03:00 lasts two hours", berlin, skipped, utc(2025, oct, 26, 0, 0), true, utc(2025, oct, 26, 2, 0)},
		{"berlin fall: first 02:30 inside", berlin, skipped, utc(2025, oct, 26, 0, 30), true, utc(2025, oct, 26, 2, 0)},
		{"berlin fall: second 02:30 inside", berlin, skipped, utc(2025, oct, 26, 1, 30), true, utc(2025, oct, 26, 2, 0)},
		{"berlin fall: 03:00 CET outside", berlin, skipped, utc(2025, oct, 26, 2, 0), false, utc(2025, nov, 2, 1, 0)},
		{"berlin fall: Friday opens at 08:00 CET", berlin, []string{"Fri 08:00-17:00"}, utc(2025, oct, 24, 15, 0), false, utc(2025, oct, 31, 7, 0)},

		// Sydney, southern hemisphere: clocks go back in April, forward
		// in October.
		{"sydney fall: 02:00-03:00 lasts two hours", sydney, skipped, utc(2025, apr, 5, 15, 0), true, utc(2025, apr, 5, 17, 0)},
		{"sydney fall: second 02:30 inside", sydney, skipped, utc(2025, apr, 5, 16, 30), true, utc(2025, apr, 5, 17, 0)},
		{"sydney fall: 03:00 AEST outside", sydney, skipped, utc(2025, apr, 5, 17, 0), false, utc(2025, apr, 12, 16, 0)},
		{"sydney fall: weekdays open Monday 09:00 AEST", sydney, []string{"Mon-Fri 09:00-17:00"}, utc(2025, apr, 4, 6, 0), false, utc(2025, apr, 6, 23, 0)},
		{"sydney spring: skipped hour is empty", sydney, skipped, utc(2025, oct, 4, 2, 0), false, utc(2025, oct, 11, 15, 0)},
		{"sydney spring: closed at the jump", sydney, skipped, utc(2025, oct, 4, 16, 0), false, utc(2025, oct, 11, 15, 0)},
		{"sydney spring: 01:00-04:00 lasts two hours", sydney, around, utc(2025, oct, 4, 15, 0), true, utc(2025, oct, 4, 17, 0)},
		{"sydney spring: always open stays open", sydney, []string{"Daily 00:00-24:00"}, utc(2025, oct, 4, 16, 0), true, time.Time{}},
	})
}

// TestScheduleNextConsistent walks fortnights around each change in steps
// of 7 minutes and checks that Open holds still until Next and changes at
// Next.
func TestScheduleNextConsistent(t *testing.T) {
	schedules := [][]string{
		{"Sun 02:00-03:00"},
		{"Sun 01:00-04:00", "Sat 23:30-01:30"},
		{"Daily 01:30-02:30"},
		{"Daily 02:30-02:00"}, // the daily gap vanishes on the spring day
		{"Mon-Fri 06:00-18:00", "Sat-Sun 02:15-02:45"},
		{"Sat 22:00-02:00", "Sun 00:00-00:00"},
	}
	changes := []struct {
		zone string
		at   time.Time
	}{
		{"America/New_York", utc(2025, time.March, 9, 7, 0)},
		{"America/New_York", utc(2025, time.November, 2, 6, 0)},
		{"Europe/Berlin", utc(2025, time.March, 30, 1, 0)},
		{"Europe/Berlin", utc(2025, time.October, 26, 1, 0)},
		{"Australia/Sydney", utc(2025, time.April, 5, 16, 0)},
		{"Australia/Sydney", utc(2025, time.October, 4, 16, 0)},
	}
	const step = 7 * time.Minute
	for _, c := range changes {
		for _, windows := range schedules {
			s := mustSchedule(t, c.zone, windows...)
			for at := c.at.Add(-7 * 24 * time.Hour); at.Before(c.at.Add(7 * 24 * time.Hour)); at = at.Add(step) {
				open := s.Open(at)
				next, ok := s.Next(at)
				if !ok {
					t.Fatalf("%s %q: Next(%v) reports no change", c.zone, windows, at)
				}
				if !next.After(at) || s.Open(next) == open || s.Open(next.Add(-time.Second)) != open {
					t.Fatalf("%s %q: at %v open=%v, Next %v does not change it", c.zone, windows, at, open, next)
				}
				if mid := at.Add(step); mid.Before(next) && s.Open(mid) != open {
					t.Fatalf("%s %q: Open changes at %v, before Next(%v) = %v", c.zone, windows, mid, at, next)
				}
			}
		}
	}
}
