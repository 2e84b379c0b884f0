package main

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

// banJSON is the stable JSON form of a ban. Until is null for a permanent
// ban.
type banJSON struct {
	Prefix    string     `json:"prefix"`
	Reason    string     `json:"reason"`
	First     *time.Time `json:"first"`
	Last      *time.Time `json:"last"`
	Count     int        `json:"count"`
	Level     int        `json:"level"`
	Until     *time.Time `json:"until"`
	Permanent bool       `json:"permanent"`
	Manual    bool       `json:"manual"`
	// Ended is true for a ban no longer in force (listed with --all).
	Ended bool `json:"ended"`
}

// banEnded reports whether b is no longer in force at now.
func banEnded(b store.Ban, now time.Time) bool {
	return !b.Until.IsZero() && !b.Until.After(now)
}

// sortBans orders bans by address, then by prefix length, so that a
// network comes before the addresses inside it.
func sortBans(bans []store.Ban) {
	slices.SortStableFunc(bans, func(x, y store.Ban) int {
		px, errx := netip.ParsePrefix(x.Prefix)
		py, erry := netip.ParsePrefix(y.Prefix)
		if errx != nil || erry != nil {
			return strings.Compare(x.Prefix, y.Prefix)
		}
		if c := px.Addr().Compare(py.Addr()); c != 0 {
			return c
		}
		return px.Bits() - py.Bits()
	})
}

func writeBansJSON(w io.Writer, bans []store.Ban, now time.Time) error {
	out := make([]banJSON, 0, len(bans))
	for _, b := range bans {
		out = append(out, banJSON{
			Prefix:    b.Prefix,
			Reason:    b.Reason,
			First:     utcOrNil(b.First),
			Last:      utcOrNil(b.Last),
			Count:     b.Count,
			Level:     b.Level,
			Until:     utcOrNil(b.Until),
			Permanent: b.Until.IsZero(),
			Manual:    b.Manual,
			Ended:     banEnded(b, now),
		})
	}
	return writeJSON(w, out)
}

func writeBansTable(w io.Writer, bans []store.Ban, now time.Time) error {
	if len(bans) == 0 {
		_, err := fmt.Fprintln(w, "no bans")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PREFIX\tREASON\tFIRST\tLAST\tCOUNT\tLEVEL\tUNTIL\tMANUAL")
	for _, b := range bans {
		until := "permanent"
		if !b.Until.IsZero() {
			until = formatTime(b.Until)
			if banEnded(b, now) {
				until += " (ended)"
			}
		}
		reason := b.Reason
		if reason == "" {
			reason = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Prefix, reason, formatTime(b.First), formatTime(b.Last),
			strconv.Itoa(b.Count), strconv.Itoa(b.Level), until, yesNo(b.Manual))
	}
	return tw.Flush()
}

// untilText says how long a new ban lasts.
func untilText(until time.Time) string {
	if until.IsZero() {
		return "permanently"
	}
	return "until " + formatTime(until)
}
