package config

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// MaxSpan bounds ParseSpan: a century, far enough for any ban, token or
// look-back, and far from overflowing.
const MaxSpan = 100 * 365 * 24 * time.Hour

// errSpan says what ParseSpan reads.
var errSpan = errors.New(`not a duration (write for example "90m", "36h", "14d", "1d12h" or "2w")`)

// ParseSpan reads a span of time as the command line and the admin API
// take it: a Go duration ("90m", "1h30m"), optionally after a number of
// days ("14d", "1d12h"), or a number of weeks ("2w"). A day is 24 hours.
// It is never negative and at most MaxSpan.
func ParseSpan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return 0, errSpan
	}
	if n, ok := strings.CutSuffix(s, "w"); ok {
		return units(n, 7*24*time.Hour)
	}
	var d time.Duration
	if days, rest, ok := strings.Cut(s, "d"); ok {
		var err error
		if d, err = units(days, 24*time.Hour); err != nil {
			return 0, err
		}
		s = rest
		if s == "" {
			return d, nil
		}
	}
	more, err := time.ParseDuration(s)
	if err != nil || more < 0 || more > MaxSpan-d {
		return 0, errSpan
	}
	return d + more, nil
}

func units(n string, unit time.Duration) (time.Duration, error) {
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil || v < 0 || v > int64(MaxSpan/unit) {
		return 0, errSpan
	}
	return time.Duration(v) * unit, nil
}
