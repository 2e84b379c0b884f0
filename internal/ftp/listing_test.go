package ftp

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"
)

// listingTestInfo is an fs.FileInfo built from plain values.
type listingTestInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (i listingTestInfo) Name() string       { return i.name }
func (i listingTestInfo) Size() int64        { return i.size }
func (i listingTestInfo) Mode() fs.FileMode  { return i.mode }
func (i listingTestInfo) ModTime() time.Time { return i.mtime }
func (i listingTestInfo) IsDir() bool        { return i.mode.IsDir() }
func (i listingTestInfo) Sys() any           { return nil }

func TestSafeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain.txt", "plain.txt"},
		{" spaced name ", " spaced name "},
		{"café ☕", "café ☕"},
		{"evil\r\n226 done", "evil??226 done"},
		{"a\nb", "a?b"},
		{"tab\there", "tab?here"},
		{"del\x7f", "del?"},
		{"nel\u0085x", "nel?x"},
		{"bad\xff\xfeutf8", "bad??utf8"},
		{"replacement\uFFFDchar", "replacement\uFFFDchar"},
		{"", "?"},
	}
	for _, tt := range tests {
		if got := SafeName(tt.in); got != tt.want {
			t.Errorf("SafeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := FormatNLSTName(tt.in); got != tt.want {
			t.Errorf("FormatNLSTName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatListLine(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	old := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	future := now.Add(time.Hour)
	tests := []struct {
		fi   listingTestInfo
		want string
	}{
		{listingTestInfo{"file.txt", 1234, 0o644, recent},
			"-rw-r--r--    1 ftp      ftp              1234 Jan 02 15:04 file.txt"},
		{listingTestInfo{"dir", 4096, fs.ModeDir | 0o755, old},
			"drwxr-xr-x    1 ftp      ftp              4096 Jan 02  2025 dir"},
		{listingTestInfo{"soon", 0, 0o600, future},
			"-rw-------    1 ftp      ftp                 0 Mar 10  2026 soon"},
		{listingTestInfo{"link", 7, fs.ModeSymlink | 0o777, recent},
			"lrwxrwxrwx    1 ftp      ftp                 7 Jan 02 15:04 link"},
		{listingTestInfo{"suid", 1, fs.ModeSetuid | fs.ModeSetgid | 0o755, recent},
			"-rwsr-sr-x    1 ftp      ftp                 1 Jan 02 15:04 suid"},
		{listingTestInfo{"tmp", 1, fs.ModeDir | fs.ModeSticky | 0o776, recent},
			"drwxrwxrwT    1 ftp      ftp                 1 Jan 02 15:04 tmp"},
		{listingTestInfo{"fifo", -5, fs.ModeNamedPipe | 0o640, recent},
			"prw-r-----    1 ftp      ftp                 0 Jan 02 15:04 fifo"},
		{listingTestInfo{"evil\r\n-rw-r--r-- 1 x", 1, 0o644, recent},
			"-rw-r--r--    1 ftp      ftp                 1 Jan 02 15:04 evil??-rw-r--r-- 1 x"},
	}
	for _, tt := range tests {
		if got := FormatListLine(tt.fi, now); got != tt.want {
			t.Errorf("FormatListLine(%q) =\n%q, want\n%q", tt.fi.name, got, tt.want)
		}
	}
}

func TestFormatListLineSixMonths(t *testing.T) {
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	in := listingTestInfo{"f", 1, 0o644, now.Add(-180 * 24 * time.Hour)}
	if got := FormatListLine(in, now); !strings.Contains(got, "Jan 02 00:00") {
		t.Errorf("180 days old: %q, want the time form", got)
	}
	in.mtime = now.Add(-190 * 24 * time.Hour)
	if got := FormatListLine(in, now); !strings.Contains(got, "Dec 23  2025") {
		t.Errorf("190 days old: %q, want the year form", got)
	}
}

func TestFormatFacts(t *testing.T) {
	mt := time.Date(2026, 1, 2, 15, 4, 5, 987e6, time.FixedZone("x", 3600))
	file := listingTestInfo{"a.txt", 123, 0o644, mt}
	dir := listingTestInfo{"d", 4096, fs.ModeDir | fs.ModeSetgid | 0o750, mt}
	tests := []struct {
		fi              listingTestInfo
		name, typ, perm string
		enabled         []string
		want            string
	}{
		{file, "a.txt", "file", "adfrw", DefaultFacts(),
			"type=file;size=123;modify=20260102140405;perm=adfrw; a.txt"},
		{file, "a.txt", "file", "", DefaultFacts(),
			"type=file;size=123;modify=20260102140405; a.txt"},
		{dir, "d", "dir", "flcdmpe", SupportedFacts(),
			"type=dir;modify=20260102140405;perm=flcdmpe;unix.mode=2750; d"},
		{dir, "/x/d", "cdir", "el", []string{"unix.mode", "TYPE"},
			"type=cdir;unix.mode=2750; /x/d"},
		{file, " lead and trail ", "file", "r", []string{"size"},
			"size=123;  lead and trail "},
		{file, "a", "file", "r", nil, " a"},
		{file, "evil\r\n250 ok", "fi;le x", "r;w\r", []string{"type", "perm"},
			"type=filex;perm=rw; evil??250 ok"},
		{listingTestInfo{"z", 1, 0o600, time.Time{}}, "z", "file", "", DefaultFacts(),
			"type=file;size=1; z"},
		{listingTestInfo{"z", 1, 0o600, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "z", "file", "", []string{"modify"},
			" z"},
	}
	for _, tt := range tests {
		if got := FormatFacts(tt.fi, tt.name, tt.typ, tt.perm, tt.enabled); got != tt.want {
			t.Errorf("FormatFacts(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFactListsAreFresh(t *testing.T) {
	d := DefaultFacts()
	d[0] = "changed"
	if DefaultFacts()[0] != "type" {
		t.Fatal("DefaultFacts shares its slice")
	}
	s := SupportedFacts()
	for _, f := range DefaultFacts() {
		if !slices.Contains(s, f) {
			t.Fatalf("default fact %q not supported", f)
		}
	}
	s[0] = "changed"
	if SupportedFacts()[0] != "type" {
		t.Fatal("SupportedFacts shares its slice")
	}
}

func FuzzListingName(f *testing.F) {
	f.Add("file.txt", "file", "adfrw", int64(12), uint32(0o644), int64(1767366245))
	f.Add("evil\r\n226 ok", "dir", "el", int64(0), uint32(fs.ModeDir|0o755), int64(0))
	f.Add("", "", "", int64(-1), uint32(fs.ModeSymlink), int64(-62135596800))
	f.Add("\xff\xfe\x00 x ", "f;le", ";\r\n", int64(1<<62), uint32(0xffffffff), int64(253402300800))
	f.Fuzz(func(t *testing.T, name, typ, perm string, size int64, mode uint32, sec int64) {
		fi := listingTestInfo{name, size, fs.FileMode(mode), time.Unix(sec, 0)}
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		lines := map[string]string{
			"LIST": FormatListLine(fi, now),
			"NLST": FormatNLSTName(name),
			"MLSD": FormatFacts(fi, name, typ, perm, SupportedFacts()),
		}
		for kind, line := range lines {
			if strings.ContainsAny(line, "\r\n\x00") {
				t.Fatalf("%s line for %q holds a line break: %q", kind, name, line)
			}
		}
		safe := SafeName(name)
		if safe == "" || strings.ContainsAny(safe, "\r\n\x00") {
			t.Fatalf("SafeName(%q) = %q", name, safe)
		}
		if lines["NLST"] != safe {
			t.Fatalf("NLST %q, want %q", lines["NLST"], safe)
		}
		// The list line has eight fixed fields before the name.
		list := lines["LIST"]
		if !strings.HasSuffix(list, " "+safe) || len(strings.Fields(strings.TrimSuffix(list, " "+safe))) != 8 {
			t.Fatalf("LIST line %q does not end in its name %q after 8 fields", list, safe)
		}
		// The facts end at the first space; the name is all the rest.
		mlsd := lines["MLSD"]
		i := strings.IndexByte(mlsd, ' ')
		if i < 0 || mlsd[i+1:] != safe {
			t.Fatalf("MLSD line %q: name is not %q", mlsd, safe)
		}
		for _, fact := range strings.Split(mlsd[:i], ";") {
			if fact == "" {
				continue
			}
			if k, _, ok := strings.Cut(fact, "="); !ok || k == "" {
				t.Fatalf("MLSD line %q: bad fact %q", mlsd, fact)
			}
		}
		if i > 0 && mlsd[i-1] != ';' {
			t.Fatalf("MLSD line %q: facts do not end in ';'", mlsd)
		}
	})
}
