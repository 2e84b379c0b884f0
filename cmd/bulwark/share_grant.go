package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// granteeFlags are --user and --group: who a grant is for. Exactly one is
// given.
type granteeFlags struct {
	user, group string
}

func (gf *granteeFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&gf.user, "user", "", "the grant is for user `NAME` (or give --group)")
	f.StringVar(&gf.group, "group", "", "the grant is for every member of group `NAME` (or give --user)")
}

func (gf *granteeFlags) check(cmd *cobra.Command) error {
	f := cmd.Flags()
	switch {
	case f.Changed("user") && f.Changed("group"):
		return usagef("give either --user or --group, not both")
	case !f.Changed("user") && !f.Changed("group"):
		return usagef("give --user NAME or --group NAME: who the grant is for")
	case f.Changed("user") && gf.user == "":
		return usagef("--user: must not be empty")
	case f.Changed("group") && gf.group == "":
		return usagef("--group: must not be empty")
	}
	return nil
}

// resolve finds the grantee in the store and returns it as a grant
// carries it, spelled as it was created.
func (gf *granteeFlags) resolve(ctx context.Context, st store.Store) (user.Grant, error) {
	if gf.user != "" {
		u, err := getUser(ctx, st, gf.user)
		if err != nil {
			return user.Grant{}, err
		}
		return user.Grant{User: u.Name}, nil
	}
	g, err := getGroup(ctx, st, gf.group)
	if err != nil {
		return user.Grant{}, err
	}
	return user.Grant{Group: g.Name}, nil
}

// matches reports whether grant g is for the grantee the flags name.
func (gf *granteeFlags) matches(g user.Grant) bool {
	if gf.user != "" {
		return g.User != "" && strings.EqualFold(g.User, gf.user)
	}
	return g.Group != "" && strings.EqualFold(g.Group, gf.group)
}

func (gf *granteeFlags) String() string {
	if gf.user != "" {
		return "user:" + gf.user
	}
	return "group:" + gf.group
}

func (a *app) shareGrantCmd() *cobra.Command {
	var (
		who    granteeFlags
		at     string
		rights string
		limits limitFlags
	)
	cmd := &cobra.Command{
		Use:   "grant NAME (--user U | --group G) --at /PATH --perm RIGHTS",
		Short: "Let a user or a group use a shared folder",
		Long: "Mount shared folder NAME for a user, or for every member of a group, at the\n" +
			"virtual path /PATH with the given rights and limits. The limits apply to the\n" +
			"share's whole content as seen through this grant. Granting again to the same\n" +
			"grantee at the same path replaces the rights; limits not given stay as they were.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := who.check(cmd); err != nil {
				return err
			}
			f := cmd.Flags()
			if !f.Changed("at") {
				return usagef("--at /PATH is required: where the grantee sees the share")
			}
			if !f.Changed("perm") {
				return usagef("--perm RIGHTS is required, for example --perm read or --perm read,upload")
			}
			mountAt, err := parsePathFlag("--at", at)
			if err != nil {
				return err
			}
			if mountAt == "/" {
				// A share at / would hide the whole home behind it.
				return usagef("--at \"/\": a share cannot be mounted at /, the grantee's home; choose a folder such as /shared")
			}
			r, err := parseRightsFlag("--perm", rights)
			if err != nil {
				return err
			}
			edit, err := limits.parse(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				return a.grant(ctx, st, args[0], &who, mountAt, r, edit)
			})
		},
	}
	who.register(cmd)
	f := cmd.Flags()
	f.StringVar(&at, "at", "", "virtual `/PATH` where the grantee sees the share, for example /projects")
	f.StringVar(&rights, "perm", "", "`RIGHTS` inside the share. "+rightsHelp)
	limits.register(cmd, "in the share")
	return cmd
}

func (a *app) grant(ctx context.Context, st store.Store, name string, who *granteeFlags, at string, r user.Rights, edit limitEdit) error {
	s, err := getShare(ctx, st, name)
	if err != nil {
		return err
	}
	g, err := who.resolve(ctx, st)
	if err != nil {
		return err
	}
	g.Share, g.At, g.Rights = s.Name, at, r
	all, err := st.ListGrants(ctx, "")
	if err != nil {
		return err
	}
	replaced := false
	var before any // the grant replaced, if any
	for _, old := range all {
		if !who.matches(old) || old.At != at {
			continue
		}
		if !strings.EqualFold(old.Share, s.Name) {
			// Two shares at one mount point would hide one of them.
			return fmt.Errorf("--at %q: %s already has share %q there; revoke it first or choose another path",
				at, g.Grantee(), old.Share)
		}
		g.Limits, replaced = old.Limits, true
		before = audit.Grant(old)
	}
	edit.apply(&g.Limits)
	if err := st.SetGrant(ctx, g); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("share %q or %s was deleted meanwhile", s.Name, g.Grantee())
		}
		return err
	}
	a.record(ctx, st, "share.grant", s.Name, before, audit.Grant(g))
	verb := "granted to"
	if replaced {
		verb = "grant updated for"
	}
	fmt.Fprintf(a.stdout, "share %q %s %s at %s: %s, %s\n", s.Name, verb, g.Grantee(), g.At, g.Rights, formatLimits(g.Limits))
	return nil
}

func (a *app) shareRevokeCmd() *cobra.Command {
	var (
		who granteeFlags
		at  string
	)
	cmd := &cobra.Command{
		Use:   "revoke NAME (--user U | --group G) [--at /PATH]",
		Short: "Take a shared folder away from a user or a group",
		Long: "Remove the grants of shared folder NAME to a user or a group: the one at --at,\n" +
			"or all of them. Files in the share are kept.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := who.check(cmd); err != nil {
				return err
			}
			mountAt := ""
			if cmd.Flags().Changed("at") {
				var err error
				if mountAt, err = parsePathFlag("--at", at); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				return a.revoke(ctx, st, args[0], &who, mountAt)
			})
		},
	}
	who.register(cmd)
	cmd.Flags().StringVar(&at, "at", "", "revoke only the grant at virtual `/PATH` (default: every mount point)")
	return cmd
}

func (a *app) revoke(ctx context.Context, st store.Store, name string, who *granteeFlags, at string) error {
	s, err := getShare(ctx, st, name)
	if err != nil {
		return err
	}
	grants, err := st.ListGrants(ctx, s.Name)
	if err != nil {
		return err
	}
	var found []user.Grant
	for _, g := range grants {
		if who.matches(g) && (at == "" || g.At == at) {
			found = append(found, g)
		}
	}
	if len(found) == 0 {
		where := ""
		if at != "" {
			where = " at " + at
		}
		return fmt.Errorf("share %q: no grant to %s%s", s.Name, who, where)
	}
	for _, g := range found {
		err := st.RemoveGrant(ctx, g.Share, g.User, g.Group, g.At)
		switch {
		case err == nil:
			a.record(ctx, st, "share.revoke", s.Name, audit.Grant(g), nil)
		case !errors.Is(err, store.ErrNotFound): // not found: revoked meanwhile by someone who recorded it
			return err
		}
		fmt.Fprintf(a.stdout, "share %q revoked from %s at %s\n", s.Name, g.Grantee(), g.At)
	}
	return nil
}
