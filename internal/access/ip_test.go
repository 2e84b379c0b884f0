package access

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func TestParsePrefix(t *testing.T) {
	good := []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7/32"},
		{" 203.0.113.7 ", "203.0.113.7/32"},
		{"2001:db8::1", "2001:db8::1/128"},
		{"203.0.113.0/24", "203.0.113.0/24"},
		{"203.0.113.77/24", "203.0.113.0/24"}, // masked
		{"2001:db8::1/32", "2001:db8::/32"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"::/0", "::/0"},
		{"::ffff:203.0.113.7", "203.0.113.7/32"},
		{"::ffff:203.0.113.0/120", "203.0.113.0/24"},
	}
	for _, tc := range good {
		p, err := ParsePrefix(tc.in)
		if err != nil || p.String() != tc.want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", tc.in, p, err, tc.want)
		}
	}
	bad := []string{"", "10.0.0.300/8", "10.0.0.0/33", "2001:db8::/129", "example.com",
		"fe80::1%eth0", "10.0.0.1/", "/8", "10.0.0.1 10.0.0.2", "1.2.3"}
	for _, in := range bad {
		_, err := ParsePrefix(in)
		if err == nil {
			t.Errorf("ParsePrefix(%q) accepted", in)
			continue
		}
		if want := "invalid address or CIDR " + strconv.Quote(in); err.Error() != want {
			t.Errorf("ParsePrefix(%q) error %q, want %q", in, err, want)
		}
	}
}

func TestParseIPRulesNamesBadToken(t *testing.T) {
	cases := []struct {
		allow, deny []string
		token       string
	}{
		{[]string{"10.0.0.0/8", "10.0.0.300/8"}, nil, "10.0.0.300/8"},
		{nil, []string{"192.0.2.0/24", "nope"}, "nope"},
	}
	for _, tc := range cases {
		_, err := ParseIPRules(tc.allow, tc.deny)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(tc.token)) {
			t.Errorf("ParseIPRules(%q, %q) error %v, want it to quote %q", tc.allow, tc.deny, err, tc.token)
		}
	}
	r, err := ParseIPRules(nil, nil)
	if err != nil || !r.IsZero() {
		t.Errorf("empty rules: %+v, %v", r, err)
	}
}

func TestIPRulesCheck(t *testing.T) {
	mustRules := func(allow, deny []string) IPRules {
		t.Helper()
		r, err := ParseIPRules(allow, deny)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	many := []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6", "192.0.2.7"}
	cases := []struct {
		name        string
		allow, deny []string
		addr        string
		ok          bool
		detail      string
	}{
		{"no rules", nil, nil, "198.51.100.1", true, "allowed: no allow list"},
		{"deny only, other address", nil, []string{"10.0.0.0/8"}, "198.51.100.1", true, "allowed: no allow list"},
		{"deny only, denied", nil, []string{"10.0.0.0/8"}, "10.9.8.7", false, "denied by 10.0.0.0/8"},
		{"allowed", []string{"203.0.113.0/24"}, nil, "203.0.113.9", true, "allowed by 203.0.113.0/24"},
		{"not allowed", []string{"203.0.113.0/24", "2001:db8::/32"}, nil, "198.51.100.1", false,
			"not in the allow list (203.0.113.0/24, 2001:db8::/32)"},
		{"deny wins over allow", []string{"10.0.0.0/8"}, []string{"10.1.0.0/16"}, "10.1.2.3", false, "denied by 10.1.0.0/16"},
		{"allow beside deny", []string{"10.0.0.0/8"}, []string{"10.1.0.0/16"}, "10.2.0.1", true, "allowed by 10.0.0.0/8"},
		{"ipv6 allowed", []string{"2001:db8::/32"}, nil, "2001:db8::5", true, "allowed by 2001:db8::/32"},
		{"ipv6 not allowed", []string{"2001:db8::/32"}, nil, "2001:db9::1", false, "not in the allow list (2001:db8::/32)"},
		{"ipv6 denied", nil, []string{"2001:db8::1"}, "2001:db8::1", false, "denied by 2001:db8::1/128"},
		{"4in6 address, ipv4 rule", []string{"203.0.113.0/24"}, nil, "::ffff:203.0.113.9", true, "allowed by 203.0.113.0/24"},
		{"4in6 address denied", nil, []string{"203.0.113.9"}, "::ffff:203.0.113.9", false, "denied by 203.0.113.9/32"},
		{"4in6 rule, ipv4 address", []string{"::ffff:203.0.113.0/120"}, nil, "203.0.113.9", true, "allowed by 203.0.113.0/24"},
		{"ipv4 rule does not match ipv6", []string{"0.0.0.0/0"}, nil, "2001:db8::1", false, "not in the allow list (0.0.0.0/0)"},
		{"zone ignored", []string{"fe80::/10"}, nil, "fe80::1%eth0", true, "allowed by fe80::/10"},
		{"long list shortened", many, nil, "198.51.100.1", false,
			"not in the allow list (192.0.2.1/32, 192.0.2.2/32, 192.0.2.3/32, 192.0.2.4/32, 192.0.2.5/32, and 2 more)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, detail := mustRules(tc.allow, tc.deny).Check(netip.MustParseAddr(tc.addr))
			if ok != tc.ok || detail != tc.detail {
				t.Errorf("Check(%s) = %v, %q; want %v, %q", tc.addr, ok, detail, tc.ok, tc.detail)
			}
		})
	}
}

func TestIPRulesCheckInvalidAddress(t *testing.T) {
	if ok, _ := (IPRules{}).Check(netip.Addr{}); !ok {
		t.Error("empty rules refused an unknown address")
	}
	r := IPRules{Deny: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	if ok, detail := r.Check(netip.Addr{}); ok {
		t.Errorf("deny rules passed an unknown address: %s", detail)
	}
}
