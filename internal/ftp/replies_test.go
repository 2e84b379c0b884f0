package ftp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
)

func TestFormatReply(t *testing.T) {
	for _, tc := range []struct {
		code  int
		lines []string
		want  string
	}{
		{200, []string{"OK"}, "200 OK\r\n"},
		{200, nil, "200 \r\n"},
		{211, []string{"Features:", "SIZE", "End"}, "211-Features:\r\n SIZE\r\n211 End\r\n"},
		{214, []string{"a", "200 looks like an end", "b"}, "214-a\r\n 200 looks like an end\r\n214 b\r\n"},
		{550, []string{"bad\r\n226 forged"}, "550 bad  226 forged\r\n"},
		{230, []string{"line\x00", "last"}, "230-line \r\n230 last\r\n"},
	} {
		if got := string(formatReply(tc.code, tc.lines)); got != tc.want {
			t.Errorf("formatReply(%d, %q) = %q, want %q", tc.code, tc.lines, got, tc.want)
		}
	}
}

type pubErr struct {
	code int
	text string
}

func (p pubErr) Error() string { return "private detail /srv/secret" }
func (p pubErr) FTPCode() int  { return p.code }
func (p pubErr) Reply() string { return p.text }

func TestErrorReply(t *testing.T) {
	for _, tc := range []struct {
		err      error
		fallback int
		code     int
		text     string
	}{
		{fs.ErrNotExist, 550, 550, textNotFound},
		{&fs.PathError{Op: "open", Path: "/srv/x", Err: os.ErrNotExist}, 451, 550, textNotFound},
		{fs.ErrPermission, 550, 550, textDenied},
		{fmt.Errorf("wrapped: %w", fs.ErrExist), 550, 550, textExists},
		{errors.New("disk /dev/sda on fire"), 550, 550, textLocalError},
		{errors.New("disk /dev/sda on fire"), 451, 451, textLocalError},
		{pubErr{552, "Quota exceeded"}, 451, 552, "Quota exceeded"},
		{fmt.Errorf("ctx: %w", pubErr{553, "Name not allowed"}), 550, 553, "Name not allowed"},
		{pubErr{0, "Refused"}, 550, 550, "Refused"},
		{pubErr{226, "not an error code"}, 451, 451, "not an error code"},
		{pubErr{550, "two\r\nlines"}, 451, 550, "two  lines"},
		{pubErr{550, ""}, 451, 550, textLocalError},
		// A path through a file, a link loop or an over-long name is the
		// client's mistake: said plainly, never "local error".
		{&fs.PathError{Op: "stat", Path: "/f/x", Err: syscall.ENOTDIR}, 550, 550, textNotDir},
		{&fs.PathError{Op: "stat", Path: "/loop", Err: syscall.ELOOP}, 451, 550, "Too many levels of symbolic links"},
		{&fs.PathError{Op: "open", Path: "/n", Err: syscall.ENAMETOOLONG}, 550, 553, "File name too long"},
	} {
		code, text := errorReply(tc.err, tc.fallback)
		if code != tc.code || text != tc.text {
			t.Errorf("errorReply(%v, %d) = %d %q, want %d %q", tc.err, tc.fallback, code, text, tc.code, tc.text)
		}
	}
}

func TestQuotePath(t *testing.T) {
	for in, want := range map[string]string{
		"/":        `"/"`,
		`/a"b`:     `"/a""b"`,
		`/""`:      `"/"""""`,
		"/new\nln": `"/new?ln"`,
	} {
		if got := quotePath(in); got != want {
			t.Errorf("quotePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestListOptions(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"-la":         "",
		"-la /dir":    "/dir",
		"-a -l  dir":  "dir",
		"dir":         "dir",
		"dir -la":     "dir -la",
		"-":           "",
		"my file.txt": "my file.txt",
	} {
		if got := listOptions(in); got != want {
			t.Errorf("listOptions(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFeatureLines(t *testing.T) {
	if got := mlstFeature([]string{"size", "type"}); got != "MLST type*;size*;modify;perm;unix.mode;" {
		t.Errorf("mlstFeature = %q", got)
	}
	if got := hashFeature("MD5"); got != "HASH SHA-256;SHA-1;MD5*" {
		t.Errorf("hashFeature = %q", got)
	}
	for _, alg := range hashAlgorithms() {
		if newHash(alg) == nil {
			t.Errorf("no hash for advertised %s", alg)
		}
	}
}

func TestCommandTable(t *testing.T) {
	cmds := commandTable()
	for verb, c := range cmds {
		if c.handler == nil {
			t.Errorf("%s has no handler", verb)
		}
		if c.opensData && !c.needsLogin {
			t.Errorf("%s opens a data connection before login", verb)
		}
	}
	// Only these may run while a transfer runs (RFC 959 §4.1.3: ABOR,
	// STAT; NOOP and QUIT are harmless).
	for verb, c := range cmds {
		want := verb == "ABOR" || verb == "STAT" || verb == "NOOP" || verb == "QUIT"
		if c.duringTransfer != want {
			t.Errorf("%s duringTransfer = %v", verb, c.duringTransfer)
		}
	}
	for _, verb := range []string{"USER", "PASS", "AUTH", "PBSZ", "PROT", "FEAT", "HOST", "QUIT", "NOOP", "SYST", "HELP", "OPTS"} {
		if cmds[verb].needsLogin {
			t.Errorf("%s needs login but must work before it", verb)
		}
	}
}

func TestShortError(t *testing.T) {
	long := errors.New(strings.Repeat("é", 300))
	got := shortError(long)
	if len(got) > maxLoggedError+len("…") || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Fatalf("shortError cut badly: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if shortError(errors.New("short")) != "short" {
		t.Fatal("short errors must stay whole")
	}
}
