package server_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/metrics"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/xferlog"
)

// scraped is one scrape of the metrics handler, parsed.
type scraped map[string]*dto.MetricFamily

func scrapeMetrics(t *testing.T, m *metrics.Metrics) scraped {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	return fams
}

// sum adds the values of the series of name whose labels include want
// (all of them when want is empty).
func (s scraped) sum(name string, want ...string) float64 {
	f := s[name]
	if f == nil {
		return -1
	}
	var total float64
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if have[want[i]] != want[i+1] {
				continue next
			}
		}
		total += m.GetCounter().GetValue() + m.GetGauge().GetValue()
	}
	return total
}

// xferlogLine is xferlog(5)'s line with Bulwark's fixed fields.
var xferlogLine = regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ` +
	`( [1-9]|[12][0-9]|3[01]) [0-2][0-9]:[0-5][0-9]:[0-5][0-9] [0-9]{4} ` +
	`([0-9]+) (\S+) ([0-9]+) (\S+) ([ab]) _ ([oi]) r (\S+) ftp 0 \* ([ci])$`)

func readXferlog(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := xferlogLine.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("%s: not an xferlog(5) line: %q", filepath.Base(path), sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// Logins, a failed login, transfers, a ban and a refusal move the metrics by
// exactly their amounts, and each file transfer leaves one xferlog line.
func TestMetricsAndTransferLog(t *testing.T) {
	const day = 24 * time.Hour
	e := servertest.New(t, func(c *config.Config) {
		c.Defender.Threshold = 100 // only the honeypot bans
		c.Defender.MaxConnectionsPerIP = 2
		c.PasswordPolicy.MaxAgeDays = 90
		c.PasswordPolicy.WarnDays = 14
	})
	m := metrics.New("test-version")
	logPath := filepath.Join(t.TempDir(), "xferlog")
	xl, err := xferlog.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xl.Close() })
	e.Options = append(e.Options, server.WithMetrics(m), server.WithTransferLog(xl))

	e.AddUser(t, "alice", "Correct-Horse-7")
	changed := func(ago time.Duration) func(*user.User) {
		return func(u *user.User) { u.PasswordChangedAt = time.Now().Add(-ago) }
	}
	e.AddUser(t, "bob", "Bob-Secret-77x", changed(85*day))     // 5 days left
	e.AddUser(t, "carol", "Carol-Secret-77x", changed(70*day)) // 20 days left
	e.AddUser(t, "dave", "Dave-Secret-77x", changed(100*day))  // expired
	e.AddUser(t, "erin", "Erin-Secret-77x", changed(200*day), func(u *user.User) { u.AgingExempt = true })
	download := bytes.Repeat([]byte("0123456789"), 500) // 5000 bytes
	writeHomeFile(t, e, "alice", "pub/report 2026.bin", string(download))
	e.Start(t)
	if e.Server.Metrics() != m {
		t.Fatal("Server.Metrics does not return the metrics given")
	}

	// alice logs in over TLS; two others fail, each from its own address
	// so that the per-address cap does not interfere.
	c := login(t, e, "alice", "Correct-Horse-7")
	bad, err := dialFrom(t, e.Explicit(), "127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Login("alice", "wrong-password"); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	unknown, err := dialFrom(t, e.Explicit(), "127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	if err := unknown.Login("nobody", "whatever"); err == nil {
		t.Fatal("login as an unknown user succeeded")
	}

	upload := bytes.Repeat([]byte("u"), 3000)
	if err := c.Stor("up load.bin", bytes.NewReader(upload)); err != nil {
		t.Fatal(err)
	}
	r, err := c.Retr("pub/report 2026.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, download) {
		t.Fatalf("download: %d bytes, err %v", len(got), err)
	}
	if _, err := c.List("/"); err != nil { // counted, but not in the xferlog
		t.Fatal(err)
	}

	// A honeypot name bans 127.0.0.8 at once; its next connection is
	// refused at the door.
	trap, err := dialFrom(t, e.Explicit(), "127.0.0.8")
	if err != nil {
		t.Fatal(err)
	}
	trap.Login("root", "toor")
	// The ban is made before the login's reply, so it holds already.
	if !refusedAtDoor(t, e.Explicit(), "127.0.0.8") {
		t.Fatal("the honeypot's address was not refused")
	}

	// Two plain connections from 127.0.0.9 fill its cap; the third is
	// refused with 421.
	var held []net.Conn
	for range 2 {
		conn, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.9")}}).Dial("tcp", e.Explicit())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "220") {
			t.Fatalf("greeting: %q %v", line, err)
		}
		held = append(held, conn)
	}
	over, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.9")}}).Dial("tcp", e.Explicit())
	if err != nil {
		t.Fatal(err)
	}
	over.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, _ := bufio.NewReader(over).ReadString('\n')
	over.Close()
	if !strings.HasPrefix(line, "421") {
		t.Fatalf("over the per-address cap: %q, want 421", line)
	}

	// Open now: alice, the two failed logins and the two held connections
	// (the honeypot's session was closed by its ban).
	waitFor(t, "the session gauges", func() bool {
		s := scrapeMetrics(t, m)
		return s.sum("bulwark_sessions_active") == 5 && s.sum("bulwark_sessions_logged_in") == 1
	})
	s := scrapeMetrics(t, m)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		// alice, bad, unknown, trap, two held; not the refused ones.
		{"bulwark_connections_accepted_total", nil, 6},
		{"bulwark_connections_refused_total", []string{"reason", "banned"}, 1},
		{"bulwark_connections_refused_total", []string{"reason", "max_connections_per_ip"}, 1},
		{"bulwark_connections_refused_total", []string{"reason", "server_rule"}, 0},
		{"bulwark_logins_total", []string{"result", "success"}, 1},
		{"bulwark_logins_total", []string{"result", "failure", "reason", "bad_password"}, 1},
		{"bulwark_logins_total", []string{"result", "failure", "reason", "unknown_user"}, 2}, // nobody, root
		{"bulwark_logins_total", []string{"result", "failure"}, 3},
		{"bulwark_bans_issued_total", []string{"reason", "honeypot"}, 1},
		{"bulwark_bans_issued_total", nil, 1},
		{"bulwark_bans_active", nil, 1},
		{"bulwark_tls_handshakes_total", nil, 4}, // the four FTPS clients' control connections
		{"bulwark_transfer_bytes_total", []string{"direction", "in"}, 3000},
		{"bulwark_transfers_total", []string{"command", "STOR", "result", "ok"}, 1},
		{"bulwark_transfers_total", []string{"command", "RETR", "result", "ok"}, 1},
		{"bulwark_transfers_total", []string{"command", "MLSD", "result", "ok"}, 1}, // the client lists with MLSD
		{"bulwark_transfers_total", nil, 3},
		{"bulwark_password_expiries", []string{"within", "7d"}, 1},      // bob
		{"bulwark_password_expiries", []string{"within", "30d"}, 2},     // bob, carol
		{"bulwark_password_expiries", []string{"within", "expired"}, 1}, // dave
		{"bulwark_build_info", []string{"version", "test-version"}, 1},
	}
	for _, ck := range checks {
		if got := s.sum(ck.name, ck.labels...); got != ck.want {
			t.Errorf("%s%v = %v, want %v", ck.name, ck.labels, got, ck.want)
		}
	}
	// Out: the download and the listing, whose size the client does not
	// tell; at least the file.
	if out := s.sum("bulwark_transfer_bytes_total", "direction", "out"); out <= 5000 {
		t.Errorf("bytes out = %v, want the 5000 of the file plus the listing", out)
	}
	if f := s["bulwark_tls_handshakes_total"]; f != nil {
		for _, mm := range f.GetMetric() {
			for _, l := range mm.GetLabel() {
				if l.GetName() == "version" && !strings.HasPrefix(l.GetValue(), "TLS 1.") {
					t.Errorf("TLS version label %q", l.GetValue())
				}
			}
		}
	}

	// The transfer log: one line per file transfer, none for the listing.
	lines := readXferlog(t, logPath)
	if len(lines) != 2 {
		t.Fatalf("xferlog has %d lines, want 2", len(lines))
	}
	// Fields: 4 time, 5 host, 6 size, 7 name, 8 type, 9 direction, 10 user, 11 status.
	want := [][]string{
		{"127.0.0.1", "3000", "/up_load.bin", "b", "i", "alice", "c"},
		{"127.0.0.1", "5000", "/pub/report_2026.bin", "b", "o", "alice", "c"},
	}
	for i, w := range want {
		if got := lines[i][5:12]; strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("xferlog line %d: %q, want %q", i, got, w)
		}
		if lines[i][4] == "0" {
			t.Errorf("xferlog line %d: transfer time 0", i)
		}
	}

	// Rotation: rename, Reopen, and the next transfer goes to a new file.
	rotated := logPath + ".1"
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	if err := xl.Reopen(); err != nil {
		t.Fatal(err)
	}
	if err := c.Stor("second.txt", strings.NewReader("hi")); err != nil {
		t.Fatal(err)
	}
	if n := len(readXferlog(t, rotated)); n != 2 {
		t.Errorf("rotated file has %d lines, want 2", n)
	}
	fresh := readXferlog(t, logPath)
	if len(fresh) != 1 || fresh[0][7] != "/second.txt" || fresh[0][6] != "2" {
		t.Errorf("new file after Reopen: %q", fresh)
	}
	for _, conn := range held {
		conn.Close()
	}
	bad.Quit()
	unknown.Quit()
	waitFor(t, "the sessions to end", func() bool {
		s := scrapeMetrics(t, m)
		return s.sum("bulwark_sessions_active") == 1 && s.sum("bulwark_sessions_logged_in") == 1
	})
}

// Without WithMetrics or WithTransferLog the server runs as before and has
// no metrics.
func TestNoMetricsByDefault(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	e.Start(t)
	if e.Server.Metrics() != nil {
		t.Fatal("Metrics() not nil without WithMetrics")
	}
	c := login(t, e, "alice", "Correct-Horse-7")
	if err := c.Stor("x", strings.NewReader("data")); err != nil {
		t.Fatal(err)
	}
}

// A ban an administrator makes (CLI or admin API, through the store) is
// counted as issued with reason "manual" once the server applies it.
func TestManualBanCounted(t *testing.T) {
	e := servertest.New(t)
	m := metrics.New("test-version")
	e.Options = append(e.Options, server.WithMetrics(m))
	e.Start(t)
	ctx := context.Background()
	now := time.Now()
	if err := e.Store.SaveBan(ctx, store.Ban{Prefix: "203.0.113.9/32", Reason: "manual", First: now, Last: now,
		Count: 1, Level: 1, Until: now.Add(time.Hour), Manual: true}); err != nil {
		t.Fatal(err)
	}
	e.Server.Refresh(ctx)
	s := scrapeMetrics(t, m)
	if got := s.sum("bulwark_bans_issued_total", "reason", "manual"); got != 1 {
		t.Errorf("manual bans issued = %v, want 1", got)
	}
	if got := s.sum("bulwark_bans_active"); got != 1 {
		t.Errorf("bans active = %v, want 1", got)
	}
}
