package access

import (
	"strings"
	"testing"
	"time"
)

// days builds a Days array from weekdays.
func days(ds ...time.Weekday) [7]bool {
	var out [7]bool
	for _, d := range ds {
		out[d] = true
	}
	return out
}

const (
	sun = time.Sunday
	mon = time.Monday
	tue = time.Tuesday
	wed = time.Wednesday
	thu = time.Thursday
	fri = time.Friday
	sat = time.Saturday
)

func TestParseWindow(t *testing.T) {
	all := days(sun, mon, tue, wed, thu, fri, sat)
	cases := []struct {
		in        string
		want      Window
		canonical string
	}{
		{"Mon-Fri 06:00-18:00", Window{days(mon, tue, wed, thu, fri), 360, 1080}, "Mon-Fri 06:00-18:00"},
		{"Sat 08:00-12:00", Window{days(sat), 480, 720}, "Sat 08:00-12:00"},
		{"Fri 22:00-02:00", Window{days(fri), 1320, 120}, "Fri 22:00-02:00"},
		{"Mon,Wed,Fri 09:00-17:00", Window{days(mon, wed, fri), 540, 1020}, "Mon,Wed,Fri 09:00-17:00"},
		{"Sun-Tue 10:00-11:00", Window{days(sun, mon, tue), 600, 660}, "Sun-Tue 10:00-11:00"},
		{"Fri-Mon 00:00-24:00", Window{days(fri, sat, sun, mon), 0, 1440}, "Fri-Mon 00:00-24:00"},
		{"Daily 00:00-24:00", Window{all, 0, 1440}, "Daily 00:00-24:00"},
		{"daily 07:30-07:30", Window{all, 450, 450}, "Daily 07:30-07:30"},
		{"Mon-Sun 01:00-02:00", Window{all, 60, 120}, "Daily 01:00-02:00"},
		{"monday-FRIDAY 6:00-18:00", Window{days(mon, tue, wed, thu, fri), 360, 1080}, "Mon-Fri 06:00-18:00"},
		{"  Mon , Wed - Thu   06:00 - 18:00 ", Window{days(mon, wed, thu), 360, 1080}, "Mon,Wed-Thu 06:00-18:00"},
		{"Sat Sun 10:00-12:00", Window{days(sat, sun), 600, 720}, "Sat-Sun 10:00-12:00"},
		{"Sat 22:00-00:00", Window{days(sat), 1320, 1440}, "Sat 22:00-24:00"},
		{"Tue 00:00-00:00", Window{days(tue), 0, 1440}, "Tue 00:00-24:00"},
		{"Mon,Mon 01:00-02:00", Window{days(mon), 60, 120}, "Mon 01:00-02:00"},
		{"Fri-Fri 01:00-02:00", Window{days(fri), 60, 120}, "Fri 01:00-02:00"},
		{"Wed,Sat,Sun,Mon 01:00-02:00", Window{days(wed, sat, sun, mon), 60, 120}, "Wed,Sat-Mon 01:00-02:00"},
		{"Thursday,Tue 23:59-00:01", Window{days(tue, thu), 1439, 1}, "Tue,Thu 23:59-00:01"},
	}
	for _, tc := range cases {
		w, err := ParseWindow(tc.in)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", tc.in, err)
			continue
		}
		if w != tc.want {
			t.Errorf("ParseWindow(%q) = %+v, want %+v", tc.in, w, tc.want)
		}
		if got := w.String(); got != tc.canonical {
			t.Errorf("ParseWindow(%q).String() = %q, want %q", tc.in, got, tc.canonical)
		}
		if back, err := ParseWindow(w.String()); err != nil || back != w {
			t.Errorf("%q does not read back: %+v, %v", w.String(), back, err)
		}
	}
}

func TestParseWindowErrors(t *testing.T) {
	// want is a part of the message; each quotes the text at fault.
	cases := []struct{ in, want string }{
		{"", `empty window ""`},
		{"   ", `empty window "   "`},
		{"Mun-Fri 06:00-18:00", `unknown day "Mun"`},
		{"Mon-Fry 06:00-18:00", `unknown day "Fry"`},
		{"Mon,Wed,Frid 09:00-17:00", `unknown day "Frid"`},
		{"Mön 09:00-17:00", `unknown day "Mön"`},
		{"Every day 09:00-17:00", `unknown day "Every"`},
		{"Mon 25:00-26:00", `invalid time "25:00"`},
		{"Mon 09:00-24:01", `invalid time "24:01"`},
		{"Mon 09:60-10:00", `invalid time "09:60"`},
		{"Mon 9-17", `invalid time "9"`},
		{"Mon 0900-1700", `invalid time "0900"`},
		{"Mon 123:00-13:00", `invalid time "123:00"`},
		{"Mon 09:0-10:00", `invalid time "09:0"`},
		{"Mon 24:00-06:00", `invalid time "24:00"`},
		{"Mon-Fri", `window "Mon-Fri" needs a time range`},
		{"Mon,", `window "Mon,": a day must follow each ","`},
		{"Mon, 06:00-07:00", `a day must follow each ","`},
		{"Mon- 06:00-07:00", `day range "Mon-" needs an end day`},
		{"Mon-Tue-Wed 06:00-07:00", `unexpected "-"`},
		{"06:00-18:00", `window "06:00-18:00" needs days`},
		{"06:00-18:00 Mon", `window "06:00-18:00 Mon" needs days`},
		{"Mon 06:00", `time "06:00" needs an end`},
		{"Mon 06:00-", `time "06:00" needs an end`},
		{"Mon 06:00-07:00 Tue", `unexpected "Tue" after the time range`},
		{"Mon 06:00-07:00-08:00", `unexpected "-" after the time range`},
		{"Mon 06:00–07:00", `unexpected "–"`}, // en dash
		{"Mon/Tue 06:00-07:00", `unexpected "/"`},
		{"Daily-Fri 06:00-07:00", `"Daily" cannot start a day range`},
		{"Mon-Daily 06:00-07:00", `unknown day "Daily"`},
		{"Mon\xff 06:00-07:00", `unexpected "\xff"`},
	}
	for _, tc := range cases {
		_, err := ParseWindow(tc.in)
		if err == nil {
			t.Errorf("ParseWindow(%q) accepted", tc.in)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseWindow(%q) error %q, want it to contain %s", tc.in, err, tc.want)
		}
	}
}

func TestWindowStringUnparsed(t *testing.T) {
	// Values built by hand still print; an end of 0 is midnight.
	w := Window{Days: days(sat), Start: 1320, End: 0}
	if got := w.String(); got != "Sat 22:00-00:00" {
		t.Errorf("String() = %q", got)
	}
	if got := (Window{}).String(); got != "(no days) 00:00-00:00" {
		t.Errorf("zero Window String() = %q", got)
	}
}
