package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// shareJSON is the stable JSON form of a share in "share list".
type shareJSON struct {
	Name      string    `json:"name"`
	Path      string    `json:"path"`
	Comment   string    `json:"comment"`
	Grants    int       `json:"grants"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// shareShowJSON is "share show --json": the grants themselves and the
// usage.
type shareShowJSON struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Comment   string      `json:"comment"`
	Grants    []grantJSON `json:"grants"`
	Usage     usageJSON   `json:"usage"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// grantCount counts the grants of share among all.
func grantCount(share string, all []user.Grant) int {
	n := 0
	for _, g := range all {
		if strings.EqualFold(g.Share, share) {
			n++
		}
	}
	return n
}

func writeSharesJSON(w io.Writer, shares []*user.Share, grants []user.Grant) error {
	out := make([]shareJSON, 0, len(shares))
	for _, s := range shares {
		out = append(out, shareJSON{Name: s.Name, Path: s.Path, Comment: s.Comment, Grants: grantCount(s.Name, grants),
			CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()})
	}
	return writeJSON(w, out)
}

func writeSharesTable(w io.Writer, shares []*user.Share, grants []user.Grant) error {
	if len(shares) == 0 {
		_, err := fmt.Fprintln(w, "no shares")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPATH\tGRANTS\tCOMMENT")
	for _, s := range shares {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Name, s.Path, grantCount(s.Name, grants), s.Comment)
	}
	return tw.Flush()
}

func toShareShowJSON(s *user.Share, grants []user.Grant, usage user.Usage) shareShowJSON {
	return shareShowJSON{
		Name:      s.Name,
		Path:      s.Path,
		Comment:   s.Comment,
		Grants:    grantsJSON(grants),
		Usage:     toUsageJSON(usage),
		CreatedAt: s.CreatedAt.UTC(),
		UpdatedAt: s.UpdatedAt.UTC(),
	}
}

func writeShareText(w io.Writer, s *user.Share, grants []user.Grant, usage user.Usage) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\n", s.Name)
	fmt.Fprintf(tw, "path:\t%s\n", s.Path)
	fmt.Fprintf(tw, "comment:\t%s\n", s.Comment)
	fmt.Fprintf(tw, "created:\t%s\n", formatTime(s.CreatedAt))
	fmt.Fprintf(tw, "updated:\t%s\n", formatTime(s.UpdatedAt))
	fmt.Fprintf(tw, "usage:\t%s\n", formatUsage(usage))
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeSection(w, "grants", grantRows(grants, false))
}
