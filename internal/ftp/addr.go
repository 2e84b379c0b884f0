package ftp

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// ErrInvalidAddress is returned when a PORT or EPRT argument is malformed
// (reply 501).
var ErrInvalidAddress = errors.New("ftp: invalid address argument")

// ErrNetworkProtocol is returned when an EPRT or EPSV argument names a
// network protocol other than 1 (IPv4) or 2 (IPv6) (reply 522, RFC 2428).
var ErrNetworkProtocol = errors.New("ftp: network protocol not supported")

// ParsePORT parses the RFC 959 PORT argument "h1,h2,h3,h4,p1,p2": exactly
// six decimal fields of one to three digits, each 0-255. Port 0 is refused,
// since nothing can be reached there. Whether the address may be used (it
// should be the client's own) is for the caller to decide.
func ParsePORT(arg string) (netip.AddrPort, error) {
	var f [6]byte
	rest := arg
	for i := range f {
		field := rest
		if i < len(f)-1 {
			j := strings.IndexByte(rest, ',')
			if j < 0 {
				return netip.AddrPort{}, ErrInvalidAddress
			}
			field, rest = rest[:j], rest[j+1:]
		}
		v, ok := addrDecimal(field, 3)
		if !ok || v > 255 {
			return netip.AddrPort{}, ErrInvalidAddress
		}
		f[i] = byte(v)
	}
	port := uint16(f[4])<<8 | uint16(f[5])
	if port == 0 {
		return netip.AddrPort{}, ErrInvalidAddress
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{f[0], f[1], f[2], f[3]}), port), nil
}

// ParseEPRT parses the RFC 2428 EPRT argument "<d>proto<d>addr<d>port<d>",
// where <d> is any character from 33 to 126 ("|1|132.235.1.2|6275|").
// Protocol 1 needs an IPv4 address in dotted form, protocol 2 an IPv6
// address without a zone. The port must be 1-65535. Another protocol number
// gives ErrNetworkProtocol.
func ParseEPRT(arg string) (netip.AddrPort, error) {
	if len(arg) < 2 || arg[0] < 33 || arg[0] > 126 || arg[len(arg)-1] != arg[0] {
		return netip.AddrPort{}, ErrInvalidAddress
	}
	fields := strings.Split(arg[1:len(arg)-1], arg[:1])
	if len(fields) != 3 {
		return netip.AddrPort{}, ErrInvalidAddress
	}
	proto, ok := addrDecimal(fields[0], 3)
	if !ok {
		return netip.AddrPort{}, ErrInvalidAddress
	}
	if proto != 1 && proto != 2 {
		return netip.AddrPort{}, ErrNetworkProtocol
	}
	addr, err := netip.ParseAddr(fields[1])
	if err != nil || addr.Zone() != "" {
		return netip.AddrPort{}, ErrInvalidAddress
	}
	if (proto == 1) != addr.Is4() {
		return netip.AddrPort{}, ErrInvalidAddress
	}
	port, ok := addrDecimal(fields[2], 5)
	if !ok || port == 0 || port > 65535 {
		return netip.AddrPort{}, ErrInvalidAddress
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// addrDecimal parses 1 to maxDigits ASCII digits and nothing else: no sign,
// no spaces.
func addrDecimal(s string, maxDigits int) (int, bool) {
	if len(s) == 0 || len(s) > maxDigits {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// FormatPASV formats an address for the 227 reply: "h1,h2,h3,h4,p1,p2".
// An IPv4-mapped IPv6 address is unmapped. For any other IPv6 address it
// returns "", since PASV cannot express one; the caller checks beforehand.
func FormatPASV(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if !a.Is4() {
		return ""
	}
	b := a.As4()
	p := ap.Port()
	buf := make([]byte, 0, len("255,255,255,255,255,255"))
	for _, v := range [6]byte{b[0], b[1], b[2], b[3], byte(p >> 8), byte(p)} {
		if len(buf) > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendUint(buf, uint64(v), 10)
	}
	return string(buf)
}

// FormatEPSV formats the port part of the 229 reply: "(|||6446|)".
func FormatEPSV(port uint16) string {
	return "(|||" + strconv.FormatUint(uint64(port), 10) + "|)"
}

// ParseEPSVArg parses the EPSV argument (RFC 2428): "" gives 0, "1" or "2"
// the protocol, "ALL" (any case) sets all. Another protocol number gives
// ErrNetworkProtocol (reply 522); anything else ErrInvalidAddress (501).
func ParseEPSVArg(arg string) (proto int, all bool, err error) {
	switch {
	case arg == "":
		return 0, false, nil
	case arg == "1":
		return 1, false, nil
	case arg == "2":
		return 2, false, nil
	case strings.EqualFold(arg, "ALL"):
		return 0, true, nil
	}
	if _, ok := addrDecimal(arg, 5); ok {
		return 0, false, ErrNetworkProtocol
	}
	return 0, false, ErrInvalidAddress
}
