package access

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Level is the rules of one level a login must pass.
type Level struct {
	// Name says whose rules these are: "server", "group staff", "user
	// alice".
	Name     string
	IP       IPRules
	Schedule Schedule
	// ValidFrom and ValidUntil bound the account's validity; zero is
	// unbounded. Logins before ValidFrom or after ValidUntil are refused.
	ValidFrom, ValidUntil time.Time
}

// BuildLevel parses one level's rules; ValidFrom and ValidUntil are left
// for the caller. defaultZone is the zone of a schedule that names none.
// Errors start with name.
func BuildLevel(name string, r user.AccessRules, defaultZone *time.Location) (Level, error) {
	ip, err := ParseIPRules(r.AllowIPs, r.DenyIPs)
	if err != nil {
		return Level{}, fmt.Errorf("%s: %w", name, err)
	}
	sched, err := ParseSchedule(r.Schedule, r.TimeZone, defaultZone)
	if err != nil {
		return Level{}, fmt.Errorf("%s: %w", name, err)
	}
	return Level{Name: name, IP: ip, Schedule: sched}, nil
}

// The rules a Step reports on.
const (
	RuleIP         = "ip"
	RuleSchedule   = "schedule"
	RuleValidFrom  = "valid_from"
	RuleValidUntil = "valid_until"
)

// Step is the outcome of one rule of one level.
type Step struct {
	Level, Rule string
	Passed      bool
	Detail      string
}

// Decision is the outcome of Evaluate.
type Decision struct {
	Allowed bool
	// Steps lists each level's rules in order: its IP rules and its
	// schedule always, its validity dates when set.
	Steps []Step
	// Reason is the first failing step in plain words, for logs.
	Reason string
	// Explain is the first failing step in words a client may be shown:
	// it names no address, rule or level.
	Explain string
	// ClosesAt, for an allowed decision, is the earliest moment a window
	// closes or the validity ends; zero when time never ends the access.
	ClosesAt time.Time
	// OpensAt, for a decision refused only by time rules, is the earliest
	// moment all time rules of all levels allow, if within openHorizon;
	// zero otherwise.
	OpensAt time.Time
}

// openHorizon bounds how far ahead OpensAt is looked for.
const openHorizon = 8 * 24 * time.Hour

// Evaluate judges a login from addr at t: it must pass every level, that
// is the IP rules of each, the schedule of each that has windows (so the
// open times are the intersection) and the validity dates. Every rule is
// evaluated, so Steps is complete even after a failure.
func Evaluate(levels []Level, addr netip.Addr, t time.Time) Decision {
	d := Decision{Allowed: true}
	ipFailed, timeFailed := false, false
	var explainLoc *time.Location
	fail := func(step Step, reason, explain string) {
		d.Steps = append(d.Steps, step)
		if d.Allowed {
			d.Allowed, d.Reason, d.Explain = false, reason, explain
		}
	}
	for _, l := range levels {
		ok, detail := l.IP.Check(addr)
		step := Step{Level: l.Name, Rule: RuleIP, Passed: ok, Detail: detail}
		if ok {
			d.Steps = append(d.Steps, step)
		} else {
			ipFailed = true
			fail(step, ipReason(l, addr, detail), "not allowed from this address")
		}

		step, open := scheduleStep(l, t)
		if open {
			d.Steps = append(d.Steps, step)
		} else {
			if d.Allowed {
				explainLoc = l.Schedule.loc()
			}
			timeFailed = true
			fail(step, fmt.Sprintf("outside the schedule of %s at %s", l.Name, stamp(t, l.Schedule.loc())), "outside the allowed hours")
		}

		if !l.ValidFrom.IsZero() {
			step := Step{Level: l.Name, Rule: RuleValidFrom, Passed: !t.Before(l.ValidFrom)}
			if step.Passed {
				step.Detail = "valid since " + dateText(l.ValidFrom)
				d.Steps = append(d.Steps, step)
			} else {
				step.Detail = "not valid before " + dateText(l.ValidFrom)
				timeFailed = true
				fail(step, l.Name+" not valid before "+dateText(l.ValidFrom), "account not yet valid")
			}
		}
		if !l.ValidUntil.IsZero() {
			step := Step{Level: l.Name, Rule: RuleValidUntil, Passed: !t.After(l.ValidUntil)}
			if step.Passed {
				step.Detail = "valid until " + dateText(l.ValidUntil)
				d.Steps = append(d.Steps, step)
			} else {
				step.Detail = "expired at " + dateText(l.ValidUntil)
				timeFailed = true
				fail(step, l.Name+" expired at "+dateText(l.ValidUntil), "account expired")
			}
		}
	}
	switch {
	case d.Allowed:
		d.ClosesAt = closesAt(levels, t)
	case timeFailed && !ipFailed:
		// Waiting helps only when no address rule refuses.
		d.OpensAt = opensAt(levels, t)
		if explainLoc != nil && !d.OpensAt.IsZero() {
			d.Explain += "; access opens " + d.OpensAt.In(explainLoc).Format("Mon 15:04") + " " + zoneName(d.OpensAt, explainLoc)
		}
	}
	return d
}

func ipReason(l Level, addr netip.Addr, detail string) string {
	switch {
	case !addr.IsValid():
		return "no valid client address for the ip rules of " + l.Name
	case strings.HasPrefix(detail, "denied by "):
		return fmt.Sprintf("address %s %s in the deny list of %s", addr.Unmap(), detail, l.Name)
	default:
		return fmt.Sprintf("address %s not in the allow list of %s", addr.Unmap(), l.Name)
	}
}

// scheduleStep checks one level's schedule at t.
func scheduleStep(l Level, t time.Time) (Step, bool) {
	step := Step{Level: l.Name, Rule: RuleSchedule, Passed: true}
	s := l.Schedule
	if s.IsZero() {
		step.Detail = "no schedule: any time"
		return step, true
	}
	loc := s.loc()
	next, changes := s.Next(t)
	switch open := s.Open(t); {
	case open && changes:
		step.Detail = "open until " + stamp(next, loc)
	case open:
		step.Detail = "open: the windows cover the whole week"
	case changes:
		step.Passed, step.Detail = false, "closed; opens "+stamp(next, loc)
	default:
		step.Passed, step.Detail = false, "closed: the windows never open"
	}
	return step, step.Passed
}

// closesAt is the earliest moment a time rule of any level ends an
// allowed decision at t.
func closesAt(levels []Level, t time.Time) time.Time {
	var first time.Time
	earlier := func(c time.Time) {
		if first.IsZero() || c.Before(first) {
			first = c
		}
	}
	for _, l := range levels {
		if next, ok := l.Schedule.Next(t); ok {
			earlier(next)
		}
		if !l.ValidUntil.IsZero() {
			earlier(l.ValidUntil)
		}
	}
	return first
}

// opensAt is the earliest moment from t on at which every time rule of
// every level allows, if within openHorizon; zero otherwise.
func opensAt(levels []Level, t time.Time) time.Time {
	at := t
	for _, l := range levels {
		if l.ValidFrom.After(at) {
			at = l.ValidFrom
		}
	}
	limit := t.Add(openHorizon)
	// Each round moves at to a later opening of some schedule; no moment
	// between at and that opening can pass them all.
	for range 1000 {
		if at.After(limit) {
			return time.Time{}
		}
		moved := false
		for _, l := range levels {
			if !l.ValidUntil.IsZero() && at.After(l.ValidUntil) {
				return time.Time{}
			}
			if l.Schedule.Open(at) {
				continue
			}
			next, ok := l.Schedule.Next(at)
			if !ok {
				return time.Time{}
			}
			at, moved = next, true
		}
		if !moved {
			return at
		}
	}
	return time.Time{}
}

// stamp shows an instant in a schedule's zone, for logs and steps.
func stamp(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2006-01-02 15:04") + " " + zoneName(t, loc)
}

// zoneName names loc as people set it ("America/New_York"); the host's
// zone, whose name is just "Local", by its abbreviation at t instead.
func zoneName(t time.Time, loc *time.Location) string {
	if loc == time.Local || loc.String() == "Local" {
		name, _ := t.In(loc).Zone()
		return name
	}
	return loc.String()
}

func dateText(t time.Time) string { return t.Format(time.RFC3339) }
