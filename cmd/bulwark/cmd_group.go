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

func (a *app) groupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Manage groups: rights and shared folders for several users at once",
		Long: "Manage groups. A group's rules apply to its members, and shared folders can be\n" +
			"granted to a group (see \"bulwark share grant\"). A member's own rule at the same\n" +
			"path wins over the group's. Changes reach running sessions at their next command.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(a.groupAddCmd(), a.groupSetCmd(), a.groupDelCmd(), a.groupListCmd(), a.groupShowCmd())
	return cmd
}

// getGroup finds a group, turning "not found" into the message users see.
func getGroup(ctx context.Context, st store.Store, name string) (*user.Group, error) {
	g, err := st.GetGroup(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("group %q: not found", name)
	}
	return g, err
}

// validateName applies the user name rules to the name of a group or a
// share, so that all names look alike in logs and on the command line.
func validateName(kind, name string) error {
	if err := user.ValidateName(name); err != nil {
		problem := strings.TrimPrefix(err.Error(), user.ErrInvalidName.Error()+": ")
		return fmt.Errorf("%s %q: invalid name: %s", kind, name, problem)
	}
	return nil
}

func (a *app) groupAddCmd() *cobra.Command {
	var (
		rf      ruleFlags
		pf      passwordRuleFlags
		acf     accessFlags
		comment string
	)
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a group",
		Long: "Create a group. Its --perm rules apply to every member; without --perm the\n" +
			"group gives no rights of its own and serves to grant shared folders.\n" +
			"--password-rule makes the password policy stricter (or looser) for members;\n" +
			"see docs/passwords.md. --allow-ip, --deny-ip, --schedule and --timezone\n" +
			"restrict where from and when members may log in; see docs/access.md.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			edit, err := rf.parse()
			if err != nil {
				return err
			}
			pwRules, err := pf.apply(user.PasswordRules{})
			if err != nil {
				return err
			}
			accEdit, err := acf.parse(cmd)
			if err != nil {
				return err
			}
			var rules user.AccessRules
			if err := accEdit.apply(&rules); err != nil {
				return err
			}
			name := args[0]
			if err := validateName("group", name); err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				perms, _ := edit.apply(nil)
				g := &user.Group{Name: name, Perms: perms, Comment: comment, PasswordRules: pwRules, Access: rules}
				if err := st.CreateGroup(ctx, g); err != nil {
					if errors.Is(err, store.ErrExists) {
						return fmt.Errorf("group %q: already exists", name)
					}
					return err
				}
				a.record(ctx, st, "group.create", g.Name, nil, audit.Group(g))
				fmt.Fprintf(a.stdout, "group %q created\n", g.Name)
				return nil
			})
		},
	}
	rf.register(cmd, false)
	pf.register(cmd, false)
	acf.register(cmd, false)
	cmd.Flags().StringVar(&comment, "comment", "", "free `TEXT` for administrators")
	return cmd
}

func (a *app) groupSetCmd() *cobra.Command {
	var (
		rf      ruleFlags
		pf      passwordRuleFlags
		acf     accessFlags
		comment string
	)
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a group's rules, password rules, access rules or comment",
		Long: "Change a group's rules, password rules, access rules or comment. Rules change\n" +
			"in this order: --clear-perms, then --unset-perm, then --perm; password rules in\n" +
			"the order --clear-password-rules, then each --password-rule; access lists are\n" +
			"cleared (--clear-allow-ip, --clear-deny-ip, --clear-schedule) before --allow-ip,\n" +
			"--deny-ip and --schedule add to them.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			edit, err := rf.parse()
			if err != nil {
				return err
			}
			accEdit, err := acf.parse(cmd)
			if err != nil {
				return err
			}
			commentSet := cmd.Flags().Changed("comment")
			if !edit.changes() && !commentSet && !pf.changes() && !accEdit.changes() {
				return usagef("nothing to change: give --perm, --unset-perm, --clear-perms, --password-rule, --clear-password-rules, --allow-ip, --deny-ip, --schedule, --timezone or --comment")
			}
			// Checked before the store is opened, so a typo costs nothing.
			if _, err := pf.apply(user.PasswordRules{}); err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				g, err := getGroup(ctx, st, args[0])
				if err != nil {
					return err
				}
				before := frozen(audit.Group(g))
				if g.Perms, err = edit.apply(g.Perms); err != nil {
					return err
				}
				if g.PasswordRules, err = pf.apply(g.PasswordRules); err != nil {
					return err
				}
				if err := accEdit.apply(&g.Access); err != nil {
					return fmt.Errorf("group %q: %w", g.Name, err)
				}
				if commentSet {
					g.Comment = comment
				}
				if err := st.UpdateGroup(ctx, g); err != nil {
					return err
				}
				a.record(ctx, st, "group.update", g.Name, before, audit.Group(g))
				fmt.Fprintf(a.stdout, "group %q updated\n", g.Name)
				return nil
			})
		},
	}
	rf.register(cmd, true)
	pf.register(cmd, true)
	acf.register(cmd, true)
	cmd.Flags().StringVar(&comment, "comment", "", "free `TEXT` for administrators")
	return cmd
}

// groupGrants returns the grants made to group.
func groupGrants(ctx context.Context, st store.Store, group string) ([]user.Grant, error) {
	all, err := st.ListGrants(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []user.Grant
	for _, g := range all {
		if g.Group != "" && strings.EqualFold(g.Group, group) {
			out = append(out, g)
		}
	}
	return out, nil
}

// groupDetails loads a group with its members and the grants made to it.
func groupDetails(ctx context.Context, st store.Store, name string) (*user.Group, []string, []user.Grant, error) {
	g, err := getGroup(ctx, st, name)
	if err != nil {
		return nil, nil, nil, err
	}
	members, err := st.GroupMembers(ctx, g.Name)
	if err != nil {
		return nil, nil, nil, err
	}
	grants, err := groupGrants(ctx, st, g.Name)
	if err != nil {
		return nil, nil, nil, err
	}
	return g, members, grants, nil
}

func (a *app) groupDelCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "del NAME",
		Short: "Delete a group (its members keep their accounts)",
		Long: "Delete a group. Its members keep their accounts and their own rules; they lose\n" +
			"the group's rules and the shared folders granted to the group.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				g, members, grants, err := groupDetails(ctx, st, args[0])
				if err != nil {
					return err
				}
				if !yes {
					question := fmt.Sprintf("Delete group %q? Its members (%d) keep their accounts; "+
						"its shared-folder grants (%d) are removed.", g.Name, len(members), len(grants))
					if err := a.confirm(question, fmt.Sprintf("group %q not deleted", g.Name)); err != nil {
						return err
					}
				}
				if err := st.DeleteGroup(ctx, g.Name); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("group %q: not found", g.Name)
					}
					return err
				}
				a.record(ctx, st, "group.delete", g.Name, audit.Group(g), nil)
				fmt.Fprintf(a.stdout, "group %q deleted; its members (%d) keep their accounts\n", g.Name, len(members))
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) groupListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List groups",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				groups, err := st.ListGroups(ctx)
				if err != nil {
					return err
				}
				rows := make([]groupRow, 0, len(groups))
				for _, g := range groups {
					members, err := st.GroupMembers(ctx, g.Name)
					if err != nil {
						return err
					}
					rows = append(rows, groupRow{g, len(members)})
				}
				if asJSON {
					return writeGroupsJSON(a.stdout, rows)
				}
				return writeGroupsTable(a.stdout, rows)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) groupShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a group's rules, members and shared folders",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				g, members, grants, err := groupDetails(ctx, st, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, toGroupShowJSON(g, members, grants))
				}
				return writeGroupText(a.stdout, g, members, grants, cfg.Access.TimeZone)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
