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

func FuzzParsePrefix(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:db8::1", "::ffff:192.0.2.1", "198.51.100.77/24",
		"::ffff:192.0.2.0/120", "::ffff:0:0/90", "fe80::1%eth0", "10.0.0.0/33", " 1.2.3.4 ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrefix(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("ParsePrefix(%q) = %v: not a canonical prefix", s, p)
		}
		// Its text form, as stored and shown, reads back the same.
		if q, err := ParsePrefix(p.String()); err != nil || q != p {
			t.Fatalf("ParsePrefix(%q) = %v, but %v reads back as %v, %v", s, p, p, q, err)
		}
	})
}
