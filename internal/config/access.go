package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/access"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Access is the [access] section: the server's own IP rules and weekly
// schedule, the time zone schedules are read in, and how refusals are
// told and enforced. Groups and users add rules of their own (see
// docs/access.md).
type Access struct {
	// AllowIPs, when not empty, are the only sources whose connections are
	// accepted; DenyIPs are refused even when allowed. Both apply at
	// accept, before TLS. Entries are addresses or CIDR prefixes.
	AllowIPs []string `toml:"allow_ips"`
	DenyIPs  []string `toml:"deny_ips"`
	// Schedule holds weekly windows ("Mon-Fri 06:00-18:00") when anyone
	// may be logged in; empty means at any time.
	Schedule []string `toml:"schedule"`
	// TimeZone is the IANA zone the server's schedule is read in, and that
	// of groups and users that name none. "Local" is the host's zone.
	TimeZone string `toml:"timezone"`
	// ExplainDenials makes a login refused by these rules say why (and
	// when access opens) instead of the ordinary "Login incorrect".
	ExplainDenials bool `toml:"explain_denials"`
	// GracePeriod is how long a transfer running when a window closes may
	// go on before its session is closed; idle sessions close at once.
	GracePeriod Duration `toml:"grace_period"`
}

// LocalZone is the timezone value that means the host's own zone.
const LocalZone = "Local"

// maxGracePeriod bounds access.grace_period: a window that closes should
// close.
const maxGracePeriod = 24 * time.Hour

func defaultAccess() Access {
	return Access{
		AllowIPs: []string{},
		DenyIPs:  []string{},
		Schedule: []string{},
		TimeZone: LocalZone,
	}
}

// Validate checks the [access] section. Each error names the key and the
// entry at fault.
func (a Access) Validate() error {
	var errs []error
	errs = append(errs,
		checkAccessPrefixes("access.allow_ips", a.AllowIPs),
		checkAccessPrefixes("access.deny_ips", a.DenyIPs),
		checkAccessWindows("access.schedule", a.Schedule),
	)
	if _, err := a.Location(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, checkDuration("access.grace_period", a.GracePeriod, 0, maxGracePeriod))
	return errors.Join(errs...)
}

// checkAccessPrefixes reads each entry as an address or CIDR prefix.
func checkAccessPrefixes(key string, entries []string) error {
	var errs []error
	for _, e := range entries {
		if _, err := access.ParsePrefix(e); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// checkAccessWindows reads each entry as a weekly window.
func checkAccessWindows(key string, entries []string) error {
	var errs []error
	for _, e := range entries {
		if _, err := access.ParseWindow(e); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// Location returns the zone access.timezone names; "Local" (and "") is
// the host's zone.
func (a Access) Location() (*time.Location, error) {
	name := strings.TrimSpace(a.TimeZone)
	if name == "" || name == LocalZone {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("access.timezone: %q: not a known time zone (write an IANA name such as \"Europe/Berlin\" or \"America/New_York\", \"UTC\", or \"Local\" for the host's zone)", a.TimeZone)
	}
	return loc, nil
}

// ServerLevel returns the server's rules as the first level of every
// evaluation, named "server". It validates first, so each error names its
// key.
func (a Access) ServerLevel() (access.Level, error) {
	if err := a.Validate(); err != nil {
		return access.Level{}, err
	}
	loc, _ := a.Location()
	rules := user.AccessRules{AllowIPs: a.AllowIPs, DenyIPs: a.DenyIPs, Schedule: a.Schedule}
	lvl, err := access.BuildLevel("server", rules, loc)
	if err != nil {
		return access.Level{}, fmt.Errorf("access: %w", err)
	}
	return lvl, nil
}
