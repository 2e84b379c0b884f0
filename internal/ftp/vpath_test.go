package ftp

import (
	"path"
	"strings"
	"testing"
)

func TestResolvePath(t *testing.T) {
	tests := []struct{ cwd, arg, want string }{
		{"/", "", "/"},
		{"/a/b", "", "/a/b"},
		{"/a/b", "c", "/a/b/c"},
		{"/a/b", "./c/", "/a/b/c"},
		{"/a/b", "..", "/a"},
		{"/a/b", "../../../..", "/"},
		{"/a/b", "/x/../../y", "/y"},
		{"/a/b", "/", "/"},
		{"/a/b", "//x//y/", "/x/y"},
		{"/", "..\\..", "/..\\.."},
		{"/", "a\\..\\b", "/a\\..\\b"},
		{"/", "...", "/..."},
		{"/a", " b ", "/a/ b "},
		{"", "x", "/x"},
		{"a/../..", "x", "/x"},
	}
	for _, tt := range tests {
		if got := ResolvePath(tt.cwd, tt.arg); got != tt.want {
			t.Errorf("ResolvePath(%q, %q) = %q, want %q", tt.cwd, tt.arg, got, tt.want)
		}
	}
}

func FuzzResolvePath(f *testing.F) {
	f.Add("/", "../etc/passwd")
	f.Add("/a/b", "./c/../../d")
	f.Add("/a", "//x/./y/")
	f.Add("/", "..\\..\\x")
	f.Fuzz(func(t *testing.T, cwdArg, arg string) {
		// The session only ever holds a working directory it resolved itself.
		cwd := ResolvePath("/", cwdArg)
		got := ResolvePath(cwd, arg)
		if !strings.HasPrefix(got, "/") || path.Clean(got) != got {
			t.Fatalf("ResolvePath(%q, %q) = %q: not absolute and clean", cwd, arg, got)
		}
		for _, elem := range strings.Split(got, "/") {
			if elem == ".." || elem == "." {
				t.Fatalf("ResolvePath(%q, %q) = %q: has a dot element", cwd, arg, got)
			}
		}
		if again := ResolvePath(got, ""); again != got {
			t.Fatalf("ResolvePath(%q, \"\") = %q: not stable", got, again)
		}
		if arg == "" && got != cwd {
			t.Fatalf("ResolvePath(%q, \"\") = %q, want cwd", cwd, got)
		}
	})
}
