package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// userRow is a user with what aging says about its password now.
type userRow struct {
	u   *user.User
	age password.AgeStatus
}

func (a *app) userListCmd() *cobra.Command {
	var (
		asJSON   bool
		expiring string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Long: "List users. With --expiring, list only the users whose password expires within\n" +
			"that span from now, or has expired already, soonest first; exempt users and\n" +
			"passwords without a maximum age never appear.",
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var within time.Duration
			if cmd.Flags().Changed("expiring") {
				var err error
				if within, err = parseSpan(expiring); err != nil {
					return usagef("--expiring %q: %v", expiring, err)
				}
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				users, err := st.ListUsers(ctx)
				if err != nil {
					return err
				}
				pols, err := loadPolicies(ctx, cfg, st)
				if err != nil {
					return err
				}
				now := a.now()
				rows := make([]userRow, 0, len(users))
				for _, u := range users {
					rows = append(rows, userRow{u, passwordAge(pols.forUser(u), u, now)})
				}
				if cmd.Flags().Changed("expiring") {
					rows = expiringWithin(rows, now.Add(within))
					if asJSON {
						return writeUsersJSON(a.stdout, rows)
					}
					return writeExpiringTable(a.stdout, rows, now, expiring)
				}
				if asJSON {
					return writeUsersJSON(a.stdout, rows)
				}
				return writeUsersTable(a.stdout, rows)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&expiring, "expiring", "", "only users whose password expires within `SPAN` from now: 36h, 14d, 2w")
	return cmd
}

// expiringWithin keeps the rows whose password expires at or before
// limit, soonest first.
func expiringWithin(rows []userRow, limit time.Time) []userRow {
	var out []userRow
	for _, r := range rows {
		if t := expiresAt(r.u, r.age); t != nil && !t.After(limit) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b userRow) int { return a.age.ExpiresAt.Compare(b.age.ExpiresAt) })
	return out
}

func writeExpiringTable(w io.Writer, rows []userRow, now time.Time, span string) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintf(w, "no password expires within %s\n", span)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tPASSWORD EXPIRES\tWHEN")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.u.Name, status(r.u), formatTime(r.age.ExpiresAt), expiryDistance(r.age, now))
	}
	return tw.Flush()
}

// parseSpan reads a span of time such as "36h", "14d", "1d12h" or "2w"
// (see config.ParseSpan).
func parseSpan(s string) (time.Duration, error) { return config.ParseSpan(s) }
