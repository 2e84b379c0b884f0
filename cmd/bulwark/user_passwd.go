package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// newPasswordFlags are the ways "user add" and "user passwd" take a new
// password, and whether the user must change it at the next login.
type newPasswordFlags struct {
	fromStdin  bool
	generate   bool
	hash       string // add only
	hashStdin  bool   // add only
	mustChange bool
}

func (pf *newPasswordFlags) register(cmd *cobra.Command, importing bool, mustChangeHelp string) {
	f := cmd.Flags()
	f.BoolVar(&pf.fromStdin, "password-stdin", false, "read the password as one line from standard input")
	f.BoolVar(&pf.generate, "generate", false, "generate a random password that satisfies the policy and print it once")
	if importing {
		f.StringVar(&pf.hash, "password-hash", "", "import an existing password `HASH` (argon2id, bcrypt, SHA-512-crypt); quote it for the shell")
		f.BoolVar(&pf.hashStdin, "password-hash-stdin", false, "read an existing password hash (argon2id, bcrypt, SHA-512-crypt) from standard input")
	}
	f.BoolVar(&pf.mustChange, "must-change", false, mustChangeHelp)
}

// check refuses two sources of a password at once.
func (pf *newPasswordFlags) check(cmd *cobra.Command) error {
	var given []string
	for _, name := range []string{"password-stdin", "generate", "password-hash", "password-hash-stdin"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed && f.Value.String() != "false" {
			given = append(given, "--"+name)
		}
	}
	if len(given) > 1 {
		return usagef("%s cannot be used together: give one way to set the password", strings.Join(given, " and "))
	}
	if cmd.Flags().Changed("password-hash") && strings.TrimSpace(pf.hash) == "" {
		return usagef("--password-hash: empty hash")
	}
	return nil
}

// mustChangeOr is --must-change when given (--must-change=false included),
// else the configured default.
func (pf *newPasswordFlags) mustChangeOr(cmd *cobra.Command, configured bool) bool {
	if cmd.Flags().Changed("must-change") {
		return pf.mustChange
	}
	return configured
}

// newPassword is a new password ready to store.
type newPassword struct {
	hash string
	// generated is the clear text when Bulwark made the password up; it
	// is printed once and never stored.
	generated string
	// imported says the hash came from elsewhere: the policy could not
	// judge the password behind it.
	imported bool
}

// readPassword gets the new password of userName as pf says and hashes
// it. A password typed or piped in must satisfy pol; a generated one does
// by construction; an imported hash cannot be checked.
func (a *app) readPassword(cfg *config.Config, pol password.Policy, userName string, pf *newPasswordFlags) (newPassword, error) {
	switch {
	case pf.hash != "":
		h := strings.TrimSpace(pf.hash)
		if err := checkImportedHash(cfg, "--password-hash", h); err != nil {
			return newPassword{}, err
		}
		return newPassword{hash: h, imported: true}, nil
	case pf.hashStdin:
		h, err := a.readImportedHash(cfg)
		return newPassword{hash: h, imported: true}, err
	}
	var (
		pw  string
		err error
	)
	if pf.generate {
		if pw, err = pol.GenerateFor(userName); err != nil {
			return newPassword{}, err
		}
	} else {
		pw, err = a.readNewPassword(pf.fromStdin, func(pw string) error { return checkPolicy(pol, pw, userName) })
		if err != nil {
			return newPassword{}, err
		}
	}
	hash, err := hasher(cfg).Hash(pw)
	if err != nil {
		return newPassword{}, err
	}
	np := newPassword{hash: hash}
	if pf.generate {
		np.generated = pw
	}
	return np, nil
}

// printGenerated shows a generated password, once, on standard output.
func (a *app) printGenerated(np newPassword) {
	if np.generated != "" {
		fmt.Fprintf(a.stdout, "password: %s\n", np.generated)
	}
}

func (a *app) userPasswdCmd() *cobra.Command {
	var pf newPasswordFlags
	cmd := &cobra.Command{
		Use:   "passwd NAME",
		Short: "Set a user's password",
		Long: "Set a user's password, typed twice at the terminal, read from standard input\n" +
			"with --password-stdin, or generated with --generate and printed once. The\n" +
			"password must satisfy the password policy in force for the user (the\n" +
			"server's, made stricter or looser by the user's groups), except the password\n" +
			"history and the minimum age: an administrator's reset may reuse an old\n" +
			"password and may come at any time. The old password joins the history.\n" +
			"With --must-change, or password_policy.change_after_reset, the user must\n" +
			"choose a new password (SITE PSWD) at the next login; --must-change=false\n" +
			"overrides the setting.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := pf.check(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(cfg *config.Config, st store.Store) error {
				u, err := getUser(ctx, st, args[0])
				if err != nil {
					return err
				}
				pol, err := userPolicy(ctx, cfg, st, u)
				if err != nil {
					return err
				}
				np, err := a.readPassword(cfg, pol, u.Name, &pf)
				if err != nil {
					return err
				}
				mustChange := pf.mustChangeOr(cmd, cfg.PasswordPolicy.ChangeAfterReset)
				if err := st.SetPassword(ctx, u.Name, np.hash, a.now(), mustChange, pol.History); err != nil {
					return err
				}
				a.record(ctx, st, "user.password", u.Name, nil, audit.PasswordChanged)
				fmt.Fprintf(a.stdout, "password of user %q changed\n", u.Name)
				a.printGenerated(np)
				if mustChange {
					fmt.Fprintf(a.stdout, "user %q must change it at the next login\n", u.Name)
				}
				return nil
			})
		},
	}
	pf.register(cmd, false, "make the user change the password at the next login (default: password_policy.change_after_reset)")
	return cmd
}
