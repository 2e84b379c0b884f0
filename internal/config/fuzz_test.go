package config

import "testing"

func FuzzPortRange(f *testing.F) {
	for _, s := range []string{"50000-50999", "70000-1", "1024-65535", "-", "a-b", " 2000 - 3000 ", "+1024-+2000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		low, high, err := parsePortRange(s)
		if err != nil {
			return
		}
		if low < 1024 || high > 65535 || low > high {
			t.Errorf("parsePortRange(%q) = %d, %d accepted", s, low, high)
		}
	})
}
