package defender

import (
	"net/netip"
	"testing"
	"time"
)

// benchDefender holds 10,000 IPv4 and 10,000 IPv6 bans, as under attack.
func benchDefender(b *testing.B) *Defender {
	d := New(DefaultConfig(), func() time.Time { return t0 })
	for i := range 10_000 {
		d.Record(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), EventHoneypot, "root")
		d.Record(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 6: byte(i >> 8), 7: byte(i), 15: 1}), EventHoneypot, "root")
	}
	if n := len(d.Bans()); n != 20_000 {
		b.Fatalf("%d bans", n)
	}
	return d
}

func BenchmarkBannedHit(b *testing.B) {
	d := benchDefender(b)
	a := addr("10.1.3.7")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.Banned(a); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkBannedMiss(b *testing.B) {
	d := benchDefender(b)
	a := addr("192.0.2.1")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.Banned(a); ok {
			b.Fatal("hit")
		}
	}
}

func BenchmarkBannedHitIPv6(b *testing.B) {
	d := benchDefender(b)
	a := addr("2001:db8:0:42::9")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := d.Banned(a); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkBannedParallel(b *testing.B) {
	d := benchDefender(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Banned(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}))
			i++
		}
	})
}

// BenchmarkRecord charges failures to ever new addresses, past the bound,
// as a distributed scan would.
func BenchmarkRecord(b *testing.B) {
	d := New(DefaultConfig(), func() time.Time { return t0 })
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Record(netip.AddrFrom4([4]byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)}), EventBadPassword, "alice")
		i++
	}
}
