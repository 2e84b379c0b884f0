package ftp

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

// The control connection's LineReader takes whole chunks, yet never a byte
// past the end of the line it returns: what follows stays in the
// connection's buffer, where AUTH TLS looks for bytes sent ahead of the
// handshake.
func TestLineChunkReaderStopsAtLineEnd(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		lines    []string
		rest     string
	}{
		{"pipelined after AUTH", "AUTH TLS\r\nUSER x\r\n", []string{"AUTH TLS"}, "USER x\r\n"},
		{"binary after AUTH", "AUTH TLS\r\n\x16\x03\x01\x00\x05hello", []string{"AUTH TLS"}, "\x16\x03\x01\x00\x05hello"},
		{"two lines", "NOOP\r\nAUTH TLS\r\nPBSZ 0\r\n", []string{"NOOP", "AUTH TLS"}, "PBSZ 0\r\n"},
		// An LF as a Telnet option byte does not end the line.
		{"LF as option byte", "NO\xff\xfb\nOP\r\nAUTH TLS\nrest", []string{"NOOP", "AUTH TLS"}, "rest"},
		{"LF inside a subnegotiation", "\xff\xfa\n\n\xff\xf0AUTH TLS\r\nX", []string{"AUTH TLS"}, "X"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tc.in), 4096)
			lr := NewLineReader(lineChunkReader{br}, 512)
			for _, want := range tc.lines {
				got, err := lr.ReadLine()
				if err != nil || got != want {
					t.Fatalf("ReadLine = %q, %v; want %q", got, err, want)
				}
			}
			// Fill br as a socket would have: everything arrived at once.
			br.Peek(1)
			rest, _ := br.Peek(br.Buffered())
			if string(rest) != tc.rest {
				t.Errorf("left in the connection's buffer: %q, want %q", rest, tc.rest)
			}
		})
	}
}

// A long line is taken in chunks, not byte by byte, and still ends where
// it should.
func TestLineChunkReaderLongLine(t *testing.T) {
	line := "RNFR " + strings.Repeat("n", 3000)
	br := bufio.NewReaderSize(strings.NewReader(line+"\r\nNOOP\r\n"), 4096)
	reads := 0
	lr := NewLineReader(countingReader{lineChunkReader{br}, &reads}, 4096)
	got, err := lr.ReadLine()
	if err != nil || got != line {
		t.Fatalf("ReadLine = %d bytes, %v", len(got), err)
	}
	if reads > 4 {
		t.Errorf("%d reads for one line", reads)
	}
	if got, err := lr.ReadLine(); err != nil || got != "NOOP" {
		t.Fatalf("second line: %q, %v", got, err)
	}
}

type countingReader struct {
	r io.Reader
	n *int
}

func (c countingReader) Read(p []byte) (int, error) {
	*c.n++
	return c.r.Read(p)
}
