package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Gauges are the callbacks that give the current values of the gauges at
// scrape time. A nil callback leaves its gauge out of the output. They are
// called from the scraping goroutine, so they must be safe for concurrent
// use; a slow one slows only the scrape.
type Gauges struct {
	// Sessions is the number of open control connections.
	Sessions func() int
	// LoggedIn is the number of sessions with a logged-in user.
	LoggedIn func() int
	// BansActive is the number of bans in force.
	BansActive func() int
	// PasswordExpiries counts the users whose password has not expired but
	// will within 7 days, and within 30 days (the 7-day ones included),
	// and those whose password has expired.
	PasswordExpiries func() (within7d, within30d, expired int)
}

// SetGauges installs the gauge callbacks. It may be called at any time;
// the next scrape uses the new ones.
func (m *Metrics) SetGauges(g Gauges) {
	if m == nil {
		return
	}
	m.gauges.g.Store(&g)
}

// gaugeCollector reads the gauges from the callbacks at each scrape, so
// that no value can go stale between scrapes.
type gaugeCollector struct {
	g                                      atomic.Pointer[Gauges]
	sessions, loggedIn, bansActive, expiry *prometheus.Desc
}

func newGaugeCollector() *gaugeCollector {
	return &gaugeCollector{
		sessions: prometheus.NewDesc("bulwark_sessions_active",
			"Open control connections.", nil, nil),
		loggedIn: prometheus.NewDesc("bulwark_sessions_logged_in",
			"Control connections with a logged-in user.", nil, nil),
		bansActive: prometheus.NewDesc("bulwark_bans_active",
			"Bans in force (the configured blocklist not counted).", nil, nil),
		expiry: prometheus.NewDesc("bulwark_password_expiries",
			`Users by password expiry: "7d" and "30d" count passwords not yet expired that will within that time (30d includes 7d); "expired" those already expired.`,
			[]string{"within"}, nil),
	}
}

func (c *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.sessions
	ch <- c.loggedIn
	ch <- c.bansActive
	ch <- c.expiry
}

func (c *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.g.Load()
	if g == nil {
		return
	}
	one := func(d *prometheus.Desc, f func() int) {
		if f != nil {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(f()))
		}
	}
	one(c.sessions, g.Sessions)
	one(c.loggedIn, g.LoggedIn)
	one(c.bansActive, g.BansActive)
	if g.PasswordExpiries != nil {
		in7, in30, expired := g.PasswordExpiries()
		ch <- prometheus.MustNewConstMetric(c.expiry, prometheus.GaugeValue, float64(in7), "7d")
		ch <- prometheus.MustNewConstMetric(c.expiry, prometheus.GaugeValue, float64(in30), "30d")
		ch <- prometheus.MustNewConstMetric(c.expiry, prometheus.GaugeValue, float64(expired), "expired")
	}
}
