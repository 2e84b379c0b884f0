package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bulwark-ftp/bulwark/internal/defender"
)

// Defender is the [defender] section: attack scoring and bans, the
// connection caps, the per-session limit of failed logins and the
// protection of accounts under distributed password guessing.
//
// Two related settings live elsewhere: server.login_timeout is the time
// from connect to a successful login (a connection that runs out of it
// scores login_timeout), and auth.failure_delay is how long a failed login
// waits before its reply.
type Defender struct {
	// Enabled turns scoring, bans, honeypot names and account protection
	// on. The connection caps and max_login_failures apply either way.
	Enabled bool `toml:"enabled"`
	// Window is how long a scored event counts towards Threshold.
	Window    Duration `toml:"window"`
	Threshold int      `toml:"threshold"`
	// Scores of the events; 0 stops counting an event. A honeypot user
	// name always scores the threshold: one try bans.
	ScoreBadPassword        int `toml:"score_bad_password"`
	ScoreUnknownUser        int `toml:"score_unknown_user"`
	ScoreCommandBeforeLogin int `toml:"score_command_before_login"`
	ScoreTLSFailure         int `toml:"score_tls_failure"`
	ScoreConnLimit          int `toml:"score_conn_limit"`
	ScoreLoginTimeout       int `toml:"score_login_timeout"`
	// BanTime is the first ban of a source; with Escalate each later ban
	// within OffenceMemory lasts EscalationFactor times the one before, up
	// to MaxBanTime.
	BanTime          Duration `toml:"ban_time"`
	Escalate         bool     `toml:"escalate"`
	EscalationFactor float64  `toml:"escalation_factor"`
	MaxBanTime       Duration `toml:"max_ban_time"`
	OffenceMemory    Duration `toml:"offence_memory"`
	// IPv6Prefix is the length of the IPv6 network scored and banned as
	// one source: a single host usually holds a whole /64.
	IPv6Prefix int `toml:"ipv6_prefix"`
	// MaxTracked bounds the sources scored at once (memory under a flood).
	MaxTracked int `toml:"max_tracked"`
	// Safelist sources are never scored nor refused, not even by a ban or
	// the blocklist; Blocklist sources are always refused. Entries are
	// addresses or CIDR prefixes.
	Safelist  []string `toml:"safelist"`
	Blocklist []string `toml:"blocklist"`
	// HoneypotUsers are names no real account may have: trying one bans.
	HoneypotUsers []string `toml:"honeypot_users"`
	// RefuseReply is the line sent to a refused connection before it is
	// closed; "" closes it silently.
	RefuseReply string `toml:"refuse_reply"`
	// MaxConnections caps connections in all; MaxConnectionsPerIP those
	// of one address.
	MaxConnections      int `toml:"max_connections"`
	MaxConnectionsPerIP int `toml:"max_connections_per_ip"`
	// MaxLoginFailures closes a session after this many failed logins.
	MaxLoginFailures int `toml:"max_login_failures"`
	// AccountThreshold failed passwords for one account from several
	// sources within AccountWindow protect it for AccountCooldown: it then
	// accepts logins only from addresses it logged in from within
	// KnownAddressDays.
	AccountThreshold int      `toml:"account_threshold"`
	AccountWindow    Duration `toml:"account_window"`
	AccountCooldown  Duration `toml:"account_cooldown"`
	KnownAddressDays int      `toml:"known_address_days"`
}

func defaultDefender() Defender {
	return Defender{
		Enabled:                 true,
		Window:                  Duration{10 * time.Minute},
		Threshold:               20,
		ScoreBadPassword:        5,
		ScoreUnknownUser:        10,
		ScoreCommandBeforeLogin: 2,
		ScoreTLSFailure:         3,
		ScoreConnLimit:          2,
		ScoreLoginTimeout:       2,
		BanTime:                 Duration{15 * time.Minute},
		Escalate:                true,
		EscalationFactor:        4,
		MaxBanTime:              Duration{168 * time.Hour},
		OffenceMemory:           Duration{720 * time.Hour},
		IPv6Prefix:              64,
		MaxTracked:              100000,
		Safelist:                []string{},
		Blocklist:               []string{},
		HoneypotUsers:           []string{"root", "admin", "administrator", "test", "guest", "anonymous", "ftp"},
		RefuseReply:             "",
		MaxConnections:          500,
		MaxConnectionsPerIP:     10,
		MaxLoginFailures:        3,
		AccountThreshold:        30,
		AccountWindow:           Duration{time.Hour},
		AccountCooldown:         Duration{time.Hour},
		KnownAddressDays:        30,
	}
}

// Bounds of the [defender] settings.
const (
	maxScore            = 1_000_000
	maxLongDuration     = 10 * 365 * day
	maxRefuseReplyLen   = 200
	maxHoneypotNameLen  = 256
	maxConnectionsLimit = 1_000_000
	maxKnownAddressDays = 3650
	// RefuseReplyPrefix starts every refuse_reply: 421 is the reply RFC 959
	// gives for a service closing the control connection.
	RefuseReplyPrefix = "421 "
)

// Validate checks the [defender] section. Every value is checked, also
// when the defender is disabled, so that turning it on never meets an
// error.
func (d Defender) Validate() error {
	var errs []error
	bad := func(key string, format string, a ...any) {
		errs = append(errs, fmt.Errorf("defender."+key+": "+format, a...))
	}
	intIn := func(key string, v, low, high int) {
		if v < low || v > high {
			bad(key, "%d: must be between %d and %d", v, low, high)
		}
	}
	durIn := func(key string, v Duration, low, high time.Duration) {
		if err := checkDuration("defender."+key, v, low, high); err != nil {
			errs = append(errs, err)
		}
	}
	durIn("window", d.Window, time.Second, 24*time.Hour)
	intIn("threshold", d.Threshold, 1, maxScore)
	for _, s := range []struct {
		key string
		v   int
	}{
		{"score_bad_password", d.ScoreBadPassword},
		{"score_unknown_user", d.ScoreUnknownUser},
		{"score_command_before_login", d.ScoreCommandBeforeLogin},
		{"score_tls_failure", d.ScoreTLSFailure},
		{"score_conn_limit", d.ScoreConnLimit},
		{"score_login_timeout", d.ScoreLoginTimeout},
	} {
		intIn(s.key, s.v, 0, maxScore)
	}
	durIn("ban_time", d.BanTime, time.Second, maxLongDuration)
	if d.EscalationFactor < 1 || d.EscalationFactor > 100 {
		bad("escalation_factor", "%v: must be between 1 and 100", d.EscalationFactor)
	}
	durIn("max_ban_time", d.MaxBanTime, time.Second, maxLongDuration)
	if d.MaxBanTime.Duration < d.BanTime.Duration {
		bad("max_ban_time", "%q: must not be shorter than ban_time (%s)", d.MaxBanTime.Duration.String(), d.BanTime.Duration.String())
	}
	durIn("offence_memory", d.OffenceMemory, time.Minute, maxLongDuration)
	intIn("ipv6_prefix", d.IPv6Prefix, 32, 128)
	intIn("max_tracked", d.MaxTracked, 100, 100_000_000)
	if _, err := ParsePrefixes("defender.safelist", d.Safelist); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParsePrefixes("defender.blocklist", d.Blocklist); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkHoneypots(d.HoneypotUsers))
	if r := d.RefuseReply; r != "" {
		switch {
		case !strings.HasPrefix(r, RefuseReplyPrefix) || len(r) == len(RefuseReplyPrefix):
			bad("refuse_reply", "%q: must be \"\" (close silently) or start with %q and a text, for example \"421 Service not available\"", r, RefuseReplyPrefix)
		case len(r) > maxRefuseReplyLen:
			bad("refuse_reply", "longer than %d bytes", maxRefuseReplyLen)
		case strings.IndexFunc(r, unicode.IsControl) >= 0 || !utf8.ValidString(r):
			bad("refuse_reply", "%q: must be one line of printable text", r)
		}
	}
	intIn("max_connections", d.MaxConnections, 1, maxConnectionsLimit)
	intIn("max_connections_per_ip", d.MaxConnectionsPerIP, 1, maxConnectionsLimit)
	if d.MaxConnectionsPerIP > d.MaxConnections && d.MaxConnections >= 1 {
		bad("max_connections_per_ip", "%d: must not exceed max_connections (%d)", d.MaxConnectionsPerIP, d.MaxConnections)
	}
	intIn("max_login_failures", d.MaxLoginFailures, 1, 100)
	intIn("account_threshold", d.AccountThreshold, 1, maxScore)
	durIn("account_window", d.AccountWindow, time.Minute, 30*day)
	durIn("account_cooldown", d.AccountCooldown, time.Minute, 30*day)
	intIn("known_address_days", d.KnownAddressDays, 1, maxKnownAddressDays)
	return errors.Join(errs...)
}

// checkHoneypots accepts names a client could send as USER: not empty, no
// spaces or control characters, each once.
func checkHoneypots(names []string) error {
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		key := strings.ToLower(n)
		switch {
		case n == "" || len(n) > maxHoneypotNameLen:
			errs = append(errs, fmt.Errorf("defender.honeypot_users: %q: must be 1 to %d bytes", n, maxHoneypotNameLen))
		case strings.IndexFunc(n, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
			errs = append(errs, fmt.Errorf("defender.honeypot_users: %q: must not contain spaces or control characters", n))
		case seen[key]:
			errs = append(errs, fmt.Errorf("defender.honeypot_users: %q: listed twice", n))
		}
		seen[key] = true
	}
	return errors.Join(errs...)
}

// ParsePrefixes reads addresses ("203.0.113.7", "2001:db8::1", which
// stand for their /32 or /128) and CIDR prefixes ("198.51.100.0/24"),
// returning them masked to their network. Errors name key and the entry.
// An IPv4 address written in IPv6 form ("::ffff:192.0.2.1") is taken as
// the IPv4 address, as connections are.
func ParsePrefixes(key string, entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	var errs []error
	for _, e := range entries {
		p, err := ParsePrefix(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
			continue
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// ParsePrefix reads one address or CIDR prefix as ParsePrefixes does.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q: not a CIDR prefix (write for example \"198.51.100.0/24\" or \"2001:db8::/48\")", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q: not an IP address or CIDR prefix (write for example \"203.0.113.7\", \"2001:db8::1\" or \"198.51.100.0/24\")", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// KnownAddressWindow is how far back a login from an address makes it
// known to an account under protection.
func (d Defender) KnownAddressWindow() time.Duration {
	return time.Duration(d.KnownAddressDays) * day
}

// IsHoneypot reports whether name is one of honeypot_users, without regard
// to case (so that "Root" cannot be created beside a honeypot "root").
func (d Defender) IsHoneypot(name string) bool {
	return slices.ContainsFunc(d.HoneypotUsers, func(h string) bool { return strings.EqualFold(h, name) })
}

// Build returns the defender's configuration: the defender package's
// defaults with every key of the section applied. It validates first, so
// each error names its key.
func (d Defender) Build() (defender.Config, error) {
	if err := d.Validate(); err != nil {
		return defender.Config{}, err
	}
	safe, _ := ParsePrefixes("defender.safelist", d.Safelist)
	block, _ := ParsePrefixes("defender.blocklist", d.Blocklist)
	c := defender.DefaultConfig()
	c.Window = d.Window.Duration
	c.Threshold = d.Threshold
	c.Scores = map[defender.Event]int{
		defender.EventBadPassword:        d.ScoreBadPassword,
		defender.EventUnknownUser:        d.ScoreUnknownUser,
		defender.EventHoneypot:           d.Threshold,
		defender.EventCommandBeforeLogin: d.ScoreCommandBeforeLogin,
		defender.EventTLSFailure:         d.ScoreTLSFailure,
		defender.EventConnLimit:          d.ScoreConnLimit,
		defender.EventLoginTimeout:       d.ScoreLoginTimeout,
	}
	c.BanTime = d.BanTime.Duration
	c.Escalate = d.Escalate
	c.Factor = d.EscalationFactor
	c.MaxBanTime = d.MaxBanTime.Duration
	c.OffenceMemory = d.OffenceMemory.Duration
	c.IPv6Prefix = d.IPv6Prefix
	c.MaxTracked = d.MaxTracked
	c.Safelist = safe
	c.Blocklist = block
	// An empty list means no honeypot names; nil would mean the defaults.
	c.Honeypots = append([]string{}, d.HoneypotUsers...)
	c.AccountThreshold = d.AccountThreshold
	c.AccountWindow = d.AccountWindow.Duration
	c.AccountCooldown = d.AccountCooldown.Duration
	if err := c.Validate(); err != nil {
		return defender.Config{}, fmt.Errorf("defender: %w", err)
	}
	return c, nil
}
