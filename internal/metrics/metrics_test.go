package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// scrape fetches the handler's text output and parses it.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	body, _ := io.ReadAll(rec.Body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing the exposition: %v\n%s", err, body)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include want, and whether it exists.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

func TestCountersAndExposition(t *testing.T) {
	m := New("1.2.3")
	m.ConnAccepted()
	m.ConnAccepted()
	m.ConnRefused(RefusedBanned)
	m.ConnRefused(RefusedMaxConnectionsPerIP)
	m.Login(true, "")
	m.Login(false, "bad_password")
	m.Login(false, "bad_password")
	m.Login(false, "Mallory's <script>") // never reaches a label as is
	m.BanIssued("honeypot")
	m.TLSEstablished("TLS 1.3", "TLS_AES_128_GCM_SHA256")
	m.TransferDone(ftp.TransferInfo{Verb: "RETR", Bytes: 1000, Result: "ok"})
	m.TransferDone(ftp.TransferInfo{Verb: "STOR", Upload: true, Bytes: 300, Result: "ok"})
	m.TransferDone(ftp.TransferInfo{Verb: "LIST", Bytes: 50, Result: "data connection broken"})
	m.TransferDone(ftp.TransferInfo{Verb: "XYZZ", Result: "weird new result"})

	fams := scrape(t, m)
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"bulwark_connections_accepted_total", nil, 2},
		{"bulwark_connections_refused_total", map[string]string{"reason": "banned"}, 1},
		{"bulwark_connections_refused_total", map[string]string{"reason": "max_connections_per_ip"}, 1},
		{"bulwark_connections_refused_total", map[string]string{"reason": "blocklisted"}, 0},
		{"bulwark_logins_total", map[string]string{"result": "success", "reason": ""}, 1},
		{"bulwark_logins_total", map[string]string{"result": "failure", "reason": "bad_password"}, 2},
		{"bulwark_logins_total", map[string]string{"result": "failure", "reason": "other"}, 1},
		{"bulwark_bans_issued_total", map[string]string{"reason": "honeypot"}, 1},
		{"bulwark_tls_handshakes_total", map[string]string{"version": "TLS 1.3", "cipher": "TLS_AES_128_GCM_SHA256"}, 1},
		{"bulwark_transfer_bytes_total", map[string]string{"direction": "out"}, 1050},
		{"bulwark_transfer_bytes_total", map[string]string{"direction": "in"}, 300},
		{"bulwark_transfers_total", map[string]string{"command": "RETR", "result": "ok"}, 1},
		{"bulwark_transfers_total", map[string]string{"command": "STOR", "result": "ok"}, 1},
		{"bulwark_transfers_total", map[string]string{"command": "LIST", "result": "data_connection_broken"}, 1},
		{"bulwark_transfers_total", map[string]string{"command": "other", "result": "other"}, 1},
		{"bulwark_build_info", map[string]string{"version": "1.2.3", "goversion": runtime.Version()}, 1},
	}
	for _, tt := range tests {
		got, ok := value(fams, tt.name, tt.labels)
		if !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if fams["go_goroutines"] == nil {
		t.Error("go_goroutines missing: the Go collector must be registered")
	}
	if runtime.GOOS == "linux" && fams["process_cpu_seconds_total"] == nil {
		t.Error("process_cpu_seconds_total missing: the process collector must be registered")
	}
	// Without SetGauges the callback gauges are simply absent.
	if _, ok := value(fams, "bulwark_sessions_active", nil); ok {
		t.Error("bulwark_sessions_active present before SetGauges")
	}
}

func TestGaugesReadAtScrape(t *testing.T) {
	m := New("dev")
	sessions := 3
	var calls int
	m.SetGauges(Gauges{
		Sessions:   func() int { return sessions },
		LoggedIn:   func() int { return 2 },
		BansActive: func() int { return 7 },
		PasswordExpiries: func() (int, int, int) {
			calls++
			return 1, 4, 2
		},
	})
	fams := scrape(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"bulwark_sessions_active", nil, 3},
		{"bulwark_sessions_logged_in", nil, 2},
		{"bulwark_bans_active", nil, 7},
		{"bulwark_password_expiries", map[string]string{"within": "7d"}, 1},
		{"bulwark_password_expiries", map[string]string{"within": "30d"}, 4},
		{"bulwark_password_expiries", map[string]string{"within": "expired"}, 2},
	} {
		if got, ok := value(fams, c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if calls != 1 {
		t.Errorf("PasswordExpiries called %d times in one scrape, want 1", calls)
	}
	sessions = 5
	if got, _ := value(scrape(t, m), "bulwark_sessions_active", nil); got != 5 {
		t.Errorf("after a change: bulwark_sessions_active = %v, want 5", got)
	}
	// A partial set leaves the others out.
	m.SetGauges(Gauges{LoggedIn: func() int { return 1 }})
	fams = scrape(t, m)
	if _, ok := value(fams, "bulwark_sessions_active", nil); ok {
		t.Error("bulwark_sessions_active present with a nil callback")
	}
	if got, _ := value(fams, "bulwark_sessions_logged_in", nil); got != 1 {
		t.Errorf("bulwark_sessions_logged_in = %v, want 1", got)
	}
}

func TestNilMetricsIsNoOp(t *testing.T) {
	var m *Metrics
	m.ConnAccepted()
	m.ConnRefused(RefusedBanned)
	m.Login(false, "bad_password")
	m.BanIssued("honeypot")
	m.TLSEstablished("TLS 1.3", "x")
	m.TransferDone(ftp.TransferInfo{Verb: "RETR", Bytes: 1})
	m.SetGauges(Gauges{})
}

func TestTwoInstancesDoNotCollide(t *testing.T) {
	a, b := New("a"), New("b")
	a.ConnAccepted()
	if got := testutil.ToFloat64(b.accepted); got != 0 {
		t.Fatalf("second instance sees the first's count: %v", got)
	}
	if got := testutil.ToFloat64(a.accepted); got != 1 {
		t.Fatalf("accepted = %v, want 1", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New("dev")
	m.SetGauges(Gauges{Sessions: func() int { return 1 }})
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				m.ConnAccepted()
				m.Login(false, "unknown_user")
				m.TransferDone(ftp.TransferInfo{Verb: "RETR", Bytes: 2, Result: "ok"})
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := m.Gatherer().Gather(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	fams := scrape(t, m)
	if got, _ := value(fams, "bulwark_connections_accepted_total", nil); got != workers*each {
		t.Errorf("accepted = %v, want %d", got, workers*each)
	}
	if got, _ := value(fams, "bulwark_transfer_bytes_total", map[string]string{"direction": "out"}); got != 2*workers*each {
		t.Errorf("bytes out = %v, want %d", got, 2*workers*each)
	}
}

func TestToken(t *testing.T) {
	for in, want := range map[string]string{
		"bad_password":          "bad_password",
		"":                      "unknown",
		"Bad":                   "other",
		"has space":             "other",
		strings.Repeat("a", 41): "other",
		"reason(12)":            "other",
	} {
		if got := token(in); got != want {
			t.Errorf("token(%q) = %q, want %q", in, got, want)
		}
	}
}
