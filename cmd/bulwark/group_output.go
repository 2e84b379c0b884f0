package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// groupRow is a group with its number of members, for "group list".
type groupRow struct {
	g       *user.Group
	members int
}

// groupJSON is the stable JSON form of a group in "group list".
type groupJSON struct {
	Name    string     `json:"name"`
	Comment string     `json:"comment"`
	Members int        `json:"members"`
	Perms   []ruleJSON `json:"perms"`
	// PasswordRules has the keys of --password-rule; unset ones are left
	// out.
	PasswordRules user.PasswordRules `json:"password_rules"`
	accessJSON
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// groupShowJSON is "group show --json": member names instead of a count,
// and the shared folders granted to the group.
type groupShowJSON struct {
	Name          string             `json:"name"`
	Comment       string             `json:"comment"`
	Members       []string           `json:"members"`
	Perms         []ruleJSON         `json:"perms"`
	Grants        []grantJSON        `json:"grants"`
	PasswordRules user.PasswordRules `json:"password_rules"`
	accessJSON
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func writeGroupsJSON(w io.Writer, rows []groupRow) error {
	out := make([]groupJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, groupJSON{Name: r.g.Name, Comment: r.g.Comment, Members: r.members,
			Perms: rulesJSON(r.g.Perms), PasswordRules: r.g.PasswordRules, accessJSON: toAccessJSON(r.g.Access), CreatedAt: r.g.CreatedAt.UTC(), UpdatedAt: r.g.UpdatedAt.UTC()})
	}
	return writeJSON(w, out)
}

func writeGroupsTable(w io.Writer, rows []groupRow) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "no groups")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMEMBERS\tRULES\tCOMMENT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.g.Name, r.members, rulesSummary(r.g.Perms), r.g.Comment)
	}
	return tw.Flush()
}

func toGroupShowJSON(g *user.Group, members []string, grants []user.Grant) groupShowJSON {
	return groupShowJSON{
		Name:          g.Name,
		Comment:       g.Comment,
		Members:       append([]string{}, members...),
		Perms:         rulesJSON(g.Perms),
		Grants:        grantsJSON(grants),
		PasswordRules: g.PasswordRules,
		accessJSON:    toAccessJSON(g.Access),
		CreatedAt:     g.CreatedAt.UTC(),
		UpdatedAt:     g.UpdatedAt.UTC(),
	}
}

// writeGroupText shows a group; serverZone is access.timezone, the zone of
// a schedule without one.
func writeGroupText(w io.Writer, g *user.Group, members []string, grants []user.Grant, serverZone string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\n", g.Name)
	fmt.Fprintf(tw, "comment:\t%s\n", g.Comment)
	fmt.Fprintf(tw, "created:\t%s\n", formatTime(g.CreatedAt))
	fmt.Fprintf(tw, "updated:\t%s\n", formatTime(g.UpdatedAt))
	memberList := listOrNone(members)
	if len(members) > 0 {
		memberList = strconv.Itoa(len(members)) + ": " + memberList
	}
	fmt.Fprintf(tw, "members:\t%s\n", memberList)
	writeAccessLines(tw, g.Access, serverZone)
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeSection(w, "rules", ruleRows(g.Perms)); err != nil {
		return err
	}
	if err := writeSection(w, "password rules", passwordRuleRows(g.PasswordRules)); err != nil {
		return err
	}
	return writeSection(w, "shared folders", grantRows(grants, true))
}
