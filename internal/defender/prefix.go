package defender

import (
	"math/bits"
	"net/netip"
)

// normAddr makes one address of the many spellings of it: an IPv4 address
// mapped into IPv6 is the IPv4 address, and a zone names an interface, not
// a host.
func normAddr(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

// normPrefix masks p and turns a prefix of IPv4-mapped IPv6 addresses into
// the IPv4 prefix, so that the same network is always the same key.
// It returns the zero Prefix for an invalid one.
func normPrefix(p netip.Prefix) netip.Prefix {
	if !p.IsValid() {
		return netip.Prefix{}
	}
	a := p.Addr().WithZone("")
	if a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return netip.PrefixFrom(a, p.Bits()).Masked()
}

// lengthMask is a set of prefix lengths of one address family, kept so that
// the set's lengths are visited longest first: length L is bit (maxLen-L).
type lengthMask [3]uint64

func (m *lengthMask) set(bit int)   { m[bit/64] |= 1 << (bit % 64) }
func (m *lengthMask) clear(bit int) { m[bit/64] &^= 1 << (bit % 64) }

// prefixSet answers "which of these prefixes holds this address" with one
// map probe per distinct prefix length, however many prefixes it holds.
// It is immutable after construction, so readers need no lock.
type prefixSet struct {
	m      map[netip.Prefix]struct{}
	v4, v6 []int // distinct lengths, longest first
}

func newPrefixSet(ps []netip.Prefix) prefixSet {
	s := prefixSet{m: make(map[netip.Prefix]struct{}, len(ps))}
	var m4, m6 lengthMask
	for _, p := range ps {
		p = normPrefix(p)
		if !p.IsValid() {
			continue
		}
		s.m[p] = struct{}{}
		if p.Addr().Is4() {
			m4.set(32 - p.Bits())
		} else {
			m6.set(128 - p.Bits())
		}
	}
	s.v4 = lengths(m4, 32)
	s.v6 = lengths(m6, 128)
	return s
}

// lengths lists the lengths in m, longest first.
func lengths(m lengthMask, maxLen int) []int {
	var out []int
	for w, word := range m {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			out = append(out, maxLen-(w*64+b))
		}
	}
	return out
}

// match returns the longest prefix of the set holding a, which must be
// normalised.
func (s *prefixSet) match(a netip.Addr) (netip.Prefix, bool) {
	ls := s.v6
	if a.Is4() {
		ls = s.v4
	}
	for _, l := range ls {
		p, _ := a.Prefix(l)
		if _, ok := s.m[p]; ok {
			return p, true
		}
	}
	return netip.Prefix{}, false
}
