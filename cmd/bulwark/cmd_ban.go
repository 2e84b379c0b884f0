package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// defaultBanReason is the reason of a ban added without --reason.
const defaultBanReason = "manual"

func (a *app) banCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ban",
		Short: "List, add and remove banned addresses",
		Long: "List, add and remove banned addresses and networks. Bans live in the store\n" +
			"under data_dir, beside the accounts; the server bans sources there itself\n" +
			"(see docs/defender.md). The server may keep running: it picks up a ban added or\n" +
			"removed here within a second, and a new ban also ends the banned source's\n" +
			"open sessions. Banned connections are refused at accept, before TLS.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(a.banListCmd(), a.banAddCmd(), a.banDelCmd())
	return cmd
}

func (a *app) banListCmd() *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the bans in force",
		Long: "List the bans in force: prefix, reason, first and last event, how many events,\n" +
			"the level (how many times the source has been banned), the end of the ban or\n" +
			"\"permanent\", and whether an administrator made it. --all adds bans that have\n" +
			"ended and are still stored.",
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				bans, err := st.ListBans(ctx)
				if err != nil {
					return err
				}
				now := a.now()
				if !all {
					bans = slices.DeleteFunc(bans, func(b store.Ban) bool { return banEnded(b, now) })
				}
				sortBans(bans)
				if asJSON {
					return writeBansJSON(a.stdout, bans, now)
				}
				return writeBansTable(a.stdout, bans, now)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "include bans that have ended")
	return cmd
}

func (a *app) banAddCmd() *cobra.Command {
	var (
		forText string
		reason  string
	)
	cmd := &cobra.Command{
		Use:   "add ADDR|CIDR",
		Short: "Ban an address or a network",
		Long: "Ban an address (\"203.0.113.7\", \"2001:db8::1\": that one address) or a network\n" +
			"(\"198.51.100.0/24\", \"2001:db8::/64\"). Its connections are refused at accept.\n" +
			"Without --for the ban is permanent until \"bulwark ban del\". Banning a source\n" +
			"that is already banned replaces its ban. A running server applies the ban\n" +
			"within a second and closes the source's open sessions.",
		Example: "  bulwark ban add 203.0.113.7 --for 7d --reason \"password guessing\"\n" +
			"  bulwark ban add 2001:db8:1::/48",
		Args: exactArgs("ADDR|CIDR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := config.ParsePrefix(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			var d time.Duration
			if cmd.Flags().Changed("for") {
				if d, err = parseBanDuration(forText); err != nil {
					return usagef("--for: %v", err)
				}
			}
			if strings.ContainsFunc(reason, isControl) {
				return usagef("--reason: must be one line of text")
			}
			if reason == "" {
				reason = defaultBanReason
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				return a.banAdd(ctx, cfg, st, p, d, reason)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&forText, "for", "", "ban for `DURATION`, for example 30m, 12h, 7d or 1d12h (default: permanent)")
	f.StringVar(&reason, "reason", "", "`TEXT` recorded with the ban (default \""+defaultBanReason+"\")")
	return cmd
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func (a *app) banAdd(ctx context.Context, cfg *config.Config, st store.Store, p netip.Prefix, d time.Duration, reason string) error {
	now := a.now()
	b := store.Ban{Prefix: p.String(), Reason: reason, First: now, Last: now, Level: 1, Manual: true}
	if d > 0 {
		b.Until = now.Add(d)
	}
	existing, err := st.ListBans(ctx)
	if err != nil {
		return err
	}
	replaced := slices.ContainsFunc(existing, func(e store.Ban) bool { return e.Prefix == b.Prefix && !banEnded(e, now) })
	var before any // the stored ban of the prefix (even ended) that SaveBan overwrites
	if i := slices.IndexFunc(existing, func(e store.Ban) bool { return e.Prefix == b.Prefix }); i >= 0 {
		before = audit.Ban(existing[i])
	}
	if err := st.SaveBan(ctx, b); err != nil {
		return err
	}
	a.record(ctx, st, "ban.add", b.Prefix, before, audit.Ban(b))
	verb := "banned"
	if replaced {
		verb = "banned (the earlier ban is replaced)"
	}
	fmt.Fprintf(a.stdout, "%s %s %s; a running server applies it within a second\n", p, verb, untilText(b.Until))
	if !cfg.Defender.Enabled {
		fmt.Fprintln(a.stderr, "note: defender.enabled is false: the server does not enforce bans until it is turned on")
	}
	if safe := overlapping(cfg.Defender.Safelist, p); len(safe) > 0 {
		fmt.Fprintf(a.stderr, "note: %s overlaps defender.safelist (%s): safelisted addresses are never refused, not even by a ban\n", p, strings.Join(safe, ", "))
	}
	return nil
}

func (a *app) banDelCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "del ADDR|CIDR",
		Short: "Lift a ban",
		Long: "Lift the ban of an address or network, given as \"bulwark ban list\" shows it.\n" +
			"An address stands for itself (its /32 or /128). The server bans an IPv6 source\n" +
			"as its whole network (defender.ipv6_prefix, /64 by default): when a plain IPv6\n" +
			"address has no ban of its own, the ban of its network is lifted, and the output\n" +
			"says which. A running server lifts the ban within a second. Sources in\n" +
			"defender.blocklist stay refused: edit the configuration for those.",
		Args: exactArgs("ADDR|CIDR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := config.ParsePrefix(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			plain := !strings.Contains(args[0], "/")
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				return a.banDel(ctx, cfg, st, p, plain)
			})
		},
	}
}

func (a *app) banDel(ctx context.Context, cfg *config.Config, st store.Store, p netip.Prefix, plain bool) error {
	removed, err := a.deleteBan(ctx, st, p)
	if err != nil {
		return err
	}
	if !removed && plain && p.Addr().Is6() {
		network := netip.PrefixFrom(p.Addr(), cfg.Defender.IPv6Prefix).Masked()
		if network != p {
			if removed, err = a.deleteBan(ctx, st, network); err != nil {
				return err
			}
			if removed {
				fmt.Fprintf(a.stdout, "ban of %s lifted (the network of %s, as defender.ipv6_prefix = %d bans it); a running server applies it within a second\n",
					network, p.Addr(), cfg.Defender.IPv6Prefix)
				a.noteBlocklist(cfg, network)
				return nil
			}
		}
	}
	if removed {
		fmt.Fprintf(a.stdout, "ban of %s lifted; a running server applies it within a second\n", p)
		a.noteBlocklist(cfg, p)
		return nil
	}
	bans, err := st.ListBans(ctx)
	if err != nil {
		return err
	}
	var covering []string
	for _, b := range bans {
		if bp, err := netip.ParsePrefix(b.Prefix); err == nil && bp.Overlaps(p) && !banEnded(b, a.now()) {
			covering = append(covering, b.Prefix)
		}
	}
	if len(covering) > 0 {
		return fmt.Errorf("%s: not banned as such, but within the ban of %s; lift that with \"bulwark ban del PREFIX\"", p, strings.Join(covering, ", "))
	}
	if blocked := overlapping(cfg.Defender.Blocklist, p); len(blocked) > 0 {
		return fmt.Errorf("%s: not banned, but refused by defender.blocklist (%s); edit the configuration to change that", p, strings.Join(blocked, ", "))
	}
	return fmt.Errorf("%s: not banned (see \"bulwark ban list\")", p)
}

// deleteBan removes the ban of exactly p and records it in the audit
// trail; false when there was none.
func (a *app) deleteBan(ctx context.Context, st store.Store, p netip.Prefix) (bool, error) {
	bans, err := st.ListBans(ctx)
	if err != nil {
		return false, err
	}
	var before any // nil if the ban is not listed (removed and added again meanwhile)
	if i := slices.IndexFunc(bans, func(b store.Ban) bool { return b.Prefix == p.String() }); i >= 0 {
		before = audit.Ban(bans[i])
	}
	err = st.DeleteBan(ctx, p.String())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	a.record(ctx, st, "ban.delete", p.String(), before, nil)
	return true, nil
}

func (a *app) noteBlocklist(cfg *config.Config, p netip.Prefix) {
	if blocked := overlapping(cfg.Defender.Blocklist, p); len(blocked) > 0 {
		fmt.Fprintf(a.stderr, "note: %s is still refused by defender.blocklist (%s)\n", p, strings.Join(blocked, ", "))
	}
}

// overlapping returns the entries of list (validated configuration
// entries) that overlap p.
func overlapping(list []string, p netip.Prefix) []string {
	var out []string
	for _, e := range list {
		if q, err := config.ParsePrefix(e); err == nil && q.Overlaps(p) {
			out = append(out, q.String())
		}
	}
	return out
}

// parseBanDuration reads --for: a span (see config.ParseSpan) longer than
// zero.
func parseBanDuration(s string) (time.Duration, error) {
	d, err := config.ParseSpan(s)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be longer than zero (leave out --for for a permanent ban)", s)
	}
	return d, nil
}
