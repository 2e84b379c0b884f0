package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/bulwark-ftp/bulwark/internal/admin"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// adminFlags are the options of a command that calls the admin API.
type adminFlags struct {
	token string
	addr  string
	// readOnly: the command only reads, so a temporary token it makes
	// is read-only (set by the command, not a flag).
	readOnly bool
}

func (f *adminFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.token, "token", "", "admin API `TOKEN` (default: $"+adminTokenEnv+", else a temporary token made in the store)")
	cmd.Flags().StringVar(&f.addr, "admin", "", "admin API `ADDR`, HOST:PORT or unix:/path (default: admin.listen)")
}

func (a *app) sessionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "List and close the running server's sessions",
		Long: "List and close the sessions of the running server, through its admin API\n" +
			"(admin.listen). The token is --token, else $" + adminTokenEnv + ", else a temporary\n" +
			"token this command creates in the store and deletes when done.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(a.sessionListCmd(), a.sessionKillCmd())
	return cmd
}

func (a *app) sessionListCmd() *cobra.Command {
	var (
		af     = adminFlags{readOnly: true}
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the running server's sessions, like who(1)",
		Long: "List the sessions of the running server: ID, user (\"-\" before login), client\n" +
			"address, TLS, how long ago the session started, and the transfer in progress\n" +
			"with its size so far and rate.",
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withAdmin(ctx, af, func(s adminSession) error {
				var sessions []admin.Session
				if err := s.client.do(ctx, http.MethodGet, "/api/v1/sessions", &sessions); err != nil {
					return err
				}
				if sessions == nil {
					sessions = []admin.Session{}
				}
				if asJSON {
					return writeJSON(a.stdout, sessions)
				}
				return writeSessionsTable(a.stdout, sessions, a.now())
			})
		},
	}
	af.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeSessionsTable(w io.Writer, sessions []admin.Session, now time.Time) error {
	if len(sessions) == 0 {
		_, err := fmt.Fprintln(w, "no sessions")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tREMOTE\tTLS\tSINCE\tTRANSFER")
	for _, s := range sessions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(s.ID), orDash(oneLine(s.User)), oneLine(s.Remote),
			tlsText(s), ageText(now.Sub(s.Started)), transferText(s.Transfer))
	}
	return tw.Flush()
}

func tlsText(s admin.Session) string {
	if !s.TLS {
		return "no"
	}
	if s.TLSVersion == "" {
		return "yes"
	}
	return oneLine(s.TLSVersion)
}

// transferText is "RETR /big.bin 12.3 MiB at 45.6 MiB/s", or "-".
func transferText(t *admin.Transfer) string {
	if t == nil {
		return "-"
	}
	return fmt.Sprintf("%s %s %s at %s/s", oneLine(t.Command), oneLine(t.Path), formatBytes(t.Bytes), formatBytes(int64(t.Rate)))
}

// ageText is a short span for a table: "42s", "5m", "2h05m", "3d04h".
func ageText(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

func (a *app) sessionKillCmd() *cobra.Command {
	var (
		af     adminFlags
		reason string
	)
	cmd := &cobra.Command{
		Use:   "kill ID",
		Short: "Close a session of the running server",
		Long: "Close the session ID (as \"bulwark session list\" shows it) at once, transfer\n" +
			"in progress included. --reason is logged by the server and recorded in the\n" +
			"audit trail. The user may log in again: disable the account or ban the address\n" +
			"to keep them out.",
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if strings.ContainsFunc(reason, isControl) {
				return usagef("--reason: must be one line of text")
			}
			ctx := cmd.Context()
			return a.withAdmin(ctx, af, func(s adminSession) error {
				return a.sessionKill(ctx, s, id, reason)
			})
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why the session is closed, for the log and the audit trail")
	return cmd
}

func (a *app) sessionKill(ctx context.Context, s adminSession, id, reason string) error {
	path := "/api/v1/sessions/" + url.PathEscape(id)
	if reason != "" {
		path += "?" + url.Values{"reason": {reason}}.Encode()
	}
	if err := s.client.do(ctx, http.MethodDelete, path, nil); err != nil {
		var e *apiError
		if errors.As(err, &e) && e.status == http.StatusNotFound {
			return fmt.Errorf("session %q: %s (see \"bulwark session list\")", id, e.msg)
		}
		return err
	}
	// The server records the kill under the token's name; a temporary
	// token's name carries the login name of the person at the command
	// line (see createTempToken).
	fmt.Fprintf(a.stdout, "session %s closed\n", id)
	return nil
}
