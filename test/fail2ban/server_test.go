package fail2ban

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
)

type syncBuffer = testutil.Buffer

const (
	userName = "alice"
	userPass = "Correct-Horse-7"
)

// startServer runs a server built from the defaults, as `bulwark serve`
// builds it, logging at info level in format to the returned buffer.
func startServer(t *testing.T, format string) (addr string, logs *syncBuffer) {
	t.Helper()
	e := servertest.New(t, func(c *config.Config) {
		c.Server.ImplicitListen = ""
		c.Auth.FailureDelay.Duration = time.Millisecond
		c.Log.Format = format
	})
	home := e.AddUser(t, userName, userPass).Home
	if err := os.MkdirAll(home, 0o750); err != nil {
		t.Fatal(err)
	}
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	var h slog.Handler = slog.NewTextHandler(e.Logs, opts)
	if format == "json" {
		h = slog.NewJSONHandler(e.Logs, opts)
	}
	e.Logger = slog.New(h)
	e.Start(t)
	return e.Explicit(), e.Logs
}

// dialFrom connects over explicit TLS from a loopback source address, so
// that each client of a test has an address of its own.
func dialFrom(t *testing.T, addr, source string) *ftp.ServerConn {
	t.Helper()
	c, err := ftp.Dial(addr,
		ftp.DialWithExplicitTLS(servertest.ClientTLS()),
		ftp.DialWithDialer(net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}),
		ftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatalf("dial from %s: %v", source, err)
	}
	t.Cleanup(func() { c.Quit() })
	return c
}

// waitFor polls the log until it holds n lines containing want.
func waitFor(t *testing.T, logs *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the log never held %d lines with %s", n, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Failed logins from three addresses, one of them with a honeypot name
// (the server bans it), and a successful login from a fourth.
func TestFilterOnServerLog(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			addr, logs := startServer(t, format)
			failed, banned, succeeded := `"login failed"`, `"address banned"`, `"login succeeded"`
			if format == "text" {
				failed, banned, succeeded = `msg="login failed"`, `msg="address banned"`, `msg="login succeeded"`
			}

			c := dialFrom(t, addr, "127.0.0.2")
			for range 2 {
				if err := c.Login(userName, "wrong-password"); err == nil {
					t.Fatal("a wrong password logged in")
				}
			}
			if err := dialFrom(t, addr, "127.0.0.3").Login("nobody", "whatever"); err == nil {
				t.Fatal("an unknown user logged in")
			}
			if err := dialFrom(t, addr, "127.0.0.4").Login(userName, userPass); err != nil {
				t.Fatalf("login: %v", err)
			}
			// A honeypot name: the server bans 127.0.0.5 at once.
			dialFrom(t, addr, "127.0.0.5").Login("root", "toor")
			waitFor(t, logs, failed, 4)
			waitFor(t, logs, banned, 1)
			waitFor(t, logs, succeeded, 1)

			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			wantFailed := []string{"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.5"}
			wantBans := []string{"127.0.0.5/32"}
			check := func(mode string, keep func(line string) bool, want []string) {
				t.Helper()
				f := loadFilter(t, filterPath, mode)
				var got []string
				for _, line := range lines {
					a, found, dated := f.find(line)
					if !dated {
						t.Errorf("%s: no datepattern matched %s", mode, line)
					}
					if found != keep(line) {
						t.Errorf("%s: found = %v (%q) for %s", mode, found, a, line)
					}
					if found {
						got = append(got, a)
					}
				}
				if !sameAddrs(got, want) {
					t.Errorf("%s: filter found %v, want %v", mode, got, want)
				}
				runFail2banRegex(t, mode, logs.String(), want)
			}
			isFailed := func(l string) bool { return strings.Contains(l, failed) }
			isBanned := func(l string) bool { return strings.Contains(l, banned) }
			check("normal", isFailed, wantFailed)
			check("bans", isBanned, wantBans)
			check("aggressive", func(l string) bool { return isFailed(l) || isBanned(l) }, append(slices.Clone(wantFailed), wantBans...))

			for _, line := range lines {
				if strings.Contains(line, succeeded) {
					if a, found, _ := loadFilter(t, filterPath, "aggressive").find(line); found {
						t.Errorf("a successful login matched (%s): %s", a, line)
					}
				}
			}
		})
	}
}

// sameAddrs compares as multisets: a ban and the failed login that caused
// it may be logged in either order.
func sameAddrs(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

// runFail2banRegex gives the log to fail2ban-regex, when installed, and
// checks it finds the same addresses.
func runFail2banRegex(t *testing.T, mode, log string, want []string) {
	t.Helper()
	bin, err := exec.LookPath("fail2ban-regex")
	if err != nil {
		if os.Getenv("CI") != "" {
			// scripts/test.sh installs it; in CI its absence is a fault.
			t.Fatal("fail2ban-regex not installed")
		}
		t.Log("fail2ban-regex not installed; checked with the Go rendering of the filter only")
		return
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "bulwark.log")
	if err := os.WriteFile(logPath, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	filter, err := filepath.Abs(filterPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--raw", "--out", "ip", logPath, filter+"[mode="+mode+"]")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban-regex: %v\n%s%s", err, out, stderr.String())
	}
	got := strings.Fields(string(out))
	// Fail2Ban writes a single-address subnet as the bare address.
	want = slices.Clone(want)
	for i, w := range want {
		want[i] = strings.TrimSuffix(strings.TrimSuffix(w, "/32"), "/128")
	}
	if !sameAddrs(got, want) {
		t.Errorf("%s: fail2ban-regex found %v, want %v", mode, got, want)
	}
}
