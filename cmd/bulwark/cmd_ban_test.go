package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// tryAt runs args with the clock fixed at now, whatever their exit code.
func (e *env) tryAt(now time.Time, args ...string) result {
	e.t.Helper()
	return e.runApp(func(a *app) { a.now = func() time.Time { return now } }, "", args...)
}

// okAt is tryAt that fails the test unless args exit 0.
func (e *env) okAt(now time.Time, args ...string) result {
	e.t.Helper()
	r := e.tryAt(now, args...)
	if r.code != exitOK {
		e.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

func listBansJSON(t *testing.T, e *env, now time.Time, extra ...string) []banJSON {
	t.Helper()
	r := e.okAt(now, append([]string{"ban", "list", "--json"}, extra...)...)
	var out []banJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("ban list --json: %v\n%s", err, r.stdout)
	}
	return out
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func TestBanAddListDel(t *testing.T) {
	e := newEnv(t)
	if r := e.okAt(t0, "ban", "list"); strings.TrimSpace(r.stdout) != "no bans" {
		t.Errorf("empty list: %q", r.stdout)
	}
	if got := listBansJSON(t, e, t0); got == nil || len(got) != 0 {
		t.Errorf("empty list --json = %#v, want []", got)
	}

	r := e.okAt(t0, "ban", "add", "203.0.113.7", "--reason", "password guessing")
	if !strings.Contains(r.stdout, "203.0.113.7/32 banned permanently") || !strings.Contains(r.stdout, "within a second") {
		t.Errorf("add output: %q", r.stdout)
	}
	r = e.okAt(t0, "ban", "add", "2001:db8:1:2::/64", "--for", "7d")
	if !strings.Contains(r.stdout, "2001:db8:1:2::/64 banned until") {
		t.Errorf("add --for output: %q", r.stdout)
	}
	e.okAt(t0, "ban", "add", "198.51.100.77/24", "--for", "1h30m")

	bans := listBansJSON(t, e, t0)
	if len(bans) != 3 {
		t.Fatalf("list: %+v", bans)
	}
	// Sorted by address: IPv4 before IPv6.
	want := []struct {
		prefix, reason string
		until          time.Time
	}{
		{"198.51.100.0/24", defaultBanReason, t0.Add(90 * time.Minute)},
		{"203.0.113.7/32", "password guessing", time.Time{}},
		{"2001:db8:1:2::/64", defaultBanReason, t0.Add(7 * 24 * time.Hour)},
	}
	for i, w := range want {
		b := bans[i]
		if b.Prefix != w.prefix || b.Reason != w.reason || !b.Manual || b.Level != 1 || b.Count != 0 || b.Ended {
			t.Errorf("ban %d = %+v, want %s %q", i, b, w.prefix, w.reason)
		}
		if b.First == nil || !b.First.Equal(t0) || b.Last == nil || !b.Last.Equal(t0) {
			t.Errorf("ban %d first/last = %v/%v, want %v", i, b.First, b.Last, t0)
		}
		if w.until.IsZero() {
			if b.Until != nil || !b.Permanent {
				t.Errorf("ban %d until = %v permanent = %v, want permanent", i, b.Until, b.Permanent)
			}
		} else if b.Until == nil || !b.Until.Equal(w.until) || b.Permanent {
			t.Errorf("ban %d until = %v, want %v", i, b.Until, w.until)
		}
	}
	// The JSON field names are stable.
	r = e.okAt(t0, "ban", "list", "--json")
	for _, key := range []string{`"prefix"`, `"reason"`, `"first"`, `"last"`, `"count"`, `"level"`, `"until": null`, `"permanent": true`, `"manual": true`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("list --json lacks %s:\n%s", key, r.stdout)
		}
	}

	r = e.okAt(t0, "ban", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "PREFIX") || !strings.Contains(lines[0], "UNTIL") ||
		!strings.Contains(lines[2], "203.0.113.7/32") || !strings.Contains(lines[2], "password guessing") ||
		!strings.Contains(lines[2], "permanent") || !strings.Contains(lines[2], "yes") {
		t.Errorf("list:\n%s", r.stdout)
	}

	// A timed ban that has ended is listed only with --all.
	later := t0.Add(2 * time.Hour)
	if bans := listBansJSON(t, e, later); len(bans) != 2 {
		t.Errorf("list after the 1h30m ban ended: %+v", bans)
	}
	all := listBansJSON(t, e, later, "--all")
	if len(all) != 3 || all[0].Prefix != "198.51.100.0/24" || !all[0].Ended {
		t.Errorf("list --all: %+v", all)
	}
	if r := e.okAt(later, "ban", "list", "--all"); !strings.Contains(r.stdout, "(ended)") {
		t.Errorf("list --all text:\n%s", r.stdout)
	}

	// Replacing a ban says so; the new one wins.
	r = e.okAt(t0, "ban", "add", "203.0.113.7", "--for", "1h")
	if !strings.Contains(r.stdout, "replaced") {
		t.Errorf("re-add output: %q", r.stdout)
	}

	r = e.okAt(t0, "ban", "del", "203.0.113.7")
	if !strings.Contains(r.stdout, "ban of 203.0.113.7/32 lifted") {
		t.Errorf("del output: %q", r.stdout)
	}
	// An IPv6 address inside a banned /64: the network's ban is lifted,
	// and the output says which.
	r = e.okAt(t0, "ban", "del", "2001:db8:1:2::99")
	if !strings.Contains(r.stdout, "ban of 2001:db8:1:2::/64 lifted") || !strings.Contains(r.stdout, "2001:db8:1:2::99") ||
		!strings.Contains(r.stdout, "ipv6_prefix = 64") {
		t.Errorf("del of an IPv6 address: %q", r.stdout)
	}
	if bans := listBansJSON(t, e, t0); len(bans) != 1 || bans[0].Prefix != "198.51.100.0/24" {
		t.Errorf("after del: %+v", bans)
	}

	// An address inside a wider ban is not lifted on its own.
	r = e.tryAt(t0, "ban", "del", "198.51.100.5")
	if r.code != exitError || !strings.Contains(r.stderr, "within the ban of 198.51.100.0/24") {
		t.Errorf("del inside a network: exit %d, %q", r.code, r.stderr)
	}
	r = e.tryAt(t0, "ban", "del", "192.0.2.1")
	if r.code != exitError || !strings.Contains(r.stderr, "192.0.2.1/32: not banned") {
		t.Errorf("del of an address never banned: exit %d, %q", r.code, r.stderr)
	}
	e.okAt(t0, "ban", "del", "198.51.100.0/24")
	if bans := listBansJSON(t, e, t0, "--all"); len(bans) != 0 {
		t.Errorf("after deleting everything: %+v", bans)
	}
}

func TestBanStoredAsTheServerReadsIt(t *testing.T) {
	e := newEnv(t)
	e.okAt(t0, "ban", "add", "::ffff:192.0.2.9", "--for", "1d12h", "--reason", "scanner")
	st := e.db()
	bans, err := st.ListBans(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := store.Ban{Prefix: "192.0.2.9/32", Reason: "scanner", First: t0, Last: t0, Level: 1, Manual: true,
		Until: t0.Add(36 * time.Hour)}
	if len(bans) != 1 || bans[0].Prefix != want.Prefix || bans[0].Reason != want.Reason || !bans[0].First.Equal(t0) ||
		!bans[0].Until.Equal(want.Until) || !bans[0].Manual || bans[0].Level != 1 {
		t.Errorf("stored %+v, want %+v", bans, want)
	}
}

func TestBanBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ban", "add", "203.0.113.300"}, "not an IP address or CIDR prefix"},
		{[]string{"ban", "add", "example.com"}, "not an IP address or CIDR prefix"},
		{[]string{"ban", "add", "10.0.0.0/33"}, "not a CIDR prefix"},
		{[]string{"ban", "add", "fe80::1%eth0"}, "not an IP address"},
		{[]string{"ban", "add", "203.0.113.7", "--for", "forever"}, "--for"},
		{[]string{"ban", "add", "203.0.113.7", "--for", "0s"}, "longer than zero"},
		{[]string{"ban", "add", "203.0.113.7", "--for", "-1h"}, "not a duration"},
		{[]string{"ban", "add", "203.0.113.7", "--reason", "a\nb"}, "--reason"},
		{[]string{"ban", "add"}, "needs ADDR|CIDR"},
		{[]string{"ban", "del", "nonsense"}, "not an IP address or CIDR prefix"},
		{[]string{"ban", "list", "extra"}, "takes no arguments"},
		{[]string{"ban", "nosuch"}, "unknown command"},
	}
	for _, tt := range tests {
		r := e.run("", tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tt.args, r.code, r.stderr, exitUsage, tt.want)
		}
	}
	if bans := listBansJSON(t, e, t0, "--all"); len(bans) != 0 {
		t.Errorf("bad input stored bans: %+v", bans)
	}
}

func TestParseBanDuration(t *testing.T) {
	good := map[string]time.Duration{
		"30m": 30 * time.Minute, "12h": 12 * time.Hour, "7d": 7 * 24 * time.Hour,
		"1d12h": 36 * time.Hour, "0d1s": time.Second, "90s": 90 * time.Second,
	}
	for in, want := range good {
		if got, err := parseBanDuration(in); err != nil || got != want {
			t.Errorf("parseBanDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "0d", "7", "1h5d", "-7d", "7dd", "x1d", "1d-1h"} {
		if got, err := parseBanDuration(in); err == nil {
			t.Errorf("parseBanDuration(%q) = %v accepted", in, got)
		}
	}
}

// Notes point at settings that change what a ban does.
func TestBanNotes(t *testing.T) {
	e := newEnv(t)
	cfgPath := filepath.Join(t.TempDir(), "bulwark.toml")
	text := "[defender]\nenabled = false\nsafelist = [\"192.0.2.0/24\"]\nblocklist = [\"198.51.100.0/24\"]\n"
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.okAt(t0, "--config", cfgPath, "ban", "add", "192.0.2.7")
	if !strings.Contains(r.stderr, "defender.enabled is false") || !strings.Contains(r.stderr, "defender.safelist (192.0.2.0/24)") {
		t.Errorf("add notes: %q", r.stderr)
	}
	e.okAt(t0, "--config", cfgPath, "ban", "add", "198.51.100.1")
	r = e.okAt(t0, "--config", cfgPath, "ban", "del", "198.51.100.1")
	if !strings.Contains(r.stderr, "still refused by defender.blocklist") {
		t.Errorf("del note: %q", r.stderr)
	}
	r = e.tryAt(t0, "--config", cfgPath, "ban", "del", "198.51.100.2")
	if r.code != exitError || !strings.Contains(r.stderr, "refused by defender.blocklist") {
		t.Errorf("del of a blocklisted address: exit %d, %q", r.code, r.stderr)
	}
}

// ipv6_prefix decides which network "ban del" of a plain IPv6 address
// tries.
func TestBanDelIPv6PrefixFromConfig(t *testing.T) {
	e := newEnv(t)
	cfgPath := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgPath, []byte("[defender]\nipv6_prefix = 48\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.okAt(t0, "ban", "add", "2001:db8:7::/48")
	e.okAt(t0, "ban", "add", "2001:db8:7:1::/64")
	r := e.okAt(t0, "--config", cfgPath, "ban", "del", "2001:db8:7:1::5")
	if !strings.Contains(r.stdout, "ban of 2001:db8:7::/48 lifted") {
		t.Errorf("del with ipv6_prefix 48: %q", r.stdout)
	}
	bans := listBansJSON(t, e, t0)
	if len(bans) != 1 || bans[0].Prefix != "2001:db8:7:1::/64" {
		t.Errorf("left: %+v", bans)
	}
}

func TestUserAddRefusesHoneypotNames(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"root", "Admin", "ftp"} {
		r := e.run("Secret-Passw0rd-1\n", "user", "add", name, "--password-stdin")
		if r.code != exitError || !strings.Contains(r.stderr, "defender.honeypot_users") ||
			!strings.Contains(r.stderr, "banned") {
			t.Errorf("user add %s: exit %d, %q", name, r.code, r.stderr)
		}
	}
	r := e.ok("", "user", "list", "--json")
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("honeypot users were created: %s", r.stdout)
	}
	// Once the name is no longer a honeypot, the account can be made.
	cfgPath := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgPath, []byte("[defender]\nhoneypot_users = [\"root\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("Secret-Passw0rd-1\n", "--config", cfgPath, "user", "add", "admin", "--password-stdin")
}

func TestUserShowAccountProtection(t *testing.T) {
	e := newEnv(t)
	e.ok("Secret-Passw0rd-1\n", "user", "add", "alice", "--password-stdin")
	now := time.Now()

	r := e.ok("", "user", "show", "alice")
	if strings.Contains(r.stdout, "protected until") {
		t.Errorf("show without protection:\n%s", r.stdout)
	}
	if m := showJSON(t, e, "alice"); m["protected_until"] != nil {
		t.Errorf("protected_until = %v, want null", m["protected_until"])
	} else if _, ok := m["protected_until"]; !ok {
		t.Error("protected_until missing from user show --json")
	}

	until := now.Add(45 * time.Minute).Truncate(time.Second)
	st := e.db()
	if err := st.SetAccountProtection(context.Background(), "alice", until); err != nil {
		t.Fatal(err)
	}
	r = e.ok("", "user", "show", "alice")
	want := "protected until:" // tabwriter pads after the colon
	line := ""
	for l := range strings.SplitSeq(r.stdout, "\n") {
		if strings.HasPrefix(l, want) {
			line = l
		}
	}
	if !strings.Contains(line, until.Local().Format(time.RFC3339)) || !strings.Contains(line, "accepts logins only from known addresses") {
		t.Errorf("show with protection:\n%s", r.stdout)
	}
	m := showJSON(t, e, "alice")
	got, _ := m["protected_until"].(string)
	if ts, err := time.Parse(time.RFC3339, got); err != nil || !ts.Equal(until) {
		t.Errorf("protected_until = %v, want %v", m["protected_until"], until)
	}

	// Protection that has ended is not shown.
	if err := st.SetAccountProtection(context.Background(), "alice", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if r := e.ok("", "user", "show", "alice"); strings.Contains(r.stdout, "protected until") {
		t.Errorf("show after protection ended:\n%s", r.stdout)
	}
	if m := showJSON(t, e, "alice"); m["protected_until"] != nil {
		t.Errorf("protected_until after it ended = %v", m["protected_until"])
	}
}

func TestServeWarnsOfLooseDefender(t *testing.T) {
	e := newEnv(t)
	// An account made before its name became a honeypot.
	st := e.db()
	if err := st.CreateUser(context.Background(), &user.User{Name: "admin", Home: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, e)
	s.waitLog(t, "account name is in defender.honeypot_users")
	if !strings.Contains(s.stderr.String(), "user=admin") {
		t.Errorf("warning does not name the account:\n%s", s.stderr)
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}

	cfgPath := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgPath, []byte("[defender]\nenabled = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, e, "--config", cfgPath)
	s.waitLog(t, "defender.enabled is false")
	if !strings.Contains(s.stderr.String(), "level=WARN") {
		t.Errorf("not a warning:\n%s", s.stderr)
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
}

// The defender's rules apply on reload; only turning it on or off needs a
// restart.
func TestRestartKeysDefender(t *testing.T) {
	old := config.Default()
	cfg := config.Default()
	cfg.Defender.Threshold = 40
	cfg.Defender.Safelist = []string{"192.0.2.1"}
	cfg.Defender.Enabled = false
	keys := keepRestartKeys(old, cfg)
	if strings.Join(keys, ",") != "defender.enabled" {
		t.Errorf("keepRestartKeys = %v", keys)
	}
	if cfg.Defender.Threshold != 40 || len(cfg.Defender.Safelist) != 1 || !cfg.Defender.Enabled {
		t.Errorf("defender section after keepRestartKeys: %+v", cfg.Defender)
	}
}

// greeted connects from source and reports whether the server greeted the
// connection (true) or closed it at once, as it does a banned one (false).
func greeted(t *testing.T, addr, source string) bool {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err == nil {
		return strings.HasPrefix(line, "220")
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return false
	}
	t.Fatal(err)
	return false
}

// waitGreeted polls until the server's answer to source is want.
func waitGreeted(t *testing.T, addr, source string, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for greeted(t, addr, source) != want {
		if time.Now().After(deadline) {
			t.Fatalf("connections from %s: greeted is not %v after 10s", source, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A running server applies bans added and lifted from the command line.
func TestBanReachesRunningServer(t *testing.T) {
	e := newEnv(t)
	s := startServe(t, e)
	defer s.stop(t)
	addr := s.addrs[0].String()
	if !greeted(t, addr, "127.0.0.9") {
		t.Fatal("127.0.0.9 refused before any ban")
	}
	e.ok("", "ban", "add", "127.0.0.9", "--reason", "test")
	waitGreeted(t, addr, "127.0.0.9", false)
	s.waitLog(t, `msg="address banned" prefix=127.0.0.9/32 reason=test level=1 until=permanent manual=true`)
	if !greeted(t, addr, "127.0.0.10") {
		t.Error("the ban of 127.0.0.9 refused 127.0.0.10")
	}
	e.ok("", "ban", "del", "127.0.0.9")
	waitGreeted(t, addr, "127.0.0.9", true)
	s.waitLog(t, `msg="address unbanned" prefix=127.0.0.9/32`)
}
