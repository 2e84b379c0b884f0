package admin

import (
	"testing"
	"time"
)

func TestParseBanDuration(t *testing.T) {
	good := map[string]time.Duration{
		"30m": 30 * time.Minute, "12h": 12 * time.Hour, "7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour,
		" 2h ": 2 * time.Hour, "0d1s": time.Second, "36500d": maxBanDuration,
	}
	for in, want := range good {
		if got, err := parseBanDuration(in); err != nil || got != want {
			t.Errorf("parseBanDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0s", "0d", "-1h", "d", "1d-1h", "x", "7days", "1.5d", "36501d", "36500d1s",
		"2562047h", "1d2d", "9223372036854775807ns1d"} {
		if got, err := parseBanDuration(in); err == nil {
			t.Errorf("parseBanDuration(%q) = %v, want an error", in, got)
		}
	}
}
