// Package metrics holds Bulwark's Prometheus metrics: counters the server
// bumps as things happen, gauges read by callback at scrape time, and the
// HTTP handler that exposes them. Every label value comes from a small,
// fixed set (reasons, commands, results, TLS versions and suites): never a
// user name or an address, so that a scanner cannot grow the series count.
package metrics

import (
	"net/http"
	"runtime"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// Reasons a connection is refused at accept time, the values of
// bulwark_connections_refused_total's reason label.
const (
	RefusedServerRule          = "server_rule"
	RefusedBanned              = "banned"
	RefusedBlocklisted         = "blocklisted"
	RefusedMaxConnections      = "max_connections"
	RefusedMaxConnectionsPerIP = "max_connections_per_ip"
)

// Metrics is the set of Bulwark's metrics, in a registry of its own (never
// the process-wide default one, so that two servers in one test do not
// collide). Its methods are cheap and safe for concurrent use; on a nil
// *Metrics they do nothing, so callers need not check whether metrics are
// enabled.
type Metrics struct {
	reg       *prometheus.Registry
	accepted  prometheus.Counter
	refused   *prometheus.CounterVec
	logins    *prometheus.CounterVec
	bans      *prometheus.CounterVec
	tls       *prometheus.CounterVec
	bytes     *prometheus.CounterVec
	transfers *prometheus.CounterVec
	gauges    *gaugeCollector
}

// New returns the metrics of a Bulwark build of the given version, with the
// Go runtime's and the process's collectors registered beside them.
func New(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bulwark_connections_accepted_total",
			Help: "Control connections admitted at accept time.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_connections_refused_total",
			Help: "Control connections refused at accept time, by reason.",
		}, []string{"reason"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_logins_total",
			Help: "Login attempts, by result (success or failure) and, for failures, reason.",
		}, []string{"result", "reason"}),
		bans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_bans_issued_total",
			Help: "Automatic bans issued, by the event that completed the score.",
		}, []string{"reason"}),
		tls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_tls_handshakes_total",
			Help: "Successful TLS handshakes on control connections, by version and cipher suite.",
		}, []string{"version", "cipher"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_transfer_bytes_total",
			Help: "Bytes moved over data connections (files and listings), by direction: in is upload, out is download.",
		}, []string{"direction"}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_transfers_total",
			Help: "Ended data transfers, by command and result.",
		}, []string{"command", "result"}),
		gauges: newGaugeCollector(),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "bulwark_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.accepted, m.refused, m.logins, m.bans, m.tls, m.bytes, m.transfers, m.gauges,
	)
	// Series that exist from the start, so that rate() and alerts see a 0
	// before the first event rather than no data.
	for _, r := range []string{RefusedServerRule, RefusedBanned, RefusedBlocklisted,
		RefusedMaxConnections, RefusedMaxConnectionsPerIP} {
		m.refused.WithLabelValues(r)
	}
	m.logins.WithLabelValues("success", "")
	m.bytes.WithLabelValues("in")
	m.bytes.WithLabelValues("out")
	return m
}

// Handler serves the metrics in the Prometheus text format. A collector
// that fails does not hide the others.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
}

// Gatherer gives direct access to the registry, for tests and for serving
// the metrics some other way.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// ConnAccepted counts a connection the gate admitted.
func (m *Metrics) ConnAccepted() {
	if m == nil {
		return
	}
	m.accepted.Inc()
}

// ConnRefused counts a connection the gate refused; reason is one of the
// Refused constants.
func (m *Metrics) ConnRefused(reason string) {
	if m == nil {
		return
	}
	m.refused.WithLabelValues(token(reason)).Inc()
}

// Login counts a login attempt. reason is "" for a success and the stable
// token of the failure otherwise ("bad_password", "unknown_user", ...).
func (m *Metrics) Login(success bool, reason string) {
	if m == nil {
		return
	}
	if success {
		m.logins.WithLabelValues("success", "").Inc()
		return
	}
	m.logins.WithLabelValues("failure", token(reason)).Inc()
}

// BanIssued counts a ban: "manual" for one an administrator made, else
// the stable token of the event that completed the score
// ("bad_password", "honeypot", ...).
func (m *Metrics) BanIssued(reason string) {
	if m == nil {
		return
	}
	m.bans.WithLabelValues(token(reason)).Inc()
}

// TLSEstablished counts a TLS handshake; version and cipher are the names
// crypto/tls gives (tls.VersionName, tls.CipherSuiteName), a set bounded
// by what the server is configured to accept.
func (m *Metrics) TLSEstablished(version, cipher string) {
	if m == nil {
		return
	}
	m.tls.WithLabelValues(version, cipher).Inc()
}

// TransferDone counts an ended data transfer and its bytes.
func (m *Metrics) TransferDone(t ftp.TransferInfo) {
	if m == nil {
		return
	}
	dir := "out"
	if t.Upload {
		dir = "in"
	}
	if t.Bytes > 0 {
		m.bytes.WithLabelValues(dir).Add(float64(t.Bytes))
	}
	m.transfers.WithLabelValues(transferCommand(t.Verb), transferResult(t.Result)).Inc()
}

// transferCommand keeps the command label to the verbs that open a data
// connection.
func transferCommand(verb string) string {
	switch v := strings.ToUpper(verb); v {
	case "RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD":
		return v
	}
	return "other"
}

// transferResult turns the engine's result ("local error") into a label
// token ("local_error") from a fixed set.
func transferResult(r string) string {
	switch t := strings.ReplaceAll(r, " ", "_"); t {
	case "ok", "aborted", "local_error", "data_connection_failed", "data_connection_broken":
		return t
	}
	return "other"
}

// token keeps a reason label to what a stable token may hold (lower-case
// letters, digits and '_', at most 40 bytes), so that a caller's mistake
// cannot put arbitrary text into a label.
func token(s string) string {
	const maxLen = 40
	if s == "" {
		return "unknown"
	}
	if len(s) > maxLen {
		return "other"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "other"
		}
	}
	return s
}
