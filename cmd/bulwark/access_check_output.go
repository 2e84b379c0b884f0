package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/access"
)

// checkTimeLayout shows instants of "access check" with their weekday,
// which is what a schedule is about.
const checkTimeLayout = "Mon 2006-01-02 15:04:05 MST"

// accessCheckJSON is the stable JSON form of "access check". Times carry
// the server zone's offset; closes_at and opens_at are null when access
// does not close (or open) by itself.
type accessCheckJSON struct {
	User     string          `json:"user"`
	IP       string          `json:"ip"`
	At       time.Time       `json:"at"`
	Allowed  bool            `json:"allowed"`
	Reason   string          `json:"reason"`
	Explain  string          `json:"explain"`
	ClosesAt *time.Time      `json:"closes_at"`
	OpensAt  *time.Time      `json:"opens_at"`
	Steps    []checkStepJSON `json:"steps"`
	Disabled bool            `json:"disabled"`
	// Ban is the defender's ban in force on the address, or null.
	Ban *checkBanJSON `json:"ban"`
	// Blocklisted and Safelisted are the defender.blocklist and
	// defender.safelist entries holding the address, or "".
	Blocklisted string `json:"blocklisted"`
	Safelisted  string `json:"safelisted"`
}

type checkStepJSON struct {
	Level  string `json:"level"`
	Rule   string `json:"rule"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

type checkBanJSON struct {
	Prefix string `json:"prefix"`
	Reason string `json:"reason"`
	// Until is null for a permanent ban.
	Until *time.Time `json:"until"`
}

func (r *checkResult) toJSON() accessCheckJSON {
	d := r.decision
	j := accessCheckJSON{
		User:        r.user.Name,
		IP:          r.addr.String(),
		At:          r.at,
		Allowed:     d.Allowed,
		Reason:      d.Reason,
		Explain:     d.Explain,
		ClosesAt:    r.inZone(d.ClosesAt),
		OpensAt:     r.inZone(d.OpensAt),
		Steps:       make([]checkStepJSON, 0, len(d.Steps)),
		Disabled:    r.user.Disabled,
		Blocklisted: r.defense.blocklisted,
		Safelisted:  r.defense.safelisted,
	}
	for _, s := range d.Steps {
		j.Steps = append(j.Steps, checkStepJSON{Level: s.Level, Rule: s.Rule, Passed: s.Passed, Detail: s.Detail})
	}
	if b := r.defense.ban; b != nil {
		j.Ban = &checkBanJSON{Prefix: b.Prefix, Reason: b.Reason, Until: r.inZone(b.Until)}
	}
	return j
}

// inZone is t in the zone of the check, or nil for the zero time.
func (r *checkResult) inZone(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(r.at.Location())
	return &t
}

func (r *checkResult) fmtTime(t time.Time) string {
	return t.In(r.at.Location()).Format(checkTimeLayout)
}

func (r *checkResult) writeText(w io.Writer) error {
	d := r.decision
	fmt.Fprintf(w, "user %s from %s at %s\n\n", r.user.Name, r.addr, r.fmtTime(r.at))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LEVEL\tRULE\tRESULT\tDETAIL")
	for _, s := range d.Steps {
		result := "FAIL"
		if s.Passed {
			result = "pass"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Level, s.Rule, result, s.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if d.Allowed {
		fmt.Fprintln(w, "allowed")
		if d.ClosesAt.IsZero() {
			fmt.Fprintln(w, "closes: never (no window ends)")
		} else {
			fmt.Fprintf(w, "closes: %s\n", r.fmtTime(d.ClosesAt))
		}
	} else {
		fmt.Fprintf(w, "refused: %s\n", d.Reason)
		switch {
		case !d.OpensAt.IsZero():
			fmt.Fprintf(w, "opens: %s\n", r.fmtTime(d.OpensAt))
		case ipRefused(d):
			fmt.Fprintln(w, "opens: never from this address")
		default:
			fmt.Fprintln(w, "opens: not within the next week")
		}
		// What a client is told when access.explain_denials is on.
		fmt.Fprintf(w, "explanation: %s\n", d.Explain)
	}
	if r.user.Disabled {
		fmt.Fprintf(w, "note: user %s is disabled: its logins are refused whatever the rules say\n", r.user.Name)
	}
	_, err := fmt.Fprintln(w, r.banLine())
	return err
}

// banLine is the defender's view of the address, in one line.
func (r *checkResult) banLine() string {
	v := r.defense
	switch {
	case v.safelisted != "":
		return "ban: none (safelisted by defender.safelist " + v.safelisted + ")"
	case v.blocklisted != "":
		return "ban: blocklisted by defender.blocklist " + v.blocklisted + ": refused at accept"
	case v.ban == nil:
		return "ban: none"
	case v.ban.Until.IsZero():
		return fmt.Sprintf("ban: %s permanent (%s): refused at accept", v.ban.Prefix, v.ban.Reason)
	}
	return fmt.Sprintf("ban: %s until %s (%s): refused at accept", v.ban.Prefix, r.fmtTime(v.ban.Until), v.ban.Reason)
}

// ipRefused reports whether an address rule refused: then no time opens
// access.
func ipRefused(d access.Decision) bool {
	for _, s := range d.Steps {
		if s.Rule == access.RuleIP && !s.Passed {
			return true
		}
	}
	return false
}
