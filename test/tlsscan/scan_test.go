package tlsscan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
)

// scanTimeout bounds one testssl.sh run. A run takes about 30 s on
// loopback; the margin is for slow or busy machines.
const scanTimeout = 5 * time.Minute

// scanChecks is the selection of testssl.sh checks, chosen to cover the
// whole TLS configuration in about 30 s per listener:
//
//	-p  protocols: SSLv2 to TLS 1.3, each offered or not
//	-e  every cipher suite the local OpenSSL and testssl.sh know (~370),
//	    tried one by one, so the list of accepted suites is complete
//	-S  server defaults: certificate, key size, extensions, tickets
//	-P  server preference: cipher order, negotiated protocol and suite
//	-f  forward secrecy and the curves offered
//	-H -I -T -BB -R -C -O -Z -W -F -J -D -A -L -4
//	    the vulnerability checks of -U: Heartbleed, CCS injection,
//	    Ticketbleed, ROBOT, renegotiation, CRIME, POODLE, fallback SCSV,
//	    SWEET32, FREAK, LOGJAM, DROWN, BEAST, LUCKY13, RC4
//
// -U itself is not used because it includes -B (BREACH, HTTP compression),
// which cannot apply to FTP and makes testssl.sh exit non-zero for "not
// tested"; without it a non-zero exit means a check could not run, and
// fails the test. Left out as well: -E (the same suites again, per
// protocol: slower and adds nothing once -e and -p have run), -c (client
// simulation: long, and judges clients rather than the server), -h (HTTP
// headers; FTP has none) and -g (GREASE and implementation quirks). No
// --severity filter: the protocol and suite lines the assertions read are
// rated INFO or OK.
func scanChecks() []string {
	return []string{"-p", "-e", "-S", "-P", "-f",
		"-H", "-I", "-T", "-BB", "-R", "-C", "-O", "-Z", "-W", "-F", "-J", "-D", "-A", "-L", "-4"}
}

// scanner returns the path of testssl.sh, or skips (fails under CI).
func scanner(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"testssl.sh", "testssl"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("testssl.sh not found on PATH (as testssl.sh or testssl); scripts/test.sh installs it")
	}
	t.Skip("testssl.sh not found on PATH; install it (Debian: apt-get install testssl.sh) to run this test")
	return ""
}

// lockedBuffer collects the server's log from many goroutines.
type lockedBuffer = testutil.Buffer

// startServer runs Bulwark as "bulwark serve" would with the built-in
// defaults, both listeners on 127.0.0.1:0. It returns the server and the
// SHA-256 of the certificate it serves, in testssl.sh's spelling.
//
// The one change from the defaults: 127.0.0.1 is safelisted. A scan makes
// hundreds of deliberately failing handshakes, which the defender rightly
// scores as an attack and bans within seconds (seen: after the seventh
// refused TLS 1.0 hello); the scan would then judge the ban, not the TLS
// configuration. The connection caps still apply.
func startServer(t *testing.T) (srv *server.Server, fingerprint string) {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.ImplicitListen = "127.0.0.1:0"
	cfg.Defender.Safelist = []string{"127.0.0.1"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	logs := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			// A scan logs thousands of lines; the end is what explains a
			// failure.
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			t.Logf("server log, last %d lines:\n%s", min(len(lines), 200), strings.Join(lines[max(0, len(lines)-200):], "\n"))
		}
	})
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err = server.New(cfg, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	sum := sha256.Sum256(srv.Certificate().Certificate[0])
	return srv, strings.ToUpper(hex.EncodeToString(sum[:]))
}

// runScan runs testssl.sh against addr and returns its findings. starttls
// is "ftp" for the explicit listener and "" for the implicit one.
func runScan(t *testing.T, bin, addr, starttls string) []finding {
	t.Helper()
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	args := []string{
		"--quiet", "--color", "0", "--warnings", "batch",
		// No DNS queries at all: the target is an IP address on loopback.
		"--nodns", "none",
		"--connect-timeout", "10", "--openssl-timeout", "10",
		"--jsonfile-pretty", report,
	}
	args = append(args, scanChecks()...)
	if starttls != "" {
		args = append(args, "--starttls", starttls)
	}
	args = append(args, addr)

	ctx, cancel := context.WithTimeout(context.Background(), scanTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("testssl.sh %s took %v", strings.Join(args, " "), time.Since(start).Round(time.Second))
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("testssl.sh exited with %d:\n%s", exit.ExitCode(), out.String())
		}
		t.Fatalf("testssl.sh: %v\n%s", err, out.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("testssl.sh wrote no report: %v\n%s", err, out.String())
	}
	findings, err := parseReport(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if testing.Verbose() {
		t.Logf("testssl.sh output:\n%s", out.String())
	}
	return findings
}

// TestScan scans both listeners of one server, one after the other: run
// side by side on a small machine, the two scans take as long in all and
// each twice as long.
func TestScan(t *testing.T) {
	if testing.Short() {
		t.Skip("a TLS scan takes about 30 s per listener; skipped with -short")
	}
	bin := scanner(t)
	srv, fingerprint := startServer(t)
	addrs := srv.Addrs()
	listeners := []struct {
		name, addr, starttls string
	}{
		{"explicit", addrs[0].String(), "ftp"},
		{"implicit", addrs[1].String(), ""},
	}
	for _, l := range listeners {
		t.Run(l.name, func(t *testing.T) {
			findings := runScan(t, bin, l.addr, l.starttls)
			got := ""
			for _, f := range findings {
				if baseID(f.ID) == "cert_fingerprintSHA256" {
					got = f.Finding
				}
			}
			// The allowances are for Bulwark's own self-signed
			// certificate; make sure that is what was scanned.
			if got != fingerprint {
				t.Fatalf("scanned certificate SHA-256 %q, the server's is %q", got, fingerprint)
			}
			v := judge(findings)
			for _, e := range v.excused {
				t.Logf("excused: %s", e)
			}
			if len(v.problems) > 0 {
				t.Errorf("%d finding(s) in the TLS configuration of the %s listener:\n  %s",
					len(v.problems), l.name, strings.Join(v.problems, "\n  "))
			}
		})
	}
}
