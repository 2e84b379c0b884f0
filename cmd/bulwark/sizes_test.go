package main

import "testing"

func TestParseSize(t *testing.T) {
	const (
		k = int64(1024)
		m = k * k
		g = m * k
	)
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1048576", m, true},
		{"512K", 512 * k, true},
		{"512k", 512 * k, true},
		{"10G", 10 * g, true},
		{"10GB", 10 * g, true},
		{"10GiB", 10 * g, true},
		{"10 gib", 10 * g, true},
		{"2T", 2 * g * k, true},
		{"1.5G", g + g/2, true},
		{"0.5K", 512, true},
		{"1.0001K", 1024, true}, // rounds down to whole bytes
		{"100B", 100, true},
		{" 7 ", 7, true},
		{"8E", 0, false}, // exa is too large to be useful and to fit
		{"", 0, false},
		{"K", 0, false},
		{"-1", 0, false},
		{"-1K", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false}, // a fraction of a byte
		{"10X", 0, false},
		{"10KK", 0, false},
		{"10iB", 0, false},
		{"1e3", 0, false},
		{"1/2K", 0, false},
		{"0x10", 0, false},
		{"1.K", 0, false},
		{".5K", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false},
		{"8388608T", 0, false}, // 2^63 bytes overflows
		{"8388607T", 8388607 << 40, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseRateAndCount(t *testing.T) {
	if n, err := parseRate("5M"); err != nil || n != 5<<20 {
		t.Errorf("parseRate(5M) = %d, %v", n, err)
	}
	if n, err := parseRate("5M/s"); err != nil || n != 5<<20 {
		t.Errorf("parseRate(5M/s) = %d, %v", n, err)
	}
	if _, err := parseRate("fast"); err == nil {
		t.Error("parseRate(fast) accepted")
	}
	for in, ok := range map[string]bool{"0": true, "12": true, "-1": false, "1K": false, "": false, "1.5": false} {
		if _, err := parseCount(in); (err == nil) != ok {
			t.Errorf("parseCount(%q) = %v", in, err)
		}
	}
}

func TestFormatSizes(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{formatBytes(0), "0 B"},
		{formatBytes(1023), "1023 B"},
		{formatBytes(1024), "1 KiB"},
		{formatBytes(1536), "1.5 KiB"},
		{formatBytes(12897485), "12.3 MiB"},
		{formatBytes(10 << 30), "10 GiB"},
		{formatBytes(1<<63 - 1), "8 EiB"},
		{formatSize(0), "unlimited"},
		{formatRate(5 << 20), "5 MiB/s"},
		{formatRate(0), "unlimited"},
		{formatCount(0), "unlimited"},
		{formatCount(3), "3"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	// What is printed reads back.
	for _, n := range []int64{1, 1024, 5 << 20, 10 << 30} {
		s := formatBytes(n)
		back, err := parseSize(s)
		if err != nil || back != n {
			t.Errorf("parseSize(formatBytes(%d) = %q) = %d, %v", n, s, back, err)
		}
	}
}
