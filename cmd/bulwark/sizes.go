package main

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// binaryUnits are the size suffixes the command line reads and prints, in
// powers of 1024: "10G" is 10 GiB.
var binaryUnits = [...]struct {
	letter byte
	name   string
}{
	{'K', "KiB"}, {'M', "MiB"}, {'G', "GiB"}, {'T', "TiB"}, {'P', "PiB"}, {'E', "EiB"},
}

// sizeSyntax says what a size may look like, for error messages.
const sizeSyntax = "want bytes, or a number with K, M, G or T (1024-based), for example 500M or 1.5G; 0 is unlimited"

// parseSize reads a number of bytes: "1048576", "512K", "1.5G", "10GiB",
// "2 TB". Suffixes are binary (K = 1024) whatever their spelling, because
// that is how file managers count. Fractions need a suffix and round down
// to whole bytes.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty; " + sizeSyntax)
	}
	end := strings.IndexFunc(t, func(c rune) bool { return (c < '0' || c > '9') && c != '.' })
	if end < 0 {
		end = len(t)
	}
	num, unit := t[:end], strings.TrimSpace(t[end:])
	mult := int64(1)
	switch strings.ToUpper(unit) {
	case "", "B":
	default:
		u := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(unit), "B"), "I")
		found := false
		for i, bu := range binaryUnits {
			if len(u) == 1 && u[0] == bu.letter && i < 4 {
				mult = int64(1) << (10 * (i + 1))
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown unit %q; %s", unit, sizeSyntax)
		}
	}
	if !isDecimal(num) {
		return 0, errors.New(sizeSyntax)
	}
	if mult == 1 {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, errors.New("too large")
			}
			return 0, errors.New(sizeSyntax)
		}
		return n, nil
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, errors.New(sizeSyntax)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	whole := new(big.Int).Quo(r.Num(), r.Denom())
	if !whole.IsInt64() {
		return 0, errors.New("too large")
	}
	return whole.Int64(), nil
}

// isDecimal reports whether s is digits with at most one decimal point
// between digits.
func isDecimal(s string) bool {
	whole, frac, hasPoint := strings.Cut(s, ".")
	digits := func(t string) bool {
		if t == "" {
			return false
		}
		for _, c := range t {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	return digits(whole) && (!hasPoint || digits(frac))
}

// parseRate reads bytes per second: a size, optionally followed by "/s".
func parseRate(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimSuffix(t, "/s"), "/S")
	return parseSize(t)
}

// parseCount reads a whole number ≥ 0.
func parseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("want a whole number, 0 for unlimited")
	}
	return n, nil
}

// formatBytes prints n in the largest binary unit that keeps it ≥ 1, with
// one decimal where it matters: "512 B", "10 GiB", "12.3 MiB".
func formatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	f := float64(n)
	i := -1
	for i+1 < len(binaryUnits) && f >= 1024 {
		f /= 1024
		i++
	}
	s := strconv.FormatFloat(math.Floor(f*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + binaryUnits[i].name
}

// formatSize prints a size limit: "unlimited" for 0.
func formatSize(n int64) string {
	if n == 0 {
		return "unlimited"
	}
	return formatBytes(n)
}

// formatRate prints a bandwidth limit: "5 MiB/s", or "unlimited".
func formatRate(n int64) string {
	if n == 0 {
		return "unlimited"
	}
	return formatBytes(n) + "/s"
}

// formatCount prints a count limit: "unlimited" for 0.
func formatCount(n int64) string {
	if n == 0 {
		return "unlimited"
	}
	return strconv.FormatInt(n, 10)
}

// plural returns "1 file", "2 files".
func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}
