package main

import (
	"fmt"
	"github.com/bulwark-ftp/bulwark/internal/admin"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) statusCmd() *cobra.Command {
	var (
		af     = adminFlags{readOnly: true}
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running server's state",
		Long: "Show the running server's version, start time, listeners, sessions, transfers\n" +
			"and bans in force, through its admin API (admin.listen). The token is --token,\n" +
			"else $" + adminTokenEnv + ", else a temporary token made in the store.",
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withAdmin(ctx, af, func(s adminSession) error {
				var st admin.Status
				if err := s.client.do(ctx, http.MethodGet, "/api/v1/status", &st); err != nil {
					return err
				}
				if st.Listeners == nil {
					st.Listeners = []string{}
				}
				if asJSON {
					return writeJSON(a.stdout, st)
				}
				return writeStatusText(a.stdout, st, s.client.listen)
			})
		},
	}
	af.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeStatusText(w io.Writer, st admin.Status, adminAddr string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	uptime := time.Duration(st.UptimeSeconds * float64(time.Second))
	listeners := "-"
	if len(st.Listeners) > 0 {
		listeners = oneLine(strings.Join(st.Listeners, ", "))
	}
	fmt.Fprintf(tw, "version:\t%s\n", orDash(oneLine(st.Version)))
	fmt.Fprintf(tw, "started:\t%s (up %s)\n", formatTime(st.Started), ageText(uptime))
	fmt.Fprintf(tw, "listeners:\t%s\n", listeners)
	fmt.Fprintf(tw, "admin API:\t%s\n", adminAddr)
	fmt.Fprintf(tw, "sessions:\t%d (%d logged in, %d transferring)\n", st.Sessions, st.LoggedIn, st.Transfers)
	fmt.Fprintf(tw, "bans in force:\t%d\n", st.BansActive)
	return tw.Flush()
}
