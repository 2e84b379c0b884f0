package access

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Window is one weekly time window.
type Window struct {
	// Days holds, indexed by time.Weekday, the days the window starts on.
	Days [7]bool
	// Start and End are minutes after midnight, 0 to 1440. End <= Start
	// means the window crosses midnight and ends on the next day
	// (Start == End is a whole day). ParseWindow writes an end of "00:00"
	// as 1440, so a parsed End is never 0.
	Start, End int
}

// minutesPerDay is also the largest Start or End.
const minutesPerDay = 24 * 60

// ParseWindow reads a window: days, then a time range.
//
// Days are Mon Tue Wed Thu Fri Sat Sun or their full names, in any letter
// case; ranges with '-' ("Mon-Fri", "Sat-Mon" wraps over the week's end);
// lists with ',' or spaces ("Mon,Wed,Fri"); "Daily" for every day. Times
// are 24-hour HH:MM; "24:00" may end a window. A range whose end is not
// after its start crosses midnight: "Fri 22:00-02:00" runs into Saturday.
//
// Errors quote the offending text: `unknown day "Mun"`, `invalid time
// "25:00"`, `window "Mon-Fri" needs a time range`.
func ParseWindow(s string) (Window, error) {
	toks, err := lexWindow(s)
	if err != nil {
		return Window{}, err
	}
	if len(toks) == 0 {
		return Window{}, fmt.Errorf("empty window %q", s)
	}
	p := windowParser{s: s, toks: toks}
	return p.parse()
}

type tokenKind int

const (
	tokWord  tokenKind = iota // letters: a day name
	tokClock                  // digits and colons: a time
	tokDash
	tokComma
)

type token struct {
	kind tokenKind
	text string
}

// lexWindow splits s into words, clock times, dashes and commas; spaces
// only separate.
func lexWindow(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '-':
			toks = append(toks, token{tokDash, "-"})
			i++
		case r == ',':
			toks = append(toks, token{tokComma, ","})
			i++
		case unicode.IsLetter(r):
			j := runEnd(s, i, unicode.IsLetter)
			toks = append(toks, token{tokWord, s[i:j]})
			i = j
		case isClockRune(r):
			j := runEnd(s, i, isClockRune)
			toks = append(toks, token{tokClock, s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q in window %q", s[i:i+size], s)
		}
	}
	return toks, nil
}

func isClockRune(r rune) bool { return r == ':' || ('0' <= r && r <= '9') }

// runEnd returns the index after the run of runes starting at i for which
// in holds.
func runEnd(s string, i int, in func(rune) bool) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || !in(r) {
			break
		}
		i += size
	}
	return i
}

type windowParser struct {
	s    string
	toks []token
	i    int
}

func (p *windowParser) peek(k tokenKind) bool {
	return p.i < len(p.toks) && p.toks[p.i].kind == k
}

func (p *windowParser) parse() (Window, error) {
	var w Window
	if !p.peek(tokWord) {
		return Window{}, fmt.Errorf("window %q needs days before the time range (for example \"Mon-Fri 06:00-18:00\")", p.s)
	}
	for p.peek(tokWord) {
		if err := p.dayItem(&w.Days); err != nil {
			return Window{}, err
		}
		if p.peek(tokComma) {
			p.i++
			if !p.peek(tokWord) {
				return Window{}, fmt.Errorf("window %q: a day must follow each \",\"", p.s)
			}
		}
	}
	if p.i == len(p.toks) {
		return Window{}, fmt.Errorf("window %q needs a time range (for example \"06:00-18:00\")", p.s)
	}
	if !p.peek(tokClock) {
		return Window{}, fmt.Errorf("unexpected %q in window %q", p.toks[p.i].text, p.s)
	}
	start, err := p.clock(false)
	if err != nil {
		return Window{}, err
	}
	if !p.peek(tokDash) {
		return Window{}, fmt.Errorf("window %q: time %q needs an end (HH:MM-HH:MM)", p.s, p.toks[p.i-1].text)
	}
	p.i++
	if !p.peek(tokClock) {
		return Window{}, fmt.Errorf("window %q: time %q needs an end (HH:MM-HH:MM)", p.s, p.toks[p.i-2].text)
	}
	end, err := p.clock(true)
	if err != nil {
		return Window{}, err
	}
	if p.i < len(p.toks) {
		return Window{}, fmt.Errorf("unexpected %q after the time range in window %q", p.toks[p.i].text, p.s)
	}
	// "00:00" as an end is the same moment as "24:00"; keeping one form
	// makes equal windows equal values.
	if end == 0 {
		end = minutesPerDay
	}
	w.Start, w.End = start, end
	return w, nil
}

// dayItem reads "Mon", "Mon-Fri" or "Daily" and marks its days.
func (p *windowParser) dayItem(days *[7]bool) error {
	first := p.toks[p.i].text
	p.i++
	if strings.EqualFold(first, "daily") {
		if p.peek(tokDash) {
			return fmt.Errorf("window %q: \"Daily\" cannot start a day range", p.s)
		}
		*days = [7]bool{true, true, true, true, true, true, true}
		return nil
	}
	from, ok := lookupDay(first)
	if !ok {
		return fmt.Errorf("unknown day %q in window %q", first, p.s)
	}
	if !p.peek(tokDash) {
		days[from] = true
		return nil
	}
	p.i++
	if !p.peek(tokWord) {
		return fmt.Errorf("window %q: day range %q needs an end day", p.s, first+"-")
	}
	last := p.toks[p.i].text
	p.i++
	to, ok := lookupDay(last)
	if !ok {
		return fmt.Errorf("unknown day %q in window %q", last, p.s)
	}
	for d := from; ; d = (d + 1) % 7 {
		days[d] = true
		if d == to {
			return nil
		}
	}
}

// clock reads an H:MM or HH:MM time as minutes after midnight; "24:00"
// only as an end.
func (p *windowParser) clock(isEnd bool) (int, error) {
	text := p.toks[p.i].text
	p.i++
	m, ok := parseClock(text)
	if !ok {
		return 0, fmt.Errorf("invalid time %q in window %q (want HH:MM, 00:00 to 24:00)", text, p.s)
	}
	if m == minutesPerDay && !isEnd {
		return 0, fmt.Errorf("invalid time %q in window %q: 24:00 can only end a window", text, p.s)
	}
	return m, nil
}

func parseClock(s string) (int, bool) {
	h, mm, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(mm) != 2 {
		return 0, false
	}
	hours, ok1 := digits(h)
	mins, ok2 := digits(mm)
	if !ok1 || !ok2 || hours > 24 || mins > 59 || hours == 24 && mins != 0 {
		return 0, false
	}
	return hours*60 + mins, true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

var dayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

func lookupDay(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, dayNames[d]) || strings.EqualFold(s, d.String()) {
			return d, true
		}
	}
	return 0, false
}

// String returns the canonical form ParseWindow reads back into the same
// Window: "Mon-Fri 06:00-18:00", "Wed,Sat-Mon 22:00-02:00", "Daily
// 00:00-24:00". Runs of days are listed from Monday on.
func (w Window) String() string {
	return w.daysString() + " " + clockString(w.Start) + "-" + clockString(w.End)
}

func clockString(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func (w Window) daysString() string {
	// order[k] is the k-th day of a week that starts on Monday.
	order := func(k int) time.Weekday { return time.Weekday((k + 1) % 7) }
	n := 0
	for _, on := range w.Days {
		if on {
			n++
		}
	}
	switch n {
	case 0:
		return "(no days)"
	case 7:
		return "Daily"
	}
	var parts []string
	for k := range 7 {
		if !w.Days[order(k)] || w.Days[order(k+6)] {
			continue // not the first day of a run
		}
		last := k
		for w.Days[order(last+1)] {
			last++
		}
		if last == k {
			parts = append(parts, dayNames[order(k)])
		} else {
			parts = append(parts, dayNames[order(k)]+"-"+dayNames[order(last)])
		}
	}
	return strings.Join(parts, ",")
}
