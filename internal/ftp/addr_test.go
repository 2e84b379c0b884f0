package ftp

import (
	"errors"
	"net/netip"
	"strconv"
	"testing"
)

func TestParsePORT(t *testing.T) {
	tests := []struct {
		arg  string
		want string // "" for an error
	}{
		{"127,0,0,1,4,1", "127.0.0.1:1025"},
		{"192,168,1,20,255,255", "192.168.1.20:65535"},
		{"10,0,0,001,0,21", "10.0.0.1:21"},
		{"127,0,0,1,0,0", ""},
		{"127,0,0,1,4", ""},
		{"127,0,0,1,4,1,", ""},
		{"127,0,0,1,4,1,2", ""},
		{"127,0,0,256,4,1", ""},
		{"127,0,0,1,4,+1", ""},
		{"127,0,0,1,4,-1", ""},
		{"127,0,0,1,4, 1", ""},
		{"127,0,0,1,4,0001", ""},
		{"127,0,0,1,,1", ""},
		{"127.0.0.1,4,1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ParsePORT(tt.arg)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalidAddress) {
				t.Errorf("ParsePORT(%q) = %v, %v; want ErrInvalidAddress", tt.arg, got, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParsePORT(%q) = %v, %v; want %s", tt.arg, got, err, tt.want)
		}
	}
}

func TestParseEPRT(t *testing.T) {
	tests := []struct {
		arg  string
		want string
		err  error
	}{
		{"|1|132.235.1.2|6275|", "132.235.1.2:6275", nil},
		{"|2|1080::8:800:200C:417A|5282|", "[1080::8:800:200c:417a]:5282", nil},
		{"!1!127.0.0.1!21!", "127.0.0.1:21", nil},
		{"|2|::ffff:127.0.0.1|21|", "[::ffff:127.0.0.1]:21", nil},
		{"|3|127.0.0.1|21|", "", ErrNetworkProtocol},
		{"|1|::1|21|", "", ErrInvalidAddress},
		{"|2|127.0.0.1|21|", "", ErrInvalidAddress},
		{"|2|fe80::1%eth0|21|", "", ErrInvalidAddress},
		{"|1|127.0.0.1|0|", "", ErrInvalidAddress},
		{"|1|127.0.0.1|65536|", "", ErrInvalidAddress},
		{"|1|127.0.0.1|21", "", ErrInvalidAddress},
		{"|1|127.0.0.1|21|x|", "", ErrInvalidAddress},
		{"|1|127.0.0.01|21|", "", ErrInvalidAddress},
		{"|1||21|", "", ErrInvalidAddress},
		{" 1 127.0.0.1 21 ", "", ErrInvalidAddress},
		{"\x7f1\x7f127.0.0.1\x7f21\x7f", "", ErrInvalidAddress},
		{"|", "", ErrInvalidAddress},
		{"", "", ErrInvalidAddress},
	}
	for _, tt := range tests {
		got, err := ParseEPRT(tt.arg)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseEPRT(%q) = %v, %v; want %v", tt.arg, got, err, tt.err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseEPRT(%q) = %v, %v; want %s", tt.arg, got, err, tt.want)
		}
	}
}

func TestFormatPASV(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:1025", "127,0,0,1,4,1"},
		{"[::ffff:10.1.2.3]:65535", "10,1,2,3,255,255"},
		{"[::1]:21", ""},
	}
	for _, tt := range tests {
		if got := FormatPASV(netip.MustParseAddrPort(tt.in)); got != tt.want {
			t.Errorf("FormatPASV(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatEPSV(t *testing.T) {
	if got := FormatEPSV(6446); got != "(|||6446|)" {
		t.Fatalf("FormatEPSV = %q", got)
	}
}

func TestParseEPSVArg(t *testing.T) {
	tests := []struct {
		arg   string
		proto int
		all   bool
		err   error
	}{
		{"", 0, false, nil},
		{"1", 1, false, nil},
		{"2", 2, false, nil},
		{"ALL", 0, true, nil},
		{"all", 0, true, nil},
		{"3", 0, false, ErrNetworkProtocol},
		{"01", 0, false, ErrNetworkProtocol},
		{" 1", 0, false, ErrInvalidAddress},
		{"ALL ", 0, false, ErrInvalidAddress},
		{"x", 0, false, ErrInvalidAddress},
	}
	for _, tt := range tests {
		proto, all, err := ParseEPSVArg(tt.arg)
		if proto != tt.proto || all != tt.all || !errors.Is(err, tt.err) {
			t.Errorf("ParseEPSVArg(%q) = %d, %v, %v; want %d, %v, %v", tt.arg, proto, all, err, tt.proto, tt.all, tt.err)
		}
	}
}

func FuzzPortArgs(f *testing.F) {
	for _, s := range []string{
		"127,0,0,1,4,1", "|1|132.235.1.2|6275|", "|2|::1|21|", "ALL", "2", "#2#fe80::1#65535#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if ap, err := ParsePORT(arg); err == nil {
			if !ap.Addr().Is4() || ap.Port() == 0 {
				t.Fatalf("ParsePORT(%q) = %v", arg, ap)
			}
			back, err := ParsePORT(FormatPASV(ap))
			if err != nil || back != ap {
				t.Fatalf("PORT %q -> %v -> %q -> %v, %v", arg, ap, FormatPASV(ap), back, err)
			}
		}
		if ap, err := ParseEPRT(arg); err == nil {
			if ap.Port() == 0 || ap.Addr().Zone() != "" {
				t.Fatalf("ParseEPRT(%q) = %v", arg, ap)
			}
			proto := "2"
			if ap.Addr().Is4() {
				proto = "1"
			}
			s := "|" + proto + "|" + ap.Addr().String() + "|" + strconv.Itoa(int(ap.Port())) + "|"
			back, err := ParseEPRT(s)
			if err != nil || back != ap {
				t.Fatalf("EPRT %q -> %v -> %q -> %v, %v", arg, ap, s, back, err)
			}
			if ap.Addr().Is4() {
				if back, err := ParsePORT(FormatPASV(ap)); err != nil || back != ap {
					t.Fatalf("EPRT %q -> PASV form %q -> %v, %v", arg, FormatPASV(ap), back, err)
				}
			}
		}
		proto, all, err := ParseEPSVArg(arg)
		if err == nil && (proto < 0 || proto > 2 || (all && proto != 0)) {
			t.Fatalf("ParseEPSVArg(%q) = %d, %v", arg, proto, all)
		}
		if err != nil && (proto != 0 || all) {
			t.Fatalf("ParseEPSVArg(%q) = %d, %v with error %v", arg, proto, all, err)
		}
	})
}
