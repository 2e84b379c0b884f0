package access

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParsePrefix reads an address ("203.0.113.7", "2001:db8::1"), which
// becomes a /32 or /128, or a CIDR prefix ("203.0.113.0/24"), whose host
// bits are cleared. IPv4 written in IPv6 form ("::ffff:203.0.113.7",
// "::ffff:203.0.113.0/120") becomes plain IPv4, because Check compares
// unmapped addresses. The error quotes s exactly.
func ParsePrefix(s string) (netip.Prefix, error) {
	t := strings.TrimSpace(s)
	if strings.Contains(t, "/") {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return netip.Prefix{}, badPrefix(s)
		}
		p = p.Masked()
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(t)
	// A zone ("fe80::1%eth0") names an interface of one host; it has no
	// meaning in a rule.
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, badPrefix(s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func badPrefix(s string) error {
	return fmt.Errorf("invalid address or CIDR %q", s)
}

// IPRules are one level's address rules. Deny wins over Allow; an empty
// Allow allows any address not denied.
type IPRules struct {
	Allow, Deny []netip.Prefix
}

// ParseIPRules reads allow and deny lists with ParsePrefix. The error
// names the first bad entry.
func ParseIPRules(allow, deny []string) (IPRules, error) {
	var r IPRules
	var err error
	if r.Allow, err = parsePrefixes(allow); err != nil {
		return IPRules{}, err
	}
	if r.Deny, err = parsePrefixes(deny); err != nil {
		return IPRules{}, err
	}
	return r, nil
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// IsZero reports whether the rules allow every address.
func (r IPRules) IsZero() bool { return len(r.Allow) == 0 && len(r.Deny) == 0 }

// Check applies the rules to addr (IPv4 in IPv6 form is unmapped first)
// and says why in detail: "denied by 10.0.0.0/8", "allowed by
// 203.0.113.0/24", "allowed: no allow list", "not in the allow list
// (203.0.113.0/24, ...)". An invalid addr passes only rules that are
// empty: without an address no deny entry can be ruled out.
func (r IPRules) Check(addr netip.Addr) (ok bool, detail string) {
	if r.IsZero() {
		return true, "allowed: no allow list"
	}
	if !addr.IsValid() {
		return false, "no valid client address"
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range r.Deny {
		if p.Contains(addr) {
			return false, "denied by " + p.String()
		}
	}
	if len(r.Allow) == 0 {
		return true, "allowed: no allow list"
	}
	for _, p := range r.Allow {
		if p.Contains(addr) {
			return true, "allowed by " + p.String()
		}
	}
	return false, "not in the allow list (" + listPrefixes(r.Allow) + ")"
}

// maxListed bounds how many prefixes a refusal lists, to keep log lines
// short for long allow lists.
const maxListed = 5

func listPrefixes(ps []netip.Prefix) string {
	var b strings.Builder
	for i, p := range ps {
		if i == maxListed {
			fmt.Fprintf(&b, ", and %d more", len(ps)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}
