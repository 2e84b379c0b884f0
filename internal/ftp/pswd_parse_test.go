package ftp

import (
	"strings"
	"testing"
)

func TestParsePSWDArgs(t *testing.T) {
	for _, tc := range []struct {
		arg      string
		old, new string
		ok       bool
	}{
		{"old new", "old", "new", true},
		{"  old   new  ", "old", "new", true},
		{`"old pass" "new pass"`, "old pass", "new pass", true},
		{`"say \"hi\"" "back\\slash"`, `say "hi"`, `back\slash`, true},
		{`"c:\dir" x`, `c:\dir`, "x", true},
		{`p"q r`, `p"q`, "r", true},
		{`"" new`, "", "new", true},
		{`"pässwörd" ñ`, "pässwörd", "ñ", true},
		{`"ends with backslash\\" x`, `ends with backslash\`, "x", true},
		{"tab\tinside x", "tab\tinside", "x", true},
		{"", "", "", false},
		{"one", "", "", false},
		{"a b c", "", "", false},
		{`"old pass" new pass`, "", "", false},
		{`"unterminated b`, "", "", false},
		{`"a"b c`, "", "", false},
		{`a "b\"`, "", "", false},
		{`"a\" b`, "", "", false},
	} {
		old, nw, ok := parsePSWDArgs(tc.arg)
		if ok != tc.ok || old != tc.old || nw != tc.new {
			t.Errorf("parsePSWDArgs(%q) = %q, %q, %v; want %q, %q, %v", tc.arg, old, nw, ok, tc.old, tc.new, tc.ok)
		}
	}
}

// quotePSWD quotes a password the way a client would for SITE PSWD.
func quotePSWD(p string) string {
	p = strings.ReplaceAll(p, `\`, `\\`)
	return `"` + strings.ReplaceAll(p, `"`, `\"`) + `"`
}

func TestLoggableArgHidesPasswords(t *testing.T) {
	for _, tc := range []struct {
		verb, arg string
		want      string
		ok        bool
	}{
		{"PASS", "secret", "", false},
		{"ACCT", "secret", "", false},
		{"SITE", "PSWD old new", "PSWD ****", true},
		{"SITE", "  pswd old new", "PSWD ****", true},
		{"SITE", "\tPsWd\told\tnew", "PSWD ****", true},
		{"SITE", "CHMOD 644 f", "CHMOD 644 f", true},
		{"CWD", "/a b", "/a b", true},
	} {
		got, ok := loggableArg(tc.verb, tc.arg)
		if got != tc.want || ok != tc.ok {
			t.Errorf("loggableArg(%q, %q) = %q, %v; want %q, %v", tc.verb, tc.arg, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzPSWDArgs(f *testing.F) {
	for _, s := range []string{"a b", `"a b" "c\"d"`, `"\\" x`, `"x`, "a b c", `"a"b c`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		old, nw, ok := parsePSWDArgs(arg)
		if !ok {
			if old != "" || nw != "" {
				t.Fatalf("parsePSWDArgs(%q) failed but returned %q, %q", arg, old, nw)
			}
			return
		}
		// Whatever was understood must survive being quoted again.
		old2, nw2, ok2 := parsePSWDArgs(quotePSWD(old) + " " + quotePSWD(nw))
		if !ok2 || old2 != old || nw2 != nw {
			t.Fatalf("parsePSWDArgs(%q) = %q, %q; quoted again: %q, %q, %v", arg, old, nw, old2, nw2, ok2)
		}
	})
}
