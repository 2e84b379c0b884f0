package ftp

import (
	"bytes"
	"io"
)

// asciiBufSize is the fixed buffer of each ASCII converter: memory stays
// bounded however long a file or a line is.
const asciiBufSize = 32 << 10

// asciiReader turns the bare LFs of a file into CRLF for TYPE A downloads
// (RFC 959 §3.1.1.1), leaving CRLF pairs as they are.
type asciiReader struct {
	src        io.Reader
	in         []byte
	start, end int
	err        error
	prevCR     bool // the last byte passed on was a CR
	pendingLF  bool // a CR was written for a bare LF whose LF did not fit
}

// NewASCIIReader returns a reader giving r's data with every LF not
// preceded by a CR turned into CRLF, as RETR in TYPE A sends it. It reads
// through a fixed buffer, whatever the data.
func NewASCIIReader(r io.Reader) io.Reader {
	return &asciiReader{src: r}
}

func (a *asciiReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if a.pendingLF {
		p[0] = '\n'
		n = 1
		a.pendingLF = false
	}
	for n < len(p) {
		if a.start == a.end {
			if n > 0 {
				// Return what is ready rather than block on the source.
				return n, nil
			}
			if a.err != nil {
				return 0, a.err
			}
			if a.in == nil {
				a.in = make([]byte, asciiBufSize)
			}
			m, err := a.src.Read(a.in)
			a.start, a.end, a.err = 0, m, err
			if m == 0 && err == nil {
				return 0, nil
			}
			continue
		}
		chunk := a.in[a.start:a.end]
		room := p[n:]
		if len(chunk) > len(room) {
			chunk = chunk[:len(room)]
		}
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			n += copy(room, chunk)
			a.start += len(chunk)
			a.prevCR = chunk[len(chunk)-1] == '\r'
			continue
		}
		n += copy(room, chunk[:i])
		a.start += i + 1 // the LF is consumed here
		if i > 0 {
			a.prevCR = chunk[i-1] == '\r'
		}
		// i < len(chunk) <= len(room), so p[n] exists.
		if a.prevCR {
			p[n] = '\n'
			n++
		} else {
			p[n] = '\r'
			n++
			if n < len(p) {
				p[n] = '\n'
				n++
			} else {
				a.pendingLF = true
			}
		}
		a.prevCR = false
	}
	return n, nil
}

// ASCIIWriter turns CRLF into LF for TYPE A uploads (RFC 959 §3.1.1.1). A CR
// not followed by LF is kept. A CR at the end of one Write is held until the
// next shows whether an LF follows, so Flush must be called once the upload
// ends to pass on a final lone CR.
type ASCIIWriter struct {
	dst       io.Writer
	buf       []byte
	pendingCR bool
}

// NewASCIIWriter returns an ASCIIWriter writing converted data to w through
// a fixed buffer. Each Write passes its converted data to w before it
// returns, except a trailing CR, which waits for the next Write or Flush.
func NewASCIIWriter(w io.Writer) *ASCIIWriter {
	return &ASCIIWriter{dst: w}
}

// Write converts p and writes it. On an error from the underlying writer
// the count is of the bytes of p whose output was passed on before it.
func (a *ASCIIWriter) Write(p []byte) (int, error) {
	if a.buf == nil {
		a.buf = make([]byte, 0, asciiBufSize)
	}
	done := 0
	for len(p) > 0 {
		out := a.buf[:0]
		used := 0
		if a.pendingCR {
			a.pendingCR = false
			if p[0] == '\n' {
				out = append(out, '\n')
				used = 1
			} else {
				out = append(out, '\r')
			}
		}
		// The output of a chunk is never longer than the chunk itself.
		chunk := p[used:min(len(p), used+cap(out)-len(out))]
		used += len(chunk)
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\r')
			if i < 0 {
				out = append(out, chunk...)
				break
			}
			out = append(out, chunk[:i]...)
			switch {
			case i+1 == len(chunk):
				// Undecided until the next byte is seen.
				a.pendingCR = true
				chunk = nil
			case chunk[i+1] == '\n':
				out = append(out, '\n')
				chunk = chunk[i+2:]
			default:
				out = append(out, '\r')
				chunk = chunk[i+1:]
			}
		}
		if len(out) > 0 {
			if _, err := a.dst.Write(out); err != nil {
				return done, err
			}
		}
		done += used
		p = p[used:]
	}
	return done, nil
}

// Flush writes a CR held back from the last Write. It must be called when
// the upload ends; it writes nothing otherwise.
func (a *ASCIIWriter) Flush() error {
	if !a.pendingCR {
		return nil
	}
	a.pendingCR = false
	_, err := a.dst.Write([]byte{'\r'})
	return err
}
