package access

import (
	"strings"
	"testing"
	"time"
)

func mustSchedule(t *testing.T, zone string, windows ...string) Schedule {
	t.Helper()
	s, err := ParseSchedule(windows, zone, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// utc is an explicit instant; days of June 2025: Mon 2, Tue 3 … Sun 8.
func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestParseSchedule(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSchedule([]string{"Mon-Fri 06:00-18:00"}, "", ny)
	if err != nil || s.Location != ny || len(s.Windows) != 1 {
		t.Errorf("default zone: %+v, %v", s, err)
	}
	s, err = ParseSchedule(nil, "Europe/Berlin", ny)
	if err != nil || s.Location.String() != "Europe/Berlin" || !s.IsZero() {
		t.Errorf("named zone: %+v, %v", s, err)
	}
	if s, err = ParseSchedule(nil, "", nil); err != nil || s.Location != time.UTC {
		t.Errorf("nil default zone: %+v, %v", s, err)
	}
	for _, zone := range []string{"America/Nowhere", "../etc/passwd", " UTC"} {
		_, err := ParseSchedule(nil, zone, time.UTC)
		if want := `unknown time zone "` + zone + `"`; err == nil || err.Error() != want {
			t.Errorf("zone %q: error %v, want %s", zone, err, want)
		}
	}
	_, err = ParseSchedule([]string{"Mon 06:00-07:00", "Mun 06:00-07:00"}, "", time.UTC)
	if err == nil || !strings.Contains(err.Error(), `unknown day "Mun"`) {
		t.Errorf("bad window: %v", err)
	}
}

type scheduleCase struct {
	name    string
	zone    string
	windows []string
	at      time.Time
	open    bool
	next    time.Time // zero: Next reports no change
}

func runScheduleCases(t *testing.T, cases []scheduleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSchedule(t, tc.zone, tc.windows...)
			if got := s.Open(tc.at); got != tc.open {
				t.Errorf("Open(%v) = %v, want %v", tc.at, got, tc.open)
			}
			next, ok := s.Next(tc.at)
			if ok != !tc.next.IsZero() || !next.Equal(tc.next) {
				t.Errorf("Next(%v) = %v, %v; want %v", tc.at, next.UTC(), ok, tc.next)
			}
		})
	}
}

func TestScheduleOpenNext(t *testing.T) {
	const jun = time.June
	fri22 := []string{"Fri 22:00-02:00"}
	overlap := []string{"Mon 08:00-12:00", "Mon 10:00-14:00", "Mon 14:00-15:00"}
	runScheduleCases(t, []scheduleCase{
		{"midnight: open Sat 01:00", "UTC", fri22, utc(2025, jun, 7, 1, 0), true, utc(2025, jun, 7, 2, 0)},
		{"midnight: closed Sat 03:00", "UTC", fri22, utc(2025, jun, 7, 3, 0), false, utc(2025, jun, 13, 22, 0)},
		{"midnight: closed Thu 23:00", "UTC", fri22, utc(2025, jun, 5, 23, 0), false, utc(2025, jun, 6, 22, 0)},
		{"midnight: start inclusive", "UTC", fri22, utc(2025, jun, 6, 22, 0), true, utc(2025, jun, 7, 2, 0)},
		{"midnight: end exclusive", "UTC", fri22, utc(2025, jun, 7, 2, 0), false, utc(2025, jun, 13, 22, 0)},
		{"midnight: just before the end", "UTC", fri22, utc(2025, jun, 7, 1, 59), true, utc(2025, jun, 7, 2, 0)},
		{"midnight: just before the start", "UTC", fri22, utc(2025, jun, 6, 21, 59), false, utc(2025, jun, 6, 22, 0)},
		{"midnight: at midnight", "UTC", fri22, utc(2025, jun, 7, 0, 0), true, utc(2025, jun, 7, 2, 0)},

		{"overlap: inside the first", "UTC", overlap, utc(2025, jun, 2, 9, 0), true, utc(2025, jun, 2, 15, 0)},
		{"overlap: touching windows join", "UTC", overlap, utc(2025, jun, 2, 14, 0), true, utc(2025, jun, 2, 15, 0)},
		{"overlap: after all", "UTC", overlap, utc(2025, jun, 2, 15, 0), false, utc(2025, jun, 9, 8, 0)},
		{"overlap: before all", "UTC", overlap, utc(2025, jun, 2, 7, 59), false, utc(2025, jun, 2, 8, 0)},

		{"weekdays from Saturday", "UTC", []string{"Mon-Fri 06:00-18:00"}, utc(2025, jun, 7, 12, 0), false, utc(2025, jun, 9, 6, 0)},
		{"weekdays from Friday evening", "UTC", []string{"Mon-Fri 06:00-18:00"}, utc(2025, jun, 6, 18, 0), false, utc(2025, jun, 9, 6, 0)},
		{"wrapping day range", "UTC", []string{"Sat-Mon 00:00-24:00"}, utc(2025, jun, 7, 0, 0), true, utc(2025, jun, 10, 0, 0)},
		{"whole-day windows chain", "UTC", []string{"Daily 12:00-12:00"}, utc(2025, jun, 4, 3, 0), true, time.Time{}},
		{"always open", "UTC", []string{"Daily 00:00-24:00"}, utc(2025, jun, 4, 3, 0), true, time.Time{}},
		{"whole week in pieces", "UTC", []string{"Mon-Fri 00:00-24:00", "Sat 00:00-12:00", "Sat-Sun 12:00-00:00", "Sun 00:00-12:00"},
			utc(2025, jun, 4, 3, 0), true, time.Time{}},
		{"one minute missing", "UTC", []string{"Daily 00:00-23:59"}, utc(2025, jun, 4, 3, 0), true, utc(2025, jun, 4, 23, 59)},
		{"zone of the schedule", "America/New_York", []string{"Mon-Fri 09:00-17:00"}, utc(2025, jun, 2, 12, 59), false, utc(2025, jun, 2, 13, 0)},
		{"zone of the schedule, open", "America/New_York", []string{"Mon-Fri 09:00-17:00"}, utc(2025, jun, 2, 13, 0), true, utc(2025, jun, 2, 21, 0)},
		{"zone east of UTC, date before in UTC", "Asia/Tokyo", []string{"Mon 01:00-02:00"}, utc(2025, jun, 1, 16, 30), true, utc(2025, jun, 1, 17, 0)},
	})
}

func TestScheduleEdgeCases(t *testing.T) {
	at := utc(2025, time.June, 4, 3, 0)
	var empty Schedule
	if !empty.IsZero() || !empty.Open(at) {
		t.Error("a schedule without windows must be open")
	}
	if _, ok := empty.Next(at); ok {
		t.Error("a schedule without windows never changes")
	}
	// A window without days (only built by hand) never opens.
	never := Schedule{Windows: []Window{{Start: 0, End: 60}}}
	if never.IsZero() || never.Open(at) {
		t.Error("a window without days opened")
	}
	if _, ok := never.Next(at); ok {
		t.Error("a window without days reported a change")
	}
	// A hand-built End of 0 is midnight, like a parsed 24:00.
	s := Schedule{Windows: []Window{{Days: days(wed), Start: 1320, End: 0}}}
	if !s.Open(utc(2025, time.June, 4, 23, 0)) || s.Open(utc(2025, time.June, 5, 0, 0)) {
		t.Error("End 0 is not midnight")
	}
}
