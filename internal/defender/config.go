package defender

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
)

// Config holds the defender's rules. Start from DefaultConfig; New fills
// any zero field with its default (Escalate aside, whose zero value is a
// real choice).
type Config struct {
	// Window is how far back events count towards a score. Scores are kept
	// in Window/8 buckets, so an event counts for at least 7/8 of Window
	// and never longer than Window.
	Window time.Duration
	// Threshold is the score that bans.
	Threshold int
	// Scores is what each event adds to a score. A nil map means the
	// defaults; an event missing from a non-nil map gets its default; an
	// event mapped to 0 is not counted at all. The honeypot default is
	// Threshold, so that one honeypot login bans.
	Scores map[Event]int
	// BanTime is the length of a first ban.
	BanTime time.Duration
	// Escalate lengthens the bans of repeat offenders: the ban of level L
	// lasts BanTime * Factor^(L-1), capped at MaxBanTime.
	Escalate bool
	// Factor multiplies the ban time for each remembered earlier offence.
	Factor float64
	// MaxBanTime caps escalated bans.
	MaxBanTime time.Duration
	// OffenceMemory is how long a past ban counts towards the level of the
	// next one.
	OffenceMemory time.Duration
	// IPv6Prefix is the length of the IPv6 prefix that is scored and banned
	// as one: a single host usually holds a whole /64. IPv4 is per address.
	IPv6Prefix int
	// MaxTracked bounds the addresses scored at once; beyond it the least
	// recently seen is forgotten. It also bounds the remembered offences and
	// the automatic bans (when full, the ban that would end first goes).
	MaxTracked int
	// Safelist: addresses that are never scored and never banned, even by
	// the blocklist or a manual ban.
	Safelist []netip.Prefix
	// Blocklist: addresses that are always refused.
	Blocklist []netip.Prefix
	// Honeypots are user names (matched without regard to letter case)
	// that no legitimate user logs in as. Nil means the defaults; an empty
	// non-nil slice means none.
	Honeypots []string

	// AccountThreshold failures against one account within AccountWindow,
	// from any addresses, start its protection.
	AccountThreshold int
	AccountWindow    time.Duration
	// AccountCooldown is how long a protected account then accepts logins
	// only from addresses it knows (the caller decides which those are).
	AccountCooldown time.Duration
	// MaxAccounts bounds the accounts tracked; the least recent is
	// forgotten first.
	MaxAccounts int
}

// DefaultHoneypots are the names scanners try first.
func DefaultHoneypots() []string {
	return []string{"root", "admin", "administrator", "test", "guest", "anonymous", "ftp"}
}

// DefaultScores returns the default score of each event for a threshold.
func DefaultScores(threshold int) map[Event]int {
	return map[Event]int{
		EventBadPassword:        5,
		EventUnknownUser:        10,
		EventHoneypot:           threshold,
		EventCommandBeforeLogin: 2,
		EventTLSFailure:         3,
		EventConnLimit:          2,
		EventLoginTimeout:       2,
	}
}

// DefaultConfig returns the recommended rules.
func DefaultConfig() Config {
	return Config{
		Window:           10 * time.Minute,
		Threshold:        20,
		Scores:           DefaultScores(20),
		BanTime:          15 * time.Minute,
		Escalate:         true,
		Factor:           4,
		MaxBanTime:       7 * 24 * time.Hour,
		OffenceMemory:    30 * 24 * time.Hour,
		IPv6Prefix:       64,
		MaxTracked:       100_000,
		Honeypots:        DefaultHoneypots(),
		AccountThreshold: 30,
		AccountWindow:    time.Hour,
		AccountCooldown:  time.Hour,
		MaxAccounts:      100_000,
	}
}

// withDefaults returns a copy of c with zero fields set to their defaults.
// The copy owns its map and slices, so the caller may change c afterwards.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur(&c.Window, d.Window)
	setInt(&c.Threshold, d.Threshold)
	setDur(&c.BanTime, d.BanTime)
	if c.Factor == 0 {
		c.Factor = d.Factor
	}
	setDur(&c.MaxBanTime, d.MaxBanTime)
	setDur(&c.OffenceMemory, d.OffenceMemory)
	setInt(&c.IPv6Prefix, d.IPv6Prefix)
	setInt(&c.MaxTracked, d.MaxTracked)
	setInt(&c.AccountThreshold, d.AccountThreshold)
	setDur(&c.AccountWindow, d.AccountWindow)
	setDur(&c.AccountCooldown, d.AccountCooldown)
	setInt(&c.MaxAccounts, d.MaxAccounts)

	scores := DefaultScores(c.Threshold)
	for e, s := range c.Scores {
		scores[e] = s
	}
	c.Scores = scores
	if c.Honeypots == nil {
		c.Honeypots = d.Honeypots
	} else {
		c.Honeypots = append([]string(nil), c.Honeypots...)
	}
	c.Safelist = append([]netip.Prefix(nil), c.Safelist...)
	c.Blocklist = append([]netip.Prefix(nil), c.Blocklist...)
	return c
}

// maxScore bounds thresholds and scores so that sums cannot overflow.
const maxScore = 1_000_000

// Validate checks c as New would use it (zero fields meaning defaults) and
// returns every problem found, each naming its field.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("defender: %s: "+format, append([]any{field}, args...)...))
	}
	positive := func(field string, v time.Duration) {
		if v <= 0 {
			bad(field, "must be positive, got %s", v)
		}
	}
	positive("Window", c.Window)
	if c.Threshold < 1 || c.Threshold > maxScore {
		bad("Threshold", "must be between 1 and %d, got %d", maxScore, c.Threshold)
	}
	for e := EventBadPassword; e <= EventLoginTimeout; e++ {
		if s := c.Scores[e]; s < 0 || s > maxScore {
			bad("Scores", "%s must be between 0 and %d, got %d", e, maxScore, s)
		}
	}
	for e := range c.Scores {
		if !e.valid() {
			bad("Scores", "unknown event %d", int(e))
		}
	}
	positive("BanTime", c.BanTime)
	if math.IsNaN(c.Factor) || math.IsInf(c.Factor, 0) || c.Factor < 1 {
		bad("Factor", "must be at least 1, got %v", c.Factor)
	}
	if c.MaxBanTime < c.BanTime {
		bad("MaxBanTime", "must be at least BanTime (%s), got %s", c.BanTime, c.MaxBanTime)
	}
	positive("OffenceMemory", c.OffenceMemory)
	if c.IPv6Prefix < 1 || c.IPv6Prefix > 128 {
		bad("IPv6Prefix", "must be between 1 and 128, got %d", c.IPv6Prefix)
	}
	if c.MaxTracked < 1 {
		bad("MaxTracked", "must be at least 1, got %d", c.MaxTracked)
	}
	for i, p := range c.Safelist {
		if !p.IsValid() {
			bad(fmt.Sprintf("Safelist[%d]", i), "not a valid prefix")
		}
	}
	for i, p := range c.Blocklist {
		if !p.IsValid() {
			bad(fmt.Sprintf("Blocklist[%d]", i), "not a valid prefix")
		}
	}
	for i, h := range c.Honeypots {
		if strings.TrimSpace(h) == "" {
			bad(fmt.Sprintf("Honeypots[%d]", i), "must not be empty")
		}
	}
	if c.AccountThreshold < 1 {
		bad("AccountThreshold", "must be at least 1, got %d", c.AccountThreshold)
	}
	positive("AccountWindow", c.AccountWindow)
	positive("AccountCooldown", c.AccountCooldown)
	if c.MaxAccounts < 1 {
		bad("MaxAccounts", "must be at least 1, got %d", c.MaxAccounts)
	}
	return errors.Join(errs...)
}

// sane returns c with defaults applied and every value Validate would
// reject replaced by its default, so that a Defender built from a config
// nobody validated still behaves.
func (c Config) sane() Config {
	c = c.withDefaults()
	d := DefaultConfig()
	if c.Window < 0 {
		c.Window = d.Window
	}
	if c.Threshold < 1 || c.Threshold > maxScore {
		c.Threshold = d.Threshold
	}
	def := DefaultScores(c.Threshold)
	for e, s := range c.Scores {
		if !e.valid() {
			delete(c.Scores, e)
		} else if s < 0 || s > maxScore {
			c.Scores[e] = def[e]
		}
	}
	if c.BanTime < 0 {
		c.BanTime = d.BanTime
	}
	if math.IsNaN(c.Factor) || math.IsInf(c.Factor, 0) || c.Factor < 1 {
		c.Factor = d.Factor
	}
	if c.MaxBanTime < c.BanTime {
		c.MaxBanTime = c.BanTime
	}
	if c.OffenceMemory < 0 {
		c.OffenceMemory = d.OffenceMemory
	}
	if c.IPv6Prefix < 1 || c.IPv6Prefix > 128 {
		c.IPv6Prefix = d.IPv6Prefix
	}
	if c.MaxTracked < 1 {
		c.MaxTracked = d.MaxTracked
	}
	if c.AccountThreshold < 1 {
		c.AccountThreshold = d.AccountThreshold
	}
	if c.AccountWindow < 0 {
		c.AccountWindow = d.AccountWindow
	}
	if c.AccountCooldown < 0 {
		c.AccountCooldown = d.AccountCooldown
	}
	if c.MaxAccounts < 1 {
		c.MaxAccounts = d.MaxAccounts
	}
	return c
}
