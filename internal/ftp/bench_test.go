package ftp_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

const benchSize = 64 << 20

func BenchmarkDownloadTLS(b *testing.B) {
	e := newEnv(b)
	data := make([]byte, benchSize)
	rand.Read(data)
	e.writeFile(b, "big.bin", data)
	c := e.dialJ(b)
	b.SetBytes(benchSize)
	for b.Loop() {
		r, err := c.Retr("big.bin")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		r.Close()
		if err != nil || n != benchSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
	}
}

func BenchmarkUploadTLS(b *testing.B) {
	e := newEnv(b)
	data := make([]byte, benchSize)
	rand.Read(data)
	c := e.dialJ(b)
	b.SetBytes(benchSize)
	for b.Loop() {
		if err := c.Stor("up.bin", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefusedConnection measures a connection the Gate refuses, end
// to end on loopback: the client's dial, the server's accept, Admit, the
// optional reply line and the close, and the client reading to EOF. The
// client's side is included, so the server's own share is smaller; see
// BenchmarkRefuse for it alone.
func BenchmarkRefusedConnection(b *testing.B) {
	for _, bc := range []struct{ name, reply string }{
		{"silent", ""},
		{"reply", "421 Service not available"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b, func(s *ftp.Server, _ *env) { s.Gate = refuseAll{bc.reply} })
			buf := make([]byte, 64)
			b.ReportAllocs()
			for b.Loop() {
				conn, err := net.Dial("tcp", e.addr)
				if err != nil {
					b.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				for {
					if _, err := conn.Read(buf); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
				conn.Close()
			}
		})
	}
}

// refuseAll refuses every connection with reply.
type refuseAll struct{ reply string }

func (g refuseAll) Admit(netip.AddrPort) (bool, string) { return false, g.reply }
func (refuseAll) Done(netip.AddrPort)                   {}
