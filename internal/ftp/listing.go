package ftp

import (
	"io/fs"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SafeName makes a file name fit for one line of LIST, NLST, MLSD or MLST
// output. A name may hold any byte but "/" and NUL on Unix, so a name with
// CR or LF could otherwise forge listing lines or replies. No encoding for
// LF exists in FTP, so every control character (C0, DEL and C1, which
// includes CR, LF and NEL) and every byte that is not valid UTF-8 is replaced
// by '?'. Nothing is lost by the latter: ParseCommand refuses arguments that
// are not UTF-8 (RFC 2640), so such a name could not be asked for anyway.
// The empty name becomes "?", so the name field is never empty.
//
// The result never contains '\r', '\n' or NUL, and never contains the byte
// 0xFF, which the control connection would otherwise have to escape.
func SafeName(name string) string {
	if name == "" {
		return "?"
	}
	i := 0
	for i < len(name) && name[i] >= 0x20 && name[i] < 0x7f {
		i++
	}
	if i == len(name) {
		return name // printable ASCII, the common case: no copy
	}
	var b strings.Builder
	b.Grow(len(name))
	b.WriteString(name[:i])
	for i < len(name) {
		r, size := utf8.DecodeRuneInString(name[i:])
		if (r == utf8.RuneError && size == 1) || unicode.IsControl(r) {
			b.WriteByte('?')
		} else {
			b.WriteString(name[i : i+size])
		}
		i += size
	}
	return b.String()
}

// FormatNLSTName formats one NLST line, without its CRLF.
func FormatNLSTName(name string) string {
	return SafeName(name)
}

// listSixMonths is the age past which ls shows the year instead of the time.
const listSixMonths = time.Duration(365.2425 / 2 * 24 * float64(time.Hour))

// FormatListLine formats one LIST line, without its CRLF, in the "ls -l"
// form most clients parse:
//
//	-rw-r--r--    1 ftp      ftp             1234 Jan 02 15:04 name
//
// The owner and group are always "ftp", the link count 1. The time is shown
// in now's location; entries older than six months or in the future show
// the year instead ("Jan 02  2025"). A symbolic link shows only its name,
// never its target.
func FormatListLine(fi fs.FileInfo, now time.Time) string {
	mode := fi.Mode()
	size := fi.Size()
	if size < 0 {
		size = 0
	}
	mt := fi.ModTime().In(now.Location())
	layout := "Jan 02 15:04"
	if mt.After(now) || now.Sub(mt) > listSixMonths {
		layout = "Jan 02  2006"
	}
	name := SafeName(fi.Name())

	b := make([]byte, 0, 64+len(name))
	b = listAppendMode(b, mode)
	b = append(b, "    1 ftp      ftp      "...)
	s := strconv.FormatInt(size, 10)
	for n := len(s); n < 12; n++ {
		b = append(b, ' ')
	}
	b = append(b, s...)
	b = append(b, ' ')
	b = listAppendTime(b, mt, layout)
	b = append(b, ' ')
	b = append(b, name...)
	return string(b)
}

// listAppendTime appends mt in layout, or a fixed placeholder for a year
// that does not fit in four digits, so the column count never changes.
func listAppendTime(b []byte, mt time.Time, layout string) []byte {
	if y := mt.Year(); y < 0 || y > 9999 {
		return append(b, "Jan 01  1970"...)
	}
	return mt.AppendFormat(b, layout)
}

// listAppendMode appends the ten-character ls mode, such as "drwxr-xr-x".
// fs.FileMode.String uses Go's own letters, which clients do not parse.
func listAppendMode(b []byte, m fs.FileMode) []byte {
	var t byte
	switch {
	case m&fs.ModeDir != 0:
		t = 'd'
	case m&fs.ModeSymlink != 0:
		t = 'l'
	case m&fs.ModeNamedPipe != 0:
		t = 'p'
	case m&fs.ModeSocket != 0:
		t = 's'
	case m&fs.ModeCharDevice != 0:
		t = 'c'
	case m&fs.ModeDevice != 0:
		t = 'b'
	default:
		t = '-'
	}
	b = append(b, t)
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) != 0 {
			b = append(b, rwx[i])
		} else {
			b = append(b, '-')
		}
	}
	// Set-id and sticky bits replace the execute letters, as in ls.
	special := func(pos int, set bool, exec, noExec byte) {
		if !set {
			return
		}
		if b[len(b)-9+pos] == 'x' {
			b[len(b)-9+pos] = exec
		} else {
			b[len(b)-9+pos] = noExec
		}
	}
	special(2, m&fs.ModeSetuid != 0, 's', 'S')
	special(5, m&fs.ModeSetgid != 0, 's', 'S')
	special(8, m&fs.ModeSticky != 0, 't', 'T')
	return b
}

// The facts Bulwark can give in MLSD and MLST lines (RFC 3659 §7), in the
// order they are written.
const (
	mlstFactType     = "type"
	mlstFactSize     = "size"
	mlstFactModify   = "modify"
	mlstFactPerm     = "perm"
	mlstFactUnixMode = "unix.mode"
)

// DefaultFacts returns the facts shown until a client chooses with
// OPTS MLST. The slice is new on each call.
func DefaultFacts() []string {
	return []string{mlstFactType, mlstFactSize, mlstFactModify, mlstFactPerm}
}

// SupportedFacts returns every fact FormatFacts can write. The slice is new
// on each call.
func SupportedFacts() []string {
	return []string{mlstFactType, mlstFactSize, mlstFactModify, mlstFactPerm, mlstFactUnixMode}
}

// FormatFacts formats one MLSD or MLST entry, without its CRLF (RFC 3659 §7):
//
//	type=file;size=123;modify=20260102150405;perm=adfrw; name
//
// typ is "file", "dir", "cdir" or "pdir". Only facts named in enabled (fact
// names are case-insensitive) are written, always in the order above plus
// unix.mode last, whatever the order of enabled. size is given for files
// only; perm is left out when perm is ""; modify is in UTC, whole seconds
// (some clients cannot parse fractions), and left out for a zero or
// unrepresentable time. Characters that could break the line are dropped
// from typ and perm, and the name goes through SafeName.
func FormatFacts(fi fs.FileInfo, name, typ, perm string, enabled []string) string {
	on := func(fact string) bool {
		for _, e := range enabled {
			if strings.EqualFold(e, fact) {
				return true
			}
		}
		return false
	}
	name = SafeName(name)
	b := make([]byte, 0, 96+len(name))
	if typ = listFactValue(typ); typ != "" && on(mlstFactType) {
		b = append(b, "type="...)
		b = append(b, typ...)
		b = append(b, ';')
	}
	if typ == "file" && on(mlstFactSize) {
		b = append(b, "size="...)
		b = strconv.AppendInt(b, max(fi.Size(), 0), 10)
		b = append(b, ';')
	}
	if mt := fi.ModTime().UTC(); !fi.ModTime().IsZero() && mt.Year() >= 1 && mt.Year() <= 9999 && on(mlstFactModify) {
		b = append(b, "modify="...)
		b = mt.AppendFormat(b, "20060102150405")
		b = append(b, ';')
	}
	if perm = listPermValue(perm); perm != "" && on(mlstFactPerm) {
		b = append(b, "perm="...)
		b = append(b, perm...)
		b = append(b, ';')
	}
	if on(mlstFactUnixMode) {
		b = append(b, "unix.mode="...)
		b = listAppendUnixMode(b, fi.Mode())
		b = append(b, ';')
	}
	b = append(b, ' ')
	b = append(b, name...)
	return string(b)
}

// listFactValue keeps the characters a fact value may hold: printable ASCII
// except ';' (the fact separator) and ' ' (which starts the name).
func listFactValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r >= 0x7f || r == ';' {
			return -1
		}
		return r
	}, v)
}

// listPermValue keeps only the perm letters RFC 3659 §7.5.5 defines.
func listPermValue(v string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("acdeflmprw", r) {
			return r
		}
		return -1
	}, v)
}

// listAppendUnixMode appends the Unix permission bits in octal, four digits,
// with the set-id and sticky bits in the first ("0644", "4755").
func listAppendUnixMode(b []byte, m fs.FileMode) []byte {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	s := strconv.FormatUint(uint64(v), 8)
	for n := len(s); n < 4; n++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
