package ftp

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// readAllLines reads lines until an error and returns them with that error.
func readAllLines(r io.Reader, limit int) ([]string, error) {
	lr := NewLineReader(r, limit)
	var lines []string
	for {
		l, err := lr.ReadLine()
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  error
	}{
		{"crlf", "USER bob\r\nPASS x\r\n", []string{"USER bob", "PASS x"}, io.EOF},
		{"bare lf", "USER bob\nPWD\n", []string{"USER bob", "PWD"}, io.EOF},
		{"empty lines", "\r\n\n", []string{"", ""}, io.EOF},
		{"trailing spaces kept", "CWD a  \r\n", []string{"CWD a  "}, io.EOF},
		{"partial at eof", "NOOP\r\nQU", []string{"NOOP"}, io.ErrUnexpectedEOF},
		{"lone cr at eof", "\r", nil, io.ErrUnexpectedEOF},
		{"empty stream", "", nil, io.EOF},
		{"iac iac is 0xff", "CWD a\xff\xffb\r\n", []string{"CWD a\xffb"}, io.EOF},
		{"synch before abor", "\xff\xf4\xff\xf2ABOR\r\n", []string{"ABOR"}, io.EOF},
		{"synch with urgent iac removed", "\xff\xf4\xf2ABOR\r\n", []string{"ABOR"}, io.EOF},
		{"dm without ip kept", "\xf2ABOR\r\n", []string{"\xf2ABOR"}, io.EOF},
		{"synch with urgent dm removed", "\xff\xf4\xffABOR\r\n", []string{"ABOR"}, io.EOF},
		{"option negotiation dropped", "\xff\xfb\x01NO\xff\xfe\x0aOP\r\n", []string{"NOOP"}, io.EOF},
		{"option byte may be lf", "\xff\xfd\nPWD\r\n", []string{"PWD"}, io.EOF},
		{"nop and ayt dropped", "P\xff\xf1W\xff\xf6D\r\n", []string{"PWD"}, io.EOF},
		{"subnegotiation dropped", "P\xff\xfa\x18\x00xterm\n\xff\xff\xff\xf0WD\r\n", []string{"PWD"}, io.EOF},
		{"cr nul is cr", "CWD a\r\x00b\r\n", []string{"CWD a\rb"}, io.EOF},
		{"other nul dropped", "CW\x00D a\x00\r\n", []string{"CWD a"}, io.EOF},
		{"cr then other byte kept", "CWD a\rb\r\n", []string{"CWD a\rb"}, io.EOF},
		{"double cr", "CWD a\r\r\n", []string{"CWD a\r"}, io.EOF},
		{"iac between cr and lf", "PWD\r\xff\xf1\n", []string{"PWD"}, io.EOF},
		{"utf8 kept", "CWD répertoire\r\n", []string{"CWD répertoire"}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				got, err := readAllLines(r, 64)
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
					t.Fatalf("lines = %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func TestLineReaderTooLong(t *testing.T) {
	in := "NOOP\r\n" + strings.Repeat("A", 100) + "\r\nPWD\r\n" + strings.Repeat("\xff\xf1", 40) + "X\r\nQUIT\r\n"
	lr := NewLineReader(strings.NewReader(in), 10)
	want := []struct {
		line string
		err  error
	}{{"NOOP", nil}, {"", ErrLineTooLong}, {"PWD", nil}, {"", ErrLineTooLong}, {"QUIT", nil}, {"", io.EOF}}
	for i, w := range want {
		l, err := lr.ReadLine()
		if l != w.line || !errors.Is(err, w.err) {
			t.Fatalf("read %d = %q, %v; want %q, %v", i, l, err, w.line, w.err)
		}
	}
}

func TestLineReaderLimitIsInclusive(t *testing.T) {
	lr := NewLineReader(strings.NewReader("0123456789\r\n01234567890\r\n"), 10)
	if l, err := lr.ReadLine(); err != nil || l != "0123456789" {
		t.Fatalf("line of exactly the limit: %q, %v", l, err)
	}
	if _, err := lr.ReadLine(); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("line over the limit: err = %v", err)
	}
}

// endlessReader never ends a line: ReadLine must give up within the limit.
type endlessReader struct{ b byte }

func (e endlessReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.b
	}
	return len(p), nil
}

func TestLineReaderEndlessInputIsBounded(t *testing.T) {
	for _, b := range []byte{'A', 0, tnIAC} {
		lr := NewLineReader(endlessReader{b}, 512)
		if _, err := lr.ReadLine(); !errors.Is(err, ErrLineTooLong) {
			t.Fatalf("byte %#x: err = %v, want ErrLineTooLong", b, err)
		}
	}
}

// timeoutOnce returns its error once, then the rest of its data.
type timeoutOnce struct {
	parts []string
	err   error
}

var errTestTimeout = errors.New("timeout")

func (t *timeoutOnce) Read(p []byte) (int, error) {
	if len(t.parts) == 0 {
		return 0, io.EOF
	}
	s := t.parts[0]
	t.parts = t.parts[1:]
	if s == "" {
		return 0, errTestTimeout
	}
	return copy(p, s), nil
}

func TestLineReaderResumesAfterReadError(t *testing.T) {
	lr := NewLineReader(&timeoutOnce{parts: []string{"US", "", "ER x\r", "", "\nPWD\r\n"}}, 64)
	var got []string
	for range 10 {
		l, err := lr.ReadLine()
		if errors.Is(err, errTestTimeout) {
			continue
		}
		if err != nil {
			break
		}
		got = append(got, l)
	}
	if strings.Join(got, "|") != "USER x|PWD" {
		t.Fatalf("lines = %q", got)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		line, verb, arg string
		err             error
	}{
		{"USER bob", "USER", "bob", nil},
		{"user bob", "USER", "bob", nil},
		{"PwD", "PWD", "", nil},
		{"PWD ", "PWD", "", nil},
		{"CWD  lead", "CWD", " lead", nil},
		{"STOR name with spaces  ", "STOR", "name with spaces  ", nil},
		{"RETR café", "RETR", "café", nil},
		{"SITE CHMOD 644 x", "SITE", "CHMOD 644 x", nil},
		{"XCHECKSU x", "XCHECKSU", "x", nil},
		{"", "", "", ErrInvalidVerb},
		{" USER bob", "", "", ErrInvalidVerb},
		{"US", "", "", ErrInvalidVerb},
		{"TOOLONGVERB x", "", "", ErrInvalidVerb},
		{"US3R bob", "", "", ErrInvalidVerb},
		{"\xf2ABOR", "", "", ErrInvalidVerb},
		{"CWD \xff\xfe", "", "", ErrInvalidUTF8},
		{"CWD a\rb", "CWD", "a\rb", nil},
	}
	for _, tt := range tests {
		verb, arg, err := ParseCommand(tt.line)
		if verb != tt.verb || arg != tt.arg || !errors.Is(err, tt.err) {
			t.Errorf("ParseCommand(%q) = %q, %q, %v; want %q, %q, %v", tt.line, verb, arg, err, tt.verb, tt.arg, tt.err)
		}
	}
}

// readLinesPastLimit reads like readAllLines but carries on after
// ErrLineTooLong, which it records as the line "<too long>".
func readLinesPastLimit(r io.Reader, limit int) ([]string, error) {
	lr := NewLineReader(r, limit)
	var lines []string
	for {
		l, err := lr.ReadLine()
		if errors.Is(err, ErrLineTooLong) {
			lines = append(lines, "<too long>")
			continue
		}
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
	}
}

func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"USER anonymous\r\nPASS x\r\n",
		"\xff\xf4\xff\xf2ABOR\r\n",
		"CWD a\r\x00b\r\n\nRETR  x \n",
		"P\xff\xfa\x18\x00xterm\xff\xf0WD\r\n",
	} {
		f.Add([]byte(s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		max := int(limit%300) + 1
		whole, werr := readLinesPastLimit(strings.NewReader(string(data)), max)
		bytewise, berr := readLinesPastLimit(iotest.OneByteReader(strings.NewReader(string(data))), max)
		if werr != berr || len(whole) != len(bytewise) {
			t.Fatalf("chunking changed the result: %q %v vs %q %v", whole, werr, bytewise, berr)
		}
		for i, line := range whole {
			if line != bytewise[i] {
				t.Fatalf("line %d: %q vs %q", i, line, bytewise[i])
			}
			if line == "<too long>" {
				continue
			}
			if len(line) > max || strings.ContainsAny(line, "\n\x00") {
				t.Fatalf("bad line %q (limit %d)", line, max)
			}
			verb, arg, err := ParseCommand(line)
			if err != nil {
				continue
			}
			if len(verb) < 3 || len(verb) > 8 || strings.ToUpper(verb) != verb || !utf8.ValidString(arg) {
				t.Fatalf("ParseCommand(%q) = %q, %q", line, verb, arg)
			}
			rebuilt := line[:len(verb)]
			if len(line) > len(verb) {
				rebuilt += " " + arg
			}
			if !strings.EqualFold(rebuilt, line) || !strings.HasSuffix(line, arg) {
				t.Fatalf("ParseCommand(%q) = %q, %q does not rebuild the line", line, verb, arg)
			}
		}
	})
}

func BenchmarkLineReader(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString("RETR /some/directory/with a longer/file name.txt\r\nNOOP\r\n")
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		lr := NewLineReader(strings.NewReader(data), 4096)
		for {
			if _, err := lr.ReadLine(); err != nil {
				break
			}
		}
	}
}
