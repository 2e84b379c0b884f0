package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// homeDirMode is the mode of home directories Bulwark creates.
const homeDirMode = vfs.DirMode

func (a *app) userCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage user accounts",
		Long: "Manage user accounts in the store under data_dir. The server may keep running:\n" +
			"changes to rights, groups, shared folders and limits, and disabling, reach\n" +
			"running sessions at their next command; a new password or home takes effect\n" +
			"at the user's next login. See docs/permissions.md for how rights combine.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(a.userAddCmd(), a.userListCmd(), a.userShowCmd(), a.userSetCmd(),
		a.userPasswdCmd(), a.userEnableCmd(false), a.userEnableCmd(true), a.userDelCmd())
	return cmd
}

// withStore loads the configuration, opens the store, runs fn and closes
// the store.
func (a *app) withStore(ctx context.Context, fn func(cfg *config.Config, st store.Store) error) error {
	cfg, _, err := a.loadConfig()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	err = fn(cfg, st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// getUser finds a user, turning "not found" into the message users see.
func getUser(ctx context.Context, st store.Store, name string) (*user.User, error) {
	u, err := st.GetUser(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("user %q: not found", name)
	}
	return u, err
}

// makeHome turns dir into an absolute path and creates it if missing.
func makeHome(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, homeDirMode); err != nil {
		return "", fmt.Errorf("home directory: %w", err)
	}
	return abs, nil
}

func hasher(cfg *config.Config) *password.Hasher {
	return cfg.PasswordHash.Hasher()
}

func (a *app) userAddCmd() *cobra.Command {
	var (
		u  user.User
		uf userFlags
		pf newPasswordFlags
		af accountFlags
	)
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a user",
		Long: "Create a user. The password is typed twice at the terminal, read as one line\n" +
			"from standard input with --password-stdin, or generated with --generate and\n" +
			"printed once; never taken from the command line. It must satisfy the password\n" +
			"policy (see docs/passwords.md); every rule it breaks is listed.\n" +
			"The home directory defaults to <data_dir>/<users.home_root>/NAME and is created.\n" +
			"To import a user from another server, give its existing hash with\n" +
			"--password-hash HASH or --password-hash-stdin (argon2id, bcrypt, or SHA-512-crypt\n" +
			"as in /etc/shadow); it is replaced by an argon2id hash at the user's first\n" +
			"login. The policy cannot judge an imported hash: add --must-change to have the\n" +
			"user choose a new password at the first login.\n" +
			"Without --perm the user gets full rights in their home: --perm /=all.\n" +
			"--allow-ip, --deny-ip, --schedule and --timezone restrict where from and when\n" +
			"the user may log in, --valid-from and --valid-until the dates (see docs/access.md).\n" +
			"Names in defender.honeypot_users (root, admin, test...) are refused: the server\n" +
			"bans whoever tries to log in with one.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.Name = args[0]
			if err := pf.check(cmd); err != nil {
				return err
			}
			edit, err := uf.parse(cmd)
			if err != nil {
				return err
			}
			acct, err := af.parse(cmd)
			if err != nil {
				return err
			}
			return a.userAdd(cmd.Context(), cmd, &u, edit, acct, &pf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&u.Home, "home", "", "home `DIR` (default <data_dir>/homes/NAME); relative to the working directory")
	f.BoolVar(&u.Disabled, "disabled", false, "create the account disabled")
	f.BoolVar(&u.RequireTLS, "require-tls", false, "refuse this user over clear-text connections")
	f.StringVar(&u.Comment, "comment", "", "free `TEXT` for administrators")
	pf.register(cmd, true, "make the user change the password at the first login (default: password_policy.change_at_first_login)")
	af.register(cmd)
	uf.register(cmd, false)
	return cmd
}

// defaultPerms are the rules of a user created without --perm: full
// rights in their own home.
func defaultPerms() user.Rules {
	return user.Rules{{Path: "/", Rights: user.RightsAll}}
}

func (a *app) userAdd(ctx context.Context, cmd *cobra.Command, u *user.User, edit userEdit, acct accountEdit, pf *newPasswordFlags) error {
	if err := user.ValidateName(u.Name); err != nil {
		return fmt.Errorf("user %q: %w", u.Name, err)
	}
	return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
		// Checked before the password is asked for, so nobody types one in
		// vain.
		if cfg.Defender.IsHoneypot(u.Name) {
			return fmt.Errorf("user %q: the name is in defender.honeypot_users: anyone who tries to log in with it is banned at once, "+
				"so the account could never be used; choose another name (or remove the name from defender.honeypot_users)", u.Name)
		}
		if _, err := st.GetUser(ctx, u.Name); err == nil {
			return fmt.Errorf("user %q: already exists", u.Name)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := edit.apply(ctx, st, u); err != nil {
			return err
		}
		if len(edit.rules.set) == 0 {
			u.Perms = defaultPerms()
		}
		if err := acct.apply(u); err != nil {
			return err
		}
		// The groups are known now, and with them the policy.
		pol, err := userPolicy(ctx, cfg, st, u)
		if err != nil {
			return err
		}
		np, err := a.readPassword(cfg, pol, u.Name, pf)
		if err != nil {
			return err
		}
		u.PasswordHash = np.hash
		u.PasswordChangedAt = a.now()
		u.MustChangePassword = pf.mustChangeOr(cmd, cfg.PasswordPolicy.ChangeAtFirstLogin)
		if u.Home == "" {
			u.Home = cfg.DefaultHome(u.Name)
		}
		if u.Home, err = makeHome(u.Home); err != nil {
			return err
		}
		if err := st.CreateUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("user %q: already exists", u.Name)
			}
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("user %q: one of its groups was deleted meanwhile", u.Name)
			}
			return err
		}
		a.record(ctx, st, "user.create", u.Name, nil, audit.User(u))
		fmt.Fprintf(a.stdout, "user %q created, home %s\n", u.Name, u.Home)
		a.printGenerated(np)
		if np.imported && !u.MustChangePassword {
			fmt.Fprintf(a.stderr, "note: the password policy cannot be checked for an imported hash; "+
				"consider \"bulwark user set %s --must-change\" so the user chooses a new password at the first login\n", u.Name)
		}
		a.noteValidUntil(u)
		return nil
	})
}

func (a *app) userShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one user, with password aging, effective rights, shared folders, limits and usage",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				d, err := loadUserDetails(ctx, cfg, st, u, a.now())
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, d.toJSON())
				}
				return d.writeText(a.stdout)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) userSetCmd() *cobra.Command {
	var (
		home, comment string
		requireTLS    bool
		uf            userFlags
		af            accountFlags
	)
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a user's settings, rights, groups, limits and password aging",
		Long: "Change a user's settings, rights, groups, limits and password aging; what is\n" +
			"not given stays. To set a new password use \"bulwark user passwd\".\n" +
			"Rules change in this order: --clear-perms, then --unset-perm, then --perm.\n" +
			"--perm /x=none keeps a rule that hides /x; --unset-perm /x removes the rule, so\n" +
			"the rule above /x applies again. Groups change in the order --clear-groups,\n" +
			"--remove-group, --add-group. Access lists change in the order --clear-allow-ip,\n" +
			"--clear-deny-ip, --clear-schedule, then each --allow-ip, --deny-ip, --schedule\n" +
			"adds; see docs/access.md.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			edit, err := uf.parse(cmd)
			if err != nil {
				return err
			}
			acct, err := af.parse(cmd)
			if err != nil {
				return err
			}
			if !f.Changed("home") && !f.Changed("require-tls") && !f.Changed("comment") && !edit.changes() && !acct.changes() {
				return usagef("nothing to change: give --home, --require-tls, --comment, --perm, --add-group, a limit, --must-change, --allow-ip, --schedule... (see --help)")
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				before := frozen(audit.User(u))
				if f.Changed("home") {
					if home == "" {
						return errors.New("--home: must not be empty")
					}
					if u.Home, err = makeHome(home); err != nil {
						return err
					}
				}
				if f.Changed("require-tls") {
					u.RequireTLS = requireTLS
				}
				if f.Changed("comment") {
					u.Comment = comment
				}
				if err := edit.apply(ctx, st, u); err != nil {
					return err
				}
				if err := acct.apply(u); err != nil {
					return err
				}
				if err := st.UpdateUser(ctx, u); err != nil {
					return err
				}
				a.record(ctx, st, "user.update", u.Name, before, audit.User(u))
				fmt.Fprintf(a.stdout, "user %q updated\n", u.Name)
				if acct.validUntil != nil {
					a.noteValidUntil(u)
				}
				if len(u.Perms) == 0 && len(u.Groups) == 0 {
					fmt.Fprintf(a.stderr, "note: user %q has no rules and no groups: nothing is visible except granted shared folders\n", u.Name)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&home, "home", "", "new home `DIR` (created if missing); relative to the working directory")
	f.BoolVar(&requireTLS, "require-tls", false, "refuse this user over clear-text connections (--require-tls=false to allow)")
	f.StringVar(&comment, "comment", "", "free `TEXT` for administrators")
	af.registerEditing(cmd)
	uf.register(cmd, true)
	return cmd
}

// userEnableCmd builds "user disable" or "user enable".
func (a *app) userEnableCmd(disable bool) *cobra.Command {
	verb, state, short := "enable", "enabled", "Allow a user to log in again"
	if disable {
		verb, state, short = "disable", "disabled", "Refuse a user's logins (the account and files stay)"
	}
	return &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				if u.Disabled == disable {
					fmt.Fprintf(a.stdout, "user %q is already %s\n", u.Name, state)
					return nil
				}
				before := frozen(audit.User(u))
				u.Disabled = disable
				if err := st.UpdateUser(ctx, u); err != nil {
					return err
				}
				a.record(ctx, st, "user."+verb, u.Name, before, audit.User(u))
				fmt.Fprintf(a.stdout, "user %q %s\n", u.Name, state)
				return nil
			})
		},
	}
}

func (a *app) userDelCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "del NAME",
		Short: "Delete a user (the home directory is kept)",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				if !yes {
					question := fmt.Sprintf("Delete user %q? Its home directory %s is kept.", u.Name, u.Home)
					if err := a.confirm(question, fmt.Sprintf("user %q not deleted", u.Name)); err != nil {
						return err
					}
				}
				if err := st.DeleteUser(ctx, u.Name); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("user %q: not found", u.Name)
					}
					return err
				}
				a.record(ctx, st, "user.delete", u.Name, audit.User(u), nil)
				fmt.Fprintf(a.stdout, "user %q deleted; home directory %s kept\n", u.Name, u.Home)
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
