package access

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseWindow checks that a parsed window's canonical form reads back
// into the same window. Seeds are in testdata/fuzz/FuzzParseWindow.
func FuzzParseWindow(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		if w.Start < 0 || w.Start >= minutesPerDay || w.End <= 0 || w.End > minutesPerDay || w.Days == ([7]bool{}) {
			t.Fatalf("ParseWindow(%q) = %+v: out of range", s, w)
		}
		back, err := ParseWindow(w.String())
		if err != nil {
			t.Fatalf("ParseWindow(%q).String() = %q does not parse: %v", s, w.String(), err)
		}
		if back != w {
			t.Fatalf("ParseWindow(%q) = %+v, but its String %q reads back as %+v", s, w, w.String(), back)
		}
	})
}

// FuzzParsePrefix checks that a parsed prefix is masked and reads back
// from its own text, and that an error quotes the input.
func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:db8::1", "203.0.113.0/24", "::ffff:10.0.0.0/104", "10.0.0.300/8", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrefix(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParsePrefix(%q) error %q does not quote the input", s, err)
			}
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() && p.Bits() >= 96 {
			t.Fatalf("ParsePrefix(%q) = %v: not valid, masked and unmapped", s, p)
		}
		back, err := ParsePrefix(p.String())
		if err != nil || back != p {
			t.Fatalf("ParsePrefix(%q) = %v reads back as %v, %v", s, p, back, err)
		}
	})
}
