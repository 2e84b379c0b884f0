package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/access"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// serverZone is the --timezone value that, like "", removes a user's or
// group's own zone so the server's (access.timezone) applies.
const serverZone = "server"

// accessFlags are the flags that edit a user's or a group's access rules:
// --allow-ip, --deny-ip, --schedule and --timezone, and when editing the
// --clear-* flags.
type accessFlags struct {
	allowIPs   []string
	denyIPs    []string
	schedule   []string
	timezone   string
	clearAllow bool
	clearDeny  bool
	clearSched bool
	editing    bool
}

func (af *accessFlags) register(cmd *cobra.Command, editing bool) {
	af.editing = editing
	f := cmd.Flags()
	f.StringArrayVar(&af.allowIPs, "allow-ip", nil,
		"allow logins only from `ADDR|CIDR` (repeatable, adds to the list; an empty list allows any address)")
	f.StringArrayVar(&af.denyIPs, "deny-ip", nil,
		"refuse logins from `ADDR|CIDR` even when allowed (repeatable, adds to the list)")
	f.StringArrayVar(&af.schedule, "schedule", nil,
		"allow logins only within the weekly `WINDOW`, for example \"Mon-Fri 06:00-18:00\" (repeatable, adds; none means any time)")
	f.StringVar(&af.timezone, "timezone", "",
		"IANA time `ZONE` of the schedule, for example America/New_York (\"\" or \"server\": the server's access.timezone)")
	if editing {
		f.BoolVar(&af.clearAllow, "clear-allow-ip", false, "empty the --allow-ip list before adding")
		f.BoolVar(&af.clearDeny, "clear-deny-ip", false, "empty the --deny-ip list before adding")
		f.BoolVar(&af.clearSched, "clear-schedule", false, "empty the --schedule list before adding")
	}
}

// accessEdit is the parsed form of accessFlags: the lists to clear, the
// canonical entries to add, and the new zone (nil: unchanged).
type accessEdit struct {
	clearAllow, clearDeny, clearSched bool
	allowIPs, denyIPs, schedule       []string
	timezone                          *string
}

// parse checks every value; an error names the flag and quotes the entry.
func (af *accessFlags) parse(cmd *cobra.Command) (accessEdit, error) {
	e := accessEdit{clearAllow: af.clearAllow, clearDeny: af.clearDeny, clearSched: af.clearSched}
	var err error
	if e.allowIPs, err = parseIPFlags("--allow-ip", af.allowIPs); err != nil {
		return e, err
	}
	if e.denyIPs, err = parseIPFlags("--deny-ip", af.denyIPs); err != nil {
		return e, err
	}
	for _, s := range af.schedule {
		w, err := access.ParseWindow(s)
		if err != nil {
			return e, usagef("--schedule: %v", err)
		}
		// The canonical form, so that one window written two ways is
		// stored once.
		e.schedule = append(e.schedule, w.String())
	}
	if cmd.Flags().Changed("timezone") {
		zone := strings.TrimSpace(af.timezone)
		if strings.EqualFold(zone, serverZone) {
			zone = ""
		}
		if strings.EqualFold(zone, "Local") {
			return e, usagef("--timezone %q: write \"server\" for the server's zone (access.timezone), or an IANA name such as \"Europe/Berlin\"", af.timezone)
		}
		if zone != "" {
			if _, err := time.LoadLocation(zone); err != nil {
				return e, usagef("--timezone %q: not a known time zone (write an IANA name such as \"Europe/Berlin\" or \"America/New_York\", or \"server\" for the server's zone)", af.timezone)
			}
		}
		e.timezone = &zone
	}
	return e, nil
}

// parseIPFlags reads addresses and CIDR prefixes into their canonical text
// form, so that the same network given twice is stored once.
func parseIPFlags(flag string, values []string) ([]string, error) {
	out := make([]string, 0, len(values))
	for _, s := range values {
		p, err := access.ParsePrefix(s)
		if err != nil {
			return nil, usagef("%s: %v", flag, err)
		}
		out = append(out, p.Masked().String())
	}
	return out, nil
}

func (e accessEdit) changes() bool {
	return e.clearAllow || e.clearDeny || e.clearSched || len(e.allowIPs) > 0 || len(e.denyIPs) > 0 ||
		len(e.schedule) > 0 || e.timezone != nil
}

// apply clears, then adds, then checks that the rules hold together (a
// schedule and its zone) as the server will read them.
func (e accessEdit) apply(r *user.AccessRules) error {
	next := user.AccessRules{
		AllowIPs: editList(r.AllowIPs, e.clearAllow, e.allowIPs),
		DenyIPs:  editList(r.DenyIPs, e.clearDeny, e.denyIPs),
		Schedule: editList(r.Schedule, e.clearSched, e.schedule),
		TimeZone: r.TimeZone,
	}
	if e.timezone != nil {
		next.TimeZone = *e.timezone
	}
	if _, err := access.BuildLevel("check", next, time.UTC); err != nil {
		return fmt.Errorf("access rules: %w", err)
	}
	*r = next
	return nil
}

// editList returns list, emptied first if clear, with add appended; an
// entry already present is not added twice.
func editList(list []string, clear bool, add []string) []string {
	var out []string
	if !clear {
		out = slices.Clone(list)
	}
	for _, s := range add {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// parseValidFrom reads --valid-from: a date (from 00:00:00 UTC that day), an
// RFC 3339 instant, or "none" for no start.
func parseValidFrom(flag, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, usagef("%s %q: want a date YYYY-MM-DD, an RFC 3339 time such as 2026-03-01T08:00:00+01:00, or none", flag, s)
}

// formatValidFrom shows a stored ValidFrom.
func formatValidFrom(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly) + " (from 00:00:00 UTC)"
	}
	return t.Format(time.RFC3339)
}
