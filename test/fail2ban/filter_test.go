package fail2ban

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// filterPath is the filter under test, relative to this package.
const filterPath = "../../contrib/fail2ban/filter.d/bulwark.conf"

// Fail2Ban's host tags (fail2ban/server/failregex.py) in Go syntax. Go's
// regexp has no look-behind; Fail2Ban ends an IPv6 address with
// "(?<=:):", a colon after a colon, and every repetition before it already
// ends with a colon, so a plain ":" matches the same addresses.
const (
	goIPv4   = `(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})`
	goIPv6   = `(?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:))`
	goDNS    = `(?P<dns>[\w\-.^_]*\w)`
	goHost   = `(?:\[?(?:` + goIPv4 + `|` + goIPv6 + `)\]?|` + goDNS + `)`
	goSubnet = `\[?(?:` + goIPv4 + `|` + goIPv6 + `)(?:/(?P<cidr>\d+))?\]?`
)

// Fail2Ban's date directives (fail2ban/server/strptime.py) in Go syntax,
// for the ones a Bulwark datepattern may use.
var goDate = map[string]string{
	"Y": `\d{4}`,
	"m": `(?:0?[1-9]|1[0-2])`,
	"d": `(?:[1-2]\d|[0 ]?[1-9]|3[0-1])`,
	"H": `(?:[0-1]?\d|2[0-3])`,
	"M": `[0-5]?\d`,
	"S": `(?:[0-5]?\d|6[0-1])`,
	"f": `[0-9]{1,6}`,
	"z": `(?:Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)`,
}

// filter is a Fail2Ban filter file read for one mode.
type filter struct {
	dates []*regexp.Regexp
	fails []*regexp.Regexp
}

// loadFilter reads the [Definition] section of path and builds the filter
// for mode ("" keeps the file's own mode).
func loadFilter(t testing.TB, path, mode string) *filter {
	t.Helper()
	opts, err := readDefinition(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode != "" {
		opts["mode"] = mode
	}
	f := &filter{}
	for _, line := range mustLines(t, opts, "datepattern") {
		re, err := dateToGo(line)
		if err != nil {
			t.Fatalf("datepattern %q: %v", line, err)
		}
		f.dates = append(f.dates, re)
	}
	for _, line := range mustLines(t, opts, "failregex") {
		re, err := failToGo(line)
		if err != nil {
			t.Fatalf("failregex %q: %v", line, err)
		}
		f.fails = append(f.fails, re)
	}
	return f
}

func mustLines(t testing.TB, opts map[string]string, key string) []string {
	t.Helper()
	v, ok := opts[key]
	if !ok {
		t.Fatalf("%s: no %s", filterPath, key)
	}
	s, err := expand(v, opts)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: empty", key)
	}
	return out
}

// readDefinition reads the options of the [Definition] section as
// Python's configparser does: "key = value", values continued on indented
// lines, whole-line comments starting with "#" or ";".
func readDefinition(path string) (map[string]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	opts := map[string]string{}
	section, key := "", ""
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
			key = ""
		case line[0] == '#' || line[0] == ';':
		case raw[0] == ' ' || raw[0] == '\t':
			if key == "" {
				return nil, fmt.Errorf("%s:%d: continuation line without a key", path, n)
			}
			if section == "Definition" {
				opts[key] += "\n" + line
			}
		case line[0] == '[':
			section, key = strings.Trim(line, "[]"), ""
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: not \"key = value\": %q", path, n, line)
			}
			key = strings.TrimSpace(k)
			if section == "Definition" {
				opts[key] = strings.TrimSpace(v)
			}
		}
	}
	return opts, sc.Err()
}

var (
	interpolation = regexp.MustCompile(`%\(([\w\-]+)\)s`)
	tag           = regexp.MustCompile(`<([\w\-]+)>`)
)

// expand substitutes %(name)s and <name> with the options of that name
// until nothing changes, innermost tags first as Fail2Ban does; tags that
// are no option (<HOST>) stay. "%%" becomes "%".
func expand(s string, opts map[string]string) (string, error) {
	for range 20 {
		prev := s
		var missing string
		s = interpolation.ReplaceAllStringFunc(s, func(m string) string {
			name := interpolation.FindStringSubmatch(m)[1]
			v, ok := opts[name]
			if !ok {
				missing = name
				return m
			}
			return v
		})
		if missing != "" {
			return "", fmt.Errorf("%%(%s)s: no such option", missing)
		}
		s = tag.ReplaceAllStringFunc(s, func(m string) string {
			if v, ok := opts[tag.FindStringSubmatch(m)[1]]; ok {
				return v
			}
			return m
		})
		if s == prev {
			return strings.ReplaceAll(s, "%%", "%"), nil
		}
	}
	return "", fmt.Errorf("substitution does not end: %q", s)
}

// failToGo compiles a failregex with its <HOST> or <SUBNET> tag.
func failToGo(line string) (*regexp.Regexp, error) {
	for _, m := range tag.FindAllString(line, -1) {
		if m != "<HOST>" && m != "<SUBNET>" {
			return nil, fmt.Errorf("tag %s not known to this test", m)
		}
	}
	s := strings.ReplaceAll(line, "<HOST>", goHost)
	s = strings.ReplaceAll(s, "<SUBNET>", goSubnet)
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, err
	}
	if re.SubexpIndex("ip4") < 0 {
		return nil, fmt.Errorf("no <HOST> or <SUBNET>")
	}
	return re, nil
}

var directive = regexp.MustCompile(`%(.)`)

// dateToGo compiles a datepattern's directives (%Y, %m...).
func dateToGo(line string) (*regexp.Regexp, error) {
	var unknown string
	s := directive.ReplaceAllStringFunc(line, func(m string) string {
		re, ok := goDate[m[1:]]
		if !ok {
			unknown = m
		}
		return re
	})
	if unknown != "" {
		return nil, fmt.Errorf("directive %s not known to this test", unknown)
	}
	return regexp.Compile(s)
}

// find applies the filter to a log line as Fail2Ban does: the text the
// first matching datepattern matched is cut out, then the first failregex
// that matches names the address (with "/bits" for a subnet). dated says
// whether a datepattern matched.
func (f *filter) find(line string) (addr string, found, dated bool) {
	for _, d := range f.dates {
		if loc := d.FindStringIndex(line); loc != nil {
			line = line[:loc[0]] + line[loc[1]:]
			dated = true
			break
		}
	}
	addr, found = f.findUndated(line)
	return addr, found, dated
}

// findUndated applies the failregex lines alone, as for a journal entry
// whose time the journal gives.
func (f *filter) findUndated(line string) (string, bool) {
	for _, re := range f.fails {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		group := func(name string) string {
			if i := re.SubexpIndex(name); i >= 0 {
				return m[i]
			}
			return ""
		}
		addr := group("ip4") + group("ip6") + group("dns")
		if c := group("cidr"); c != "" {
			addr += "/" + c
		}
		return addr, true
	}
	return "", false
}

// The filter on lines written by hand, including ones a client tries to
// forge through its user name.
func TestFilterOnSampleLines(t *testing.T) {
	tests := []struct {
		line              string
		normal, bans, agg string
	}{
		{`time=2026-11-29T10:46:19.753Z level=WARN msg="login failed" session=5f78992f14d9 client=203.0.113.7 user=alice reason=bad_password tls=true tls_version=TLS1.3`,
			"203.0.113.7", "", "203.0.113.7"},
		{`time=2026-11-29T11:46:19.753+01:00 level=WARN msg="login failed" session=5f78992f14d9 client=2001:db8::7 user=bob reason=unknown_user tls=false`,
			"2001:db8::7", "", "2001:db8::7"},
		{`time=2026-11-29T10:46:19.753Z level=WARN msg="login failed" session=ab client=::ffff:192.0.2.1 user=x reason=bad_password`,
			"192.0.2.1", "", "192.0.2.1"},
		{`time=2026-11-29T10:46:19.753Z level=WARN msg="login failed" session=ab client=198.51.100.1 user="x client=9.9.9.9 y" reason=unknown_user`,
			"198.51.100.1", "", "198.51.100.1"},
		{`time=2026-11-29T10:46:19.753Z level=INFO msg="login succeeded" session=ab client=198.51.100.2 user="level=WARN msg=\"login failed\" session=x client=9.9.9.9 "`,
			"", "", ""},
		{`time=2026-11-29T10:46:19.753Z level=ERROR msg="login failed" session=ab client=198.51.100.3 user=a reason="store unavailable"`,
			"", "", ""},
		{`time=2026-11-29T10:46:21.102Z level=WARN msg="address banned" prefix=203.0.113.7/32 reason="score 20" level=1 until=2026-11-29T11:01:21Z`,
			"", "203.0.113.7/32", "203.0.113.7/32"},
		{`time=2026-11-29T10:46:21.102Z level=WARN msg="address banned" prefix=2001:db8:1:2::/64 reason="honeypot user root" level=2 until=permanent`,
			"", "2001:db8:1:2::/64", "2001:db8:1:2::/64"},
		{`{"time":"2026-11-29T10:46:19.753412345Z","level":"WARN","msg":"login failed","session":"5f","client":"198.51.100.4","user":"bob"}`,
			"198.51.100.4", "", "198.51.100.4"},
		{`{"time":"2026-11-29T10:46:19.7Z","level":"WARN","msg":"login failed","session":"5f","client":"198.51.100.5","user":"\",\"client\":\"9.9.9.9\""}`,
			"198.51.100.5", "", "198.51.100.5"},
		{`{"time":"2026-11-29T10:46:19.753412345+02:00","level":"WARN","msg":"address banned","prefix":"198.51.100.0/24","reason":"x"}`,
			"", "198.51.100.0/24", "198.51.100.0/24"},
		{`{"time":"2026-11-29T10:46:19Z","level":"INFO","msg":"login succeeded","session":"5f","client":"198.51.100.6"}`,
			"", "", ""},
	}
	filters := map[string]*filter{}
	for _, mode := range []string{"normal", "bans", "aggressive"} {
		filters[mode] = loadFilter(t, filterPath, mode)
	}
	for _, tt := range tests {
		for mode, want := range map[string]string{"normal": tt.normal, "bans": tt.bans, "aggressive": tt.agg} {
			got, found, dated := filters[mode].find(tt.line)
			if !dated {
				t.Errorf("%s: no datepattern matched %s", mode, tt.line)
			}
			if got != want || found != (want != "") {
				t.Errorf("%s: find(%s) = %q, %v; want %q", mode, tt.line, got, found, want)
			}
			// From the journal: no date cut, a "host unit[pid]:" prefix.
			got, _ = filters[mode].findUndated("myhost bulwark[4242]: " + tt.line)
			if got != want {
				t.Errorf("%s: journal line %s = %q, want %q", mode, tt.line, got, want)
			}
		}
	}
}

// The file's default mode is "normal".
func TestFilterDefaultMode(t *testing.T) {
	f := loadFilter(t, filterPath, "")
	n := loadFilter(t, filterPath, "normal")
	if len(f.fails) != len(n.fails) || f.fails[0].String() != n.fails[0].String() {
		t.Errorf("default mode differs from normal: %v vs %v", f.fails, n.fails)
	}
}
