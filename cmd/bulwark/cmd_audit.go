package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/bulwark-ftp/bulwark/internal/admin"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// defaultAuditLimit is how many entries "audit list" shows without --limit.
const defaultAuditLimit = 100

// record writes one entry to the audit trail after a change succeeded.
// before and after are audit views (nil for none). A failed write does not
// undo the change, which is already made and may already be in force on a
// running server: it is reported as a warning and the command still
// succeeds.
func (a *app) record(ctx context.Context, st store.Store, action, target string, before, after any) {
	// The context may be cancelled by now (an interrupt after the change);
	// the record of a change made is still due.
	ctx = context.WithoutCancel(ctx)
	if err := audit.Record(ctx, st, a.now(), audit.LocalActor(), action, target, before, after); err != nil {
		fmt.Fprintf(a.stderr, "warning: %s %s was done but not recorded in the audit trail: %v\n", action, target, err)
	}
}

// frozen returns the JSON of an audit view as it is now, for a "before"
// taken from a value that is about to be edited in place (a view may share
// slices with it). A nil pointer gives nil: no state.
func frozen(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v // Record reports the same error
	}
	if string(b) == "null" {
		return nil
	}
	return json.RawMessage(b)
}

func (a *app) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit trail of administrative changes",
		Long: "Show the audit trail: every change to users, groups, shared folders, bans and\n" +
			"admin tokens, and every session closed by an administrator, made from the\n" +
			"command line or the admin API, with who made it and the state before and\n" +
			"after. Passwords and tokens are never recorded, only that they changed.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(a.auditListCmd(), a.auditPurgeCmd())
	return cmd
}

func (a *app) auditPurgeCmd() *cobra.Command {
	var (
		beforeText string
		yes        bool
	)
	cmd := &cobra.Command{
		Use:   "purge --before SPAN|TIME",
		Short: "Remove old audit entries",
		Long: "Remove the audit entries older than --before: a span back from now (400d, 2w)\n" +
			"or an RFC 3339 time. Entries are otherwise kept for ever; keep them as long as\n" +
			"your rules require. The purge itself is recorded (action audit.purge).",
		Example: "  bulwark audit purge --before 400d --yes",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("before") {
				return usagef("--before is required")
			}
			before, err := parseSince(beforeText, a.now())
			if err != nil {
				return usagef("--before %q: %v", beforeText, err)
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				when := before.UTC().Format(time.RFC3339)
				if !yes {
					question := fmt.Sprintf("Remove the audit entries older than %s?", when)
					if err := a.confirm(question, "audit entries not removed"); err != nil {
						return err
					}
				}
				n, err := st.DeleteAuditBefore(ctx, before)
				if err != nil {
					return err
				}
				a.record(ctx, st, "audit.purge", "", nil, map[string]any{"before": when, "removed": n})
				fmt.Fprintf(a.stdout, "removed %d audit entries older than %s\n", n, when)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&beforeText, "before", "", "remove entries older than `SPAN` (400d) or an RFC 3339 time")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) auditListCmd() *cobra.Command {
	var (
		sinceText string
		limit     int
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit entries, oldest first",
		Long: "List audit entries, oldest first: time, actor (\"cli:<login>\" for the command\n" +
			"line, \"token:<name>\" for the admin API), action, target and what changed. --since\n" +
			"takes a span back from now (90m, 36h, 14d, 2w) or an RFC 3339 time; --limit keeps\n" +
			"the newest N entries (0 for all). --json prints the entries with their full\n" +
			"before and after states.",
		Example: "  bulwark audit list --since 7d\n" +
			"  bulwark audit list --since 2026-03-01T00:00:00Z --limit 0 --json",
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var since time.Time
			if cmd.Flags().Changed("since") {
				var err error
				if since, err = parseSince(sinceText, a.now()); err != nil {
					return usagef("--since %q: %v", sinceText, err)
				}
			}
			if limit < 0 {
				return usagef("--limit %d: must be 0 (all) or more", limit)
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				entries, err := st.ListAudit(ctx, since, limit)
				if err != nil {
					return err
				}
				if asJSON {
					return writeAuditJSON(a.stdout, entries)
				}
				return writeAuditTable(a.stdout, entries)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&sinceText, "since", "", "only entries from `SPAN` ago (36h, 14d) or since an RFC 3339 time")
	f.IntVar(&limit, "limit", defaultAuditLimit, "show the newest `N` entries; 0 for all")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// parseSince reads --since: an RFC 3339 time, or a span back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(s)); err == nil {
		return t, nil
	}
	d, err := parseSpan(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want a span such as 90m, 36h, 14d, 2w, or an RFC 3339 time such as 2026-03-01T00:00:00Z")
	}
	return now.Add(-d), nil
}

func writeAuditJSON(w io.Writer, entries []store.AuditEntry) error {
	out := make([]admin.AuditEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, admin.AuditEntryOf(e))
	}
	return writeJSON(w, out)
}

func writeAuditTable(w io.Writer, entries []store.AuditEntry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "no audit entries")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tCHANGE")
	for _, e := range entries {
		target := e.Target
		if target == "" {
			target = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", formatTime(e.Time), oneLine(e.Actor), e.Action, oneLine(target),
			changeSummary(e.Before, e.After))
	}
	return tw.Flush()
}

// maxSummary bounds the CHANGE column; --json has the whole of it.
const maxSummary = 100

// changeSummary describes an entry in one line: the keys that changed
// ("disabled: false→true") when there is a state before and after, or the
// non-empty keys of the one state there is, after "+ " (created) or "- "
// (removed).
func changeSummary(before, after string) string {
	b, bok := objectOf(before)
	f, fok := objectOf(after)
	var s string
	switch {
	case bok && fok:
		var parts []string
		for _, k := range unionKeys(b, f) {
			if vb, vf := compactValue(b[k]), compactValue(f[k]); vb != vf {
				parts = append(parts, k+": "+orDash(vb)+"→"+orDash(vf))
			}
		}
		s = strings.Join(parts, ", ")
		if s == "" {
			s = "no change"
		}
	case fok:
		s = "+ " + keyValues(f)
	case bok:
		s = "- " + keyValues(b)
	default:
		return "-"
	}
	return truncate(oneLine(s), maxSummary)
}

// objectOf parses a recorded state; false when there is none (or it is not
// a JSON object).
func objectOf(s string) (map[string]json.RawMessage, bool) {
	if s == "" {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// unionKeys returns the keys of both maps, sorted: decoded into maps, the
// objects have lost their order, and sorting keeps the output stable.
func unionKeys(a, b map[string]json.RawMessage) []string {
	seen := make(map[string]bool, len(a)+len(b))
	var keys []string
	for _, m := range []map[string]json.RawMessage{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// compactValue is v as compact JSON, "" when absent.
func compactValue(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var out bytes.Buffer
	if err := json.Compact(&out, v); err != nil {
		return string(v)
	}
	return out.String()
}

// keyValues lists the keys of m with a value that says something (not
// null, false, 0, "" or empty), as k=v with strings unquoted.
func keyValues(m map[string]json.RawMessage) string {
	var parts []string
	for _, k := range unionKeys(m, nil) {
		v := compactValue(m[k])
		switch v {
		case "", "null", "false", "0", `""`, "[]", "{}":
			continue
		}
		if s, err := strconv.Unquote(v); err == nil && !strings.ContainsAny(s, " =,") && !strings.ContainsFunc(s, isControl) {
			v = s
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table row on one line whatever a recorded text holds.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
