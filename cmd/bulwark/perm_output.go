package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// JSON forms shared by users, groups and shares. Rights are strings as
// --perm reads them ("all", "read", "list,upload"); sizes are bytes.

type ruleJSON struct {
	Path   string `json:"path"`
	Rights string `json:"rights"`
}

func rulesJSON(rs user.Rules) []ruleJSON {
	out := make([]ruleJSON, 0, len(rs))
	for _, r := range rs {
		out = append(out, ruleJSON{Path: r.Path, Rights: r.Rights.String()})
	}
	return out
}

type effectiveJSON struct {
	Path   string `json:"path"`
	Rights string `json:"rights"`
	From   string `json:"from"`
}

type limitsJSON struct {
	MaxBytes    int64 `json:"max_bytes"`
	MaxFiles    int64 `json:"max_files"`
	MaxFileSize int64 `json:"max_file_size"`
}

func toLimitsJSON(l user.Limits) limitsJSON {
	return limitsJSON{MaxBytes: l.MaxBytes, MaxFiles: l.MaxFiles, MaxFileSize: l.MaxFileSize}
}

type usageJSON struct {
	// Known is false until the server has counted the files once.
	Known bool  `json:"known"`
	Bytes int64 `json:"bytes"`
	Files int64 `json:"files"`
}

func toUsageJSON(u user.Usage) usageJSON {
	return usageJSON{Known: u.Known, Bytes: u.Bytes, Files: u.Files}
}

// grantJSON is a grant seen from its share (grantee set) or from its
// grantee (share set).
type grantJSON struct {
	Share   string     `json:"share"`
	Grantee string     `json:"grantee"`
	At      string     `json:"at"`
	Rights  string     `json:"rights"`
	Limits  limitsJSON `json:"limits"`
}

func grantsJSON(gs []user.Grant) []grantJSON {
	out := make([]grantJSON, 0, len(gs))
	for _, g := range gs {
		out = append(out, grantJSON{Share: g.Share, Grantee: g.Grantee(), At: g.At,
			Rights: g.Rights.String(), Limits: toLimitsJSON(g.Limits)})
	}
	return out
}

// formatUsage says what a home or share holds: "12.3 MiB in 45 files".
func formatUsage(u user.Usage) string {
	if !u.Known {
		return "not counted yet"
	}
	return formatBytes(u.Bytes) + " in " + plural(u.Files, "file")
}

// formatLimits says which limits are set: "at most 10 GiB, 1000 files,
// 100 MiB per file", or "no limits".
func formatLimits(l user.Limits) string {
	var parts []string
	if l.MaxBytes > 0 {
		parts = append(parts, formatBytes(l.MaxBytes))
	}
	if l.MaxFiles > 0 {
		parts = append(parts, plural(l.MaxFiles, "file"))
	}
	if l.MaxFileSize > 0 {
		parts = append(parts, formatBytes(l.MaxFileSize)+" per file")
	}
	if len(parts) == 0 {
		return "no limits"
	}
	return "at most " + strings.Join(parts, ", ")
}

// listOrDash joins names for a table cell.
func listOrDash(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ",")
}

// listOrNone joins names for a "key: value" line.
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// rulesSummary renders rules in one table cell: "/=read /in=upload".
func rulesSummary(rs user.Rules) string {
	if len(rs) == 0 {
		return "-"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, " ")
}

// writeSection prints a titled, indented table: "title:" then one line per
// row, or "title: none" when there are no rows.
func writeSection(w io.Writer, title string, rows [][]string) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintf(w, "%s: none\n", title)
		return err
	}
	if _, err := fmt.Fprintf(w, "%s:\n", title); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range rows {
		fmt.Fprintf(tw, "  %s\n", strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// ruleRows turns rules into rows for writeSection.
func ruleRows(rs user.Rules) [][]string {
	rows := make([][]string, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, []string{r.Path, r.Rights.String()})
	}
	return rows
}

// grantRows turns grants into rows for writeSection; withShare puts the
// share name first (seen from a grantee), else the grantee (seen from the
// share).
func grantRows(gs []user.Grant, withShare bool) [][]string {
	rows := make([][]string, 0, len(gs))
	for _, g := range gs {
		who := g.Grantee()
		if withShare {
			who = "share " + g.Share
		}
		rows = append(rows, []string{who, "at " + g.At, g.Rights.String(), formatLimits(g.Limits)})
	}
	return rows
}
