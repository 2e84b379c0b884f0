package ftp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestASCIIReader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"\n\n", "\r\n\r\n"},
		{"a\rb\n", "a\rb\r\n"},
		{"a\r\r\n", "a\r\r\n"},
		{"no newline", "no newline"},
		{"\r", "\r"},
	}
	for _, tt := range tests {
		for _, mk := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader,
			iotest.HalfReader,
			iotest.DataErrReader,
		} {
			got, err := io.ReadAll(NewASCIIReader(mk(strings.NewReader(tt.in))))
			if err != nil || string(got) != tt.want {
				t.Errorf("read %q = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			// A one-byte destination forces the pending LF path.
			got, err = io.ReadAll(iotest.OneByteReader(NewASCIIReader(mk(strings.NewReader(tt.in)))))
			if err != nil || string(got) != tt.want {
				t.Errorf("read %q one byte at a time = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		}
	}
}

func TestASCIIReaderPassesErrors(t *testing.T) {
	boom := errors.New("boom")
	r := NewASCIIReader(iotest.TimeoutReader(strings.NewReader("a\nb")))
	got, err := io.ReadAll(r)
	if !errors.Is(err, iotest.ErrTimeout) || string(got) != "a\r\nb" {
		t.Fatalf("got %q, %v", got, err)
	}
	r = NewASCIIReader(iotest.ErrReader(boom))
	if _, err := r.Read(make([]byte, 8)); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

func TestASCIIWriter(t *testing.T) {
	tests := []struct {
		in   []string // the Writes, in order
		want string
	}{
		{[]string{"a\r\nb\r\n"}, "a\nb\n"},
		{[]string{"a\r", "\nb"}, "a\nb"},
		{[]string{"a\r", "b"}, "a\rb"},
		{[]string{"a\r", "\r", "\n"}, "a\r\n"},
		{[]string{"a\n"}, "a\n"},
		{[]string{"end\r"}, "end\r"},
		{[]string{"\r", "", "\n"}, "\n"},
		{[]string{"\r\r\r\n"}, "\r\r\n"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w := NewASCIIWriter(&out)
		for _, s := range tt.in {
			if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", s, n, err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("writes %q = %q, want %q", tt.in, out.String(), tt.want)
		}
	}
}

// failingWriter accepts limit bytes, then fails.
type failingWriter struct{ limit int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n := f.limit
		f.limit = 0
		return n, errors.New("disk full")
	}
	f.limit -= len(p)
	return len(p), nil
}

func TestASCIIWriterError(t *testing.T) {
	w := NewASCIIWriter(&failingWriter{limit: asciiBufSize})
	big := bytes.Repeat([]byte("x"), 3*asciiBufSize)
	n, err := w.Write(big)
	if err == nil || n != asciiBufSize {
		t.Fatalf("Write = %d, %v; want %d and an error", n, err, asciiBufSize)
	}
}

func TestASCIILargeLineBoundedChunks(t *testing.T) {
	// A long file without line breaks passes through in pieces no larger
	// than the converter's buffer.
	var sizes []int
	rec := writerFunc(func(p []byte) (int, error) { sizes = append(sizes, len(p)); return len(p), nil })
	w := NewASCIIWriter(rec)
	if _, err := io.Copy(w, io.LimitReader(NewASCIIReader(endlessReader{'z'}), 1<<20)); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range sizes {
		if s > asciiBufSize {
			t.Fatalf("a write of %d bytes", s)
		}
		total += s
	}
	if total != 1<<20 {
		t.Fatalf("wrote %d bytes", total)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// chunkedWrite writes data through an ASCIIWriter in pieces of the given
// sizes, cycling, and returns the output.
func chunkedWrite(t *testing.T, data []byte, sizes []byte) []byte {
	var out bytes.Buffer
	w := NewASCIIWriter(&out)
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(sizes) > 0 {
			n = min(int(sizes[i%len(sizes)]), len(data))
		}
		if n == 0 {
			// An empty Write must change nothing; then move on.
			if _, err := w.Write(data[:0]); err != nil {
				t.Fatal(err)
			}
			n = 1
		}
		if _, err := w.Write(data[:n]); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func FuzzASCII(f *testing.F) {
	f.Add([]byte("line one\nline two\r\nlast"), []byte{1, 3})
	f.Add([]byte("\r\r\n\n\r"), []byte{1})
	f.Add([]byte("no breaks at all"), []byte{})
	f.Add(bytes.Repeat([]byte("ab\n"), 50), []byte{7, 0, 2})
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		read, err := io.ReadAll(NewASCIIReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatal(err)
		}
		readSmall, err := io.ReadAll(iotest.OneByteReader(NewASCIIReader(iotest.HalfReader(bytes.NewReader(data)))))
		if err != nil || !bytes.Equal(read, readSmall) {
			t.Fatalf("reader depends on chunking: %q vs %q, %v", read, readSmall, err)
		}
		// Every LF of the output has a CR before it.
		for i, c := range read {
			if c == '\n' && (i == 0 || read[i-1] != '\r') {
				t.Fatalf("bare LF at %d in %q", i, read)
			}
		}
		whole := chunkedWrite(t, read, nil)
		if pieces := chunkedWrite(t, read, sizes); !bytes.Equal(whole, pieces) {
			t.Fatalf("writer depends on chunking: %q vs %q", whole, pieces)
		}
		if !bytes.Contains(data, []byte{'\r'}) && !bytes.Equal(whole, data) {
			t.Fatalf("round trip of %q gave %q", data, whole)
		}
	})
}

func benchmarkText() []byte {
	return bytes.Repeat([]byte("a line of ordinary text, about seventy bytes long, as in a log file\n"), 1<<14)
}

func BenchmarkASCIIReader(b *testing.B) {
	data := benchmarkText()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, NewASCIIReader(bytes.NewReader(data))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkASCIIWriter(b *testing.B) {
	data := bytes.ReplaceAll(benchmarkText(), []byte("\n"), []byte("\r\n"))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		w := NewASCIIWriter(io.Discard)
		if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
