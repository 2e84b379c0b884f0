package main

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/access"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// atLayout is the --at form without a zone, read in the server's zone.
const atLayout = "2006-01-02 15:04"

func (a *app) accessCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "access",
		Short: "Test the IP and time rules",
		Long: "Test the IP and time rules of the server ([access] in the configuration), of\n" +
			"groups and of users. See docs/access.md.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(a.accessCheckCmd())
	return cmd
}

func (a *app) accessCheckCmd() *cobra.Command {
	var (
		ipText, atText string
		asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "check NAME --ip ADDR",
		Short: "Tell whether a user may log in from an address at a time, and why",
		Long: "Evaluate the access rules for user NAME logging in from --ip at --at (default:\n" +
			"now): the server's rules, then each of the user's groups, then the user's own\n" +
			"rules and validity dates. Every rule is shown with its result, then the\n" +
			"verdict and when access next closes or opens. The last line tells whether the\n" +
			"address is banned or blocklisted by the defender, which refuses it at accept\n" +
			"whatever the rules say. A disabled account is noted too.\n" +
			"--at is an RFC 3339 time (2026-03-07T10:00:00-05:00) or \"" + atLayout + "\" in\n" +
			"the server's zone (access.timezone).\n" +
			"Exit status: 0 when the rules allow the login, 1 when they refuse it (or on\n" +
			"an error), 2 for a wrong command line.",
		Example: "  bulwark access check alice --ip 203.0.113.7\n" +
			"  bulwark access check alice --ip 2001:db8::7 --at \"2026-03-07 10:00\" --json",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("ip") {
				return usagef("--ip: required: the address the user would connect from")
			}
			addr, err := netip.ParseAddr(strings.TrimSpace(ipText))
			if err != nil || addr.Zone() != "" {
				return usagef("--ip %q: not an IP address (write for example 203.0.113.7 or 2001:db8::7)", ipText)
			}
			addr = addr.Unmap()
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				loc, err := cfg.Access.Location()
				if err != nil {
					return err
				}
				at := a.now()
				if cmd.Flags().Changed("at") {
					if at, err = parseAt(atText, loc); err != nil {
						return err
					}
				}
				res, err := accessCheck(ctx, cfg, st, args[0], addr, at.In(loc))
				if err != nil {
					return err
				}
				if asJSON {
					err = writeJSON(a.stdout, res.toJSON())
				} else {
					err = res.writeText(a.stdout)
				}
				if err != nil {
					return err
				}
				if !res.decision.Allowed {
					return exitCode(exitError)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&ipText, "ip", "", "`ADDR` the user would connect from (required)")
	f.StringVar(&atText, "at", "", "`TIME` of the login: RFC 3339, or \""+atLayout+"\" in the server's zone (default now)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// parseAt reads --at: RFC 3339, or a date and time in the server's zone.
func parseAt(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(atLayout, s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--at %q: want an RFC 3339 time such as 2026-03-07T10:00:00-05:00, or %q in the server's zone", s, atLayout)
}

// checkResult is what "access check" found.
type checkResult struct {
	user     *user.User
	addr     netip.Addr
	at       time.Time
	decision access.Decision
	defense  defenseView
}

// accessCheck loads the user and its groups, builds the levels in the
// order the server evaluates them, and evaluates them.
func accessCheck(ctx context.Context, cfg *config.Config, st store.Store, name string, addr netip.Addr, at time.Time) (*checkResult, error) {
	u, err := getUser(ctx, st, name)
	if err != nil {
		return nil, err
	}
	levels, err := userLevels(ctx, cfg, st, u)
	if err != nil {
		return nil, err
	}
	def, err := defenderView(ctx, cfg, st, addr, at)
	if err != nil {
		return nil, err
	}
	return &checkResult{user: u, addr: addr, at: at, decision: access.Evaluate(levels, addr, at), defense: def}, nil
}

// userLevels returns the levels a login of u passes: "server", then
// "group NAME" for each group, then "user NAME" with the validity dates.
func userLevels(ctx context.Context, cfg *config.Config, st store.Store, u *user.User) ([]access.Level, error) {
	loc, err := cfg.Access.Location()
	if err != nil {
		return nil, err
	}
	server, err := cfg.Access.ServerLevel()
	if err != nil {
		return nil, err
	}
	levels := []access.Level{server}
	for _, name := range u.Groups {
		g, err := getGroup(ctx, st, name)
		if err != nil {
			return nil, err
		}
		lvl, err := access.BuildLevel("group "+g.Name, g.Access, loc)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", g.Name, err)
		}
		levels = append(levels, lvl)
	}
	lvl, err := access.BuildLevel("user "+u.Name, u.Access, loc)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", u.Name, err)
	}
	lvl.ValidFrom, lvl.ValidUntil = u.ValidFrom, u.ValidUntil
	return append(levels, lvl), nil
}

// defenseView is what the defender would do with the address at accept:
// a ban in force, the blocklist entry, or the safelist entry that
// exempts it from both.
type defenseView struct {
	ban         *store.Ban
	blocklisted string
	safelisted  string
}

func defenderView(ctx context.Context, cfg *config.Config, st store.Store, addr netip.Addr, now time.Time) (defenseView, error) {
	var v defenseView
	safe, err := config.ParsePrefixes("defender.safelist", cfg.Defender.Safelist)
	if err != nil {
		return v, err
	}
	block, err := config.ParsePrefixes("defender.blocklist", cfg.Defender.Blocklist)
	if err != nil {
		return v, err
	}
	v.safelisted = firstContaining(safe, addr)
	v.blocklisted = firstContaining(block, addr)
	bans, err := st.ListBans(ctx)
	if err != nil {
		return v, err
	}
	for _, b := range bans {
		p, err := netip.ParsePrefix(b.Prefix)
		if err != nil || !p.Contains(addr) || banEnded(b, now) {
			continue
		}
		// The ban that lasts longest is the one that matters.
		if v.ban == nil || b.Until.IsZero() || (!v.ban.Until.IsZero() && b.Until.After(v.ban.Until)) {
			v.ban = &b
		}
	}
	return v, nil
}

func firstContaining(prefixes []netip.Prefix, addr netip.Addr) string {
	for _, p := range prefixes {
		if p.Contains(addr) {
			return p.String()
		}
	}
	return ""
}
