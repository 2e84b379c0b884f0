package user

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// PathRule gives Rights at a virtual path and everything below it, until a
// longer rule takes over.
type PathRule struct {
	Path   string
	Rights Rights
}

// String renders the rule as "/path=rights", the form ParsePathRule reads.
func (r PathRule) String() string { return r.Path + "=" + r.Rights.String() }

// ErrInvalidPath is wrapped by CleanVirtualPath errors.
var ErrInvalidPath = errors.New("invalid virtual path")

// CleanVirtualPath checks and normalises a virtual path given by an
// administrator: it must be absolute, without "." or ".." elements, NUL or
// control characters; a trailing slash is dropped.
func CleanVirtualPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w %q: must start with /", ErrInvalidPath, p)
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("%w %q: control characters are not allowed", ErrInvalidPath, p)
		}
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." {
			return "", fmt.Errorf("%w %q: \".\" and \"..\" are not allowed", ErrInvalidPath, p)
		}
	}
	return path.Clean(p), nil
}

// ParsePathRule reads "/path=rights" ("/incoming=upload,mkdir").
func ParsePathRule(s string) (PathRule, error) {
	p, rights, ok := strings.Cut(s, "=")
	if !ok {
		return PathRule{}, fmt.Errorf("%q: want /PATH=RIGHTS, for example /incoming=upload", s)
	}
	clean, err := CleanVirtualPath(strings.TrimSpace(p))
	if err != nil {
		return PathRule{}, err
	}
	r, err := ParseRights(rights)
	if err != nil {
		return PathRule{}, fmt.Errorf("%q: %w", s, err)
	}
	return PathRule{Path: clean, Rights: r}, nil
}

// Rules is a set of path rules with at most one rule per path.
type Rules []PathRule

// Set returns rs with rule added, replacing any rule for the same path. The
// result is sorted by path.
func (rs Rules) Set(rule PathRule) Rules {
	out := rs.Unset(rule.Path)
	out = append(out, rule)
	slices.SortFunc(out, func(a, b PathRule) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Unset returns rs without the rule for p.
func (rs Rules) Unset(p string) Rules {
	out := make(Rules, 0, len(rs))
	for _, r := range rs {
		if r.Path != p {
			out = append(out, r)
		}
	}
	return out
}

// Lookup returns the rule for exactly p.
func (rs Rules) Lookup(p string) (PathRule, bool) {
	for _, r := range rs {
		if r.Path == p {
			return r, true
		}
	}
	return PathRule{}, false
}

// Covers reports whether rule path p applies to virtual path name: p is
// name itself or one of its ancestors.
func Covers(p, name string) bool {
	if p == "/" || p == name {
		return true
	}
	return strings.HasPrefix(name, p) && name[len(p)] == '/'
}
