package config

import (
	"testing"
	"time"
)

func TestParseSpan(t *testing.T) {
	day := 24 * time.Hour
	good := map[string]time.Duration{
		"90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "36h": 36 * time.Hour, " 14d ": 14 * day,
		"1d12h": day + 12*time.Hour, "2w": 14 * day, "0s": 0, "0d": 0, "36500d": 36500 * day,
	}
	for in, want := range good {
		if got, err := ParseSpan(in); err != nil || got != want {
			t.Errorf("ParseSpan(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "w", "-1h", "-1d", "1x", "1d-1h", "36501d", "5300w", "1d1d",
		"99999999999999999999d", "1.5d", "2w3d", "876001h", "36500d1h"} {
		if got, err := ParseSpan(in); err == nil {
			t.Errorf("ParseSpan(%q) = %v, want an error", in, got)
		}
	}
}

func FuzzParseSpan(f *testing.F) {
	for _, s := range []string{"90m", "14d", "1d12h", "2w", "-1h", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseSpan(s)
		if err == nil && (d < 0 || d > MaxSpan) {
			t.Fatalf("ParseSpan(%q) = %v, outside [0, MaxSpan]", s, d)
		}
	})
}
