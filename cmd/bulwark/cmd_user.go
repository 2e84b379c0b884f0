package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// homeDirMode is the mode of home directories Bulwark creates: the
// server's group may read (for backups), others get nothing.
const homeDirMode = 0o750

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
	return &password.Hasher{Params: cfg.PasswordHash.Params()}
}

func (a *app) userAddCmd() *cobra.Command {
	var (
		u         user.User
		uf        userFlags
		fromStdin bool
		hashStdin bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a user",
		Long: "Create a user. The password is typed twice at the terminal, or read as one\n" +
			"line from standard input with --password-stdin; never from the command line.\n" +
			"The home directory defaults to <data_dir>/<users.home_root>/NAME and is created.\n" +
			"To import a user from another server, pipe its existing hash in with\n" +
			"--password-hash-stdin (argon2id, bcrypt, or SHA-512-crypt as in /etc/shadow);\n" +
			"it is replaced by an argon2id hash at the user's first login.\n" +
			"Without --perm the user gets full rights in their home: --perm /=all.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.Name = args[0]
			if fromStdin && hashStdin {
				return usagef("--password-stdin and --password-hash-stdin cannot be used together")
			}
			edit, err := uf.parse(cmd)
			if err != nil {
				return err
			}
			return a.userAdd(cmd.Context(), &u, edit, fromStdin, hashStdin)
		},
	}
	f := cmd.Flags()
	f.StringVar(&u.Home, "home", "", "home `DIR` (default <data_dir>/homes/NAME); relative to the working directory")
	f.BoolVar(&u.Disabled, "disabled", false, "create the account disabled")
	f.BoolVar(&u.RequireTLS, "require-tls", false, "refuse this user over clear-text connections")
	f.StringVar(&u.Comment, "comment", "", "free `TEXT` for administrators")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password as one line from standard input")
	f.BoolVar(&hashStdin, "password-hash-stdin", false, "read an existing password hash (argon2id, bcrypt, SHA-512-crypt) from standard input")
	uf.register(cmd, false)
	return cmd
}

// defaultPerms are the rules of a user created without --perm: full
// rights in their own home.
func defaultPerms() user.Rules {
	return user.Rules{{Path: "/", Rights: user.RightsAll}}
}

func (a *app) userAdd(ctx context.Context, u *user.User, edit userEdit, fromStdin, hashStdin bool) error {
	if err := user.ValidateName(u.Name); err != nil {
		return fmt.Errorf("user %q: %w", u.Name, err)
	}
	return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
		// Checked before the password is asked for, so nobody types one in
		// vain.
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
		var err error
		if hashStdin {
			if u.PasswordHash, err = a.readImportedHash(cfg); err != nil {
				return err
			}
		} else {
			pw, err := a.readNewPassword(fromStdin)
			if err != nil {
				return err
			}
			if u.PasswordHash, err = hasher(cfg).Hash(pw); err != nil {
				return err
			}
		}
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
		fmt.Fprintf(a.stdout, "user %q created, home %s\n", u.Name, u.Home)
		return nil
	})
}

func (a *app) userListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				users, err := st.ListUsers(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeUsersJSON(a.stdout, users)
				}
				return writeUsersTable(a.stdout, users)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) userShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one user, with effective rights, shared folders, limits and usage",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				d, err := loadUserDetails(ctx, st, u)
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
	)
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a user's settings, rights, groups and limits",
		Long: "Change a user's settings, rights, groups and limits; what is not given stays.\n" +
			"Rules change in this order: --clear-perms, then --unset-perm, then --perm.\n" +
			"--perm /x=none keeps a rule that hides /x; --unset-perm /x removes the rule, so\n" +
			"the rule above /x applies again. Groups change in the order --clear-groups,\n" +
			"--remove-group, --add-group.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			edit, err := uf.parse(cmd)
			if err != nil {
				return err
			}
			if !f.Changed("home") && !f.Changed("require-tls") && !f.Changed("comment") && !edit.changes() {
				return usagef("nothing to change: give --home, --require-tls, --comment, --perm, --add-group, a limit... (see --help)")
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
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
				if err := st.UpdateUser(ctx, u); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "user %q updated\n", u.Name)
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
	uf.register(cmd, true)
	return cmd
}

func (a *app) userPasswdCmd() *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				pw, err := a.readNewPassword(fromStdin)
				if err != nil {
					return err
				}
				hash, err := hasher(cfg).Hash(pw)
				if err != nil {
					return err
				}
				if err := st.SetPasswordHash(ctx, u.Name, hash); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "password of user %q changed\n", u.Name)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password as one line from standard input")
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
				u.Disabled = disable
				if err := st.UpdateUser(ctx, u); err != nil {
					return err
				}
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
				fmt.Fprintf(a.stdout, "user %q deleted; home directory %s kept\n", u.Name, u.Home)
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
