package ftp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// ErrLineTooLong is returned by LineReader.ReadLine when a control line is
// longer than the reader's limit. The rest of that line is skipped by the
// next ReadLine, so the session may answer 500 and carry on.
var ErrLineTooLong = errors.New("ftp: command line too long")

// ErrInvalidVerb is returned by ParseCommand when the first word of a line
// is not a plausible FTP command name.
var ErrInvalidVerb = errors.New("ftp: invalid command verb")

// ErrInvalidUTF8 is returned by ParseCommand when the argument is not valid
// UTF-8, which RFC 2640 requires of pathnames.
var ErrInvalidUTF8 = errors.New("ftp: argument is not valid UTF-8")

// Telnet command bytes (RFC 854). The control connection is a Telnet NVT
// stream; Bulwark never negotiates options, so every command is dropped.
const (
	tnSE   = 240 // end of subnegotiation
	tnDM   = 242 // Data Mark, the end of a Synch (RFC 959 ABOR)
	tnIP   = 244 // Interrupt Process
	tnSB   = 250 // start of subnegotiation
	tnWILL = 251
	tnDONT = 254
	tnIAC  = 255
)

// lineState is the position of a LineReader inside the Telnet byte stream.
type lineState uint8

const (
	lineInData   lineState = iota // plain data
	lineInIAC                     // after IAC
	lineInOption                  // after IAC WILL/WONT/DO/DONT: next byte is the option
	lineInSub                     // inside IAC SB ... IAC SE
	lineInSubIAC                  // after IAC inside a subnegotiation
)

// LineReader reads FTP control lines from a Telnet NVT stream.
//
// A line ends at LF; a CR directly before it is removed too, so both CRLF and
// a bare LF end a line. Telnet commands are removed: IAC IAC gives a literal
// 0xFF, IAC WILL/WONT/DO/DONT and their option byte are dropped, IAC SB ...
// IAC SE is dropped, and every other two-byte command (IP, DM, NOP, AYT ...)
// is dropped, so "IAC IP IAC DM ABOR" reads as "ABOR". An IAC followed by a
// byte that is not a Telnet command (below 240) is dropped and the byte kept:
// a client may send the second IAC of a Synch as TCP urgent data, which the
// kernel removes from the stream. For the same reason a lone DM byte at the
// start of a line that followed an IAC IP is dropped.
//
// CR NUL is read as CR (RFC 2640: a CR inside a pathname is sent as CR NUL);
// any other NUL is dropped, being the Telnet no-operation character (RFC 854),
// so a returned line never holds a NUL. A CR followed by anything else is
// kept as it is.
//
// Memory is bounded by the limit: a line whose raw bytes exceed it makes
// ReadLine return ErrLineTooLong as soon as the limit is passed, without
// waiting for the end of the line.
type LineReader struct {
	br  *bufio.Reader
	max int
	// rawMax bounds the raw bytes of one line, Telnet commands included, so
	// a stream of Telnet noise cannot hold ReadLine forever. IAC IAC doubles
	// a byte, hence twice the limit plus room for a Synch.
	rawMax int

	line    []byte
	raw     int
	state   lineState
	cr      bool // a CR was read and is not yet known to be data
	sawIP   bool // an IAC IP was dropped on this line
	discard bool // skipping the rest of a line that was too long
}

// lineDefaultMax is used when NewLineReader is given no positive limit.
const lineDefaultMax = 4096

// NewLineReader returns a LineReader on r that refuses lines longer than
// limit bytes (the line ending not counted). limit <= 0 means 4096. The
// caller sets deadlines on the underlying connection before each ReadLine.
func NewLineReader(r io.Reader, limit int) *LineReader {
	if limit <= 0 {
		limit = lineDefaultMax
	}
	return &LineReader{
		br:     bufio.NewReaderSize(r, 4096),
		max:    limit,
		rawMax: 2*limit + 16,
		line:   make([]byte, 0, min(limit, 512)),
	}
}

// ReadLine returns the next control line without its line ending.
//
// At end of stream it returns io.EOF when no partial line was pending and
// io.ErrUnexpectedEOF otherwise. After any other read error (a deadline, for
// instance) the partial line is kept and a later call carries on with it.
func (lr *LineReader) ReadLine() (string, error) {
	for {
		buf, err := lr.br.Peek(1)
		if len(buf) == 0 {
			if err == io.EOF && (len(lr.line) > 0 || lr.cr || lr.raw > 0) {
				lr.reset()
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		// Peek(1) succeeded, so all buffered bytes are available at once.
		buf, _ = lr.br.Peek(lr.br.Buffered())
		n, done := lr.scan(buf)
		_, _ = lr.br.Discard(n)
		if done {
			s := string(lr.line)
			lr.reset()
			return s, nil
		}
		if !lr.discard && (len(lr.line) > lr.max || lr.raw > lr.rawMax) {
			lr.reset()
			lr.discard = true
			return "", ErrLineTooLong
		}
	}
}

func (lr *LineReader) reset() {
	lr.line = lr.line[:0]
	lr.raw = 0
	lr.state = lineInData
	lr.cr = false
	lr.sawIP = false
}

// scan consumes bytes of buf until a line ends or the limit is passed. It
// returns the number of bytes consumed and whether a line ended.
func (lr *LineReader) scan(buf []byte) (int, bool) {
	for i := 0; i < len(buf); {
		if lr.discard {
			// Skipping an over-long line: only its end matters.
			j := bytes.IndexByte(buf[i:], '\n')
			if j < 0 {
				return len(buf), false
			}
			i += j + 1
			lr.discard = false
			lr.reset()
			continue
		}
		if lr.state == lineInData && !lr.cr {
			// Fast path: take a run of plain bytes at once, stopping one
			// byte past the limit so that it is noticed.
			end := min(len(buf), i+lr.max+1-len(lr.line))
			j := i
			for j < end && plainLineByte(buf[j]) {
				j++
			}
			if j > i {
				lr.line = append(lr.line, buf[i:j]...)
				lr.raw += j - i
				i = j
				if len(lr.line) > lr.max || lr.raw > lr.rawMax {
					return i, false
				}
				continue
			}
		}
		c := buf[i]
		i++
		lr.raw++
		switch lr.state {
		case lineInData:
			if c == tnIAC {
				lr.state = lineInIAC
				continue
			}
			if lr.data(c) {
				return i, true
			}
		case lineInIAC:
			lr.state = lineInData
			switch {
			case c == tnIAC:
				if lr.data(c) {
					return i, true
				}
			case c >= tnWILL && c <= tnDONT:
				lr.state = lineInOption
			case c == tnSB:
				lr.state = lineInSub
			case c == tnIP:
				lr.sawIP = true
			case c >= tnSE:
				// Other commands (DM, NOP, AYT, ...) carry no data.
			default:
				// Not a command: keep the byte, see the type comment.
				if lr.data(c) {
					return i, true
				}
			}
		case lineInOption:
			lr.state = lineInData
		case lineInSub:
			if c == tnIAC {
				lr.state = lineInSubIAC
			}
		case lineInSubIAC:
			if c == tnSE {
				lr.state = lineInData
			} else {
				lr.state = lineInSub
			}
		}
		if len(lr.line) > lr.max || lr.raw > lr.rawMax {
			return i, false
		}
	}
	return len(buf), false
}

// plainLineByte reports whether c needs no decoding: it is not a line end,
// CR, NUL, IAC or a DM that may follow an IAC IP.
func plainLineByte(c byte) bool {
	return c != '\n' && c != '\r' && c != 0 && c < tnDM
}

// data handles one data byte after Telnet decoding and reports whether it
// ended the line.
func (lr *LineReader) data(c byte) bool {
	if lr.cr {
		lr.cr = false
		switch c {
		case '\n':
			return true
		case 0:
			// CR NUL stands for a CR in the data (RFC 2640).
			lr.line = append(lr.line, '\r')
			return false
		}
		lr.line = append(lr.line, '\r')
	}
	switch c {
	case '\n':
		return true
	case '\r':
		lr.cr = true
	case 0:
		// NUL is the Telnet no-operation character.
	case tnDM:
		if lr.sawIP && len(lr.line) == 0 {
			// The rest of an IAC IP IAC DM Synch whose IAC the kernel took
			// as urgent data.
			return false
		}
		lr.line = append(lr.line, c)
	default:
		lr.line = append(lr.line, c)
	}
	return false
}

// cmdVerbMaxLen bounds a command verb. RFC 959 verbs have three or four
// letters; a little room is left for extensions.
const cmdVerbMaxLen = 8

// ParseCommand splits a control line into its verb, upper-cased, and its
// argument. The argument is everything after the first space, inner and
// trailing spaces kept, since file names may begin or end with spaces. A
// verb must be 3 to 8 ASCII letters; the argument must be valid UTF-8.
func ParseCommand(line string) (verb, arg string, err error) {
	v := line
	for i := 0; i < len(line); i++ {
		if line[i] == ' ' {
			v, arg = line[:i], line[i+1:]
			break
		}
	}
	if len(v) < 3 || len(v) > cmdVerbMaxLen {
		return "", "", ErrInvalidVerb
	}
	var up [cmdVerbMaxLen]byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		default:
			return "", "", ErrInvalidVerb
		}
		up[i] = c
	}
	if !utf8.ValidString(arg) {
		return "", "", ErrInvalidUTF8
	}
	return string(up[:len(v)]), arg, nil
}
