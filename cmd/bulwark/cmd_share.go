package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// shareDirMode is the mode of share directories created with --create,
// like homes.
const shareDirMode = 0o750

func (a *app) shareCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "share",
		Short: "Manage shared folders and who may use them",
		Long: "Manage shared folders: named host directories that users see only when granted,\n" +
			"mounted at a path of their choice with rights and limits of their own.\n" +
			"Changes reach running sessions at their next command.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	cmd.AddCommand(a.shareAddCmd(), a.shareSetCmd(), a.shareDelCmd(), a.shareListCmd(), a.shareShowCmd(),
		a.shareGrantCmd(), a.shareRevokeCmd())
	return cmd
}

// getShare finds a share, turning "not found" into the message users see.
func getShare(ctx context.Context, st store.Store, name string) (*user.Share, error) {
	s, err := st.GetShare(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("share %q: not found", name)
	}
	return s, err
}

// shareDir makes the --path value absolute (relative to the working
// directory) and checks that it is a directory, creating it if create is
// set.
func shareDir(dir string, create bool) (string, error) {
	if dir == "" {
		return "", usagef("--path: must not be empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("--path %q: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err == nil && !fi.IsDir():
		return "", fmt.Errorf("--path %q: not a directory", dir)
	case err == nil:
		return abs, nil
	case errors.Is(err, fs.ErrNotExist) && create:
		if err := os.MkdirAll(abs, shareDirMode); err != nil {
			return "", fmt.Errorf("--path %q: %w", dir, err)
		}
		return abs, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("--path %q: no such directory (add --create to create it)", dir)
	}
	return "", fmt.Errorf("--path %q: %w", dir, err)
}

func (a *app) shareAddCmd() *cobra.Command {
	var (
		dir, comment string
		create       bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME --path DIR",
		Short: "Create a shared folder",
		Long: "Create a shared folder for the host directory DIR. Nobody sees it until it is\n" +
			"granted with \"bulwark share grant\".",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !cmd.Flags().Changed("path") {
				return usagef("--path DIR is required")
			}
			if err := validateName("share", name); err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				if _, err := st.GetShare(ctx, name); err == nil {
					return fmt.Errorf("share %q: already exists", name)
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				abs, err := shareDir(dir, create)
				if err != nil {
					return err
				}
				s := &user.Share{Name: name, Path: abs, Comment: comment}
				if err := st.CreateShare(ctx, s); err != nil {
					if errors.Is(err, store.ErrExists) {
						return fmt.Errorf("share %q: already exists", name)
					}
					return err
				}
				a.record(ctx, st, "share.create", s.Name, nil, audit.Share(s))
				fmt.Fprintf(a.stdout, "share %q created for %s\n", s.Name, s.Path)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "path", "", "host `DIR` to share (absolute, or relative to the working directory)")
	f.BoolVar(&create, "create", false, "create DIR (mode 0750) if it does not exist")
	f.StringVar(&comment, "comment", "", "free `TEXT` for administrators")
	return cmd
}

func (a *app) shareSetCmd() *cobra.Command {
	var (
		dir, comment string
		create       bool
	)
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a shared folder's directory or comment",
		Long: "Change a shared folder's host directory or comment. Files are not moved: the\n" +
			"grantees see the new directory's content from their next command on.",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("path") && !f.Changed("comment") {
				return usagef("nothing to change: give --path or --comment")
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				s, err := getShare(ctx, st, args[0])
				if err != nil {
					return err
				}
				before := frozen(audit.Share(s))
				if f.Changed("path") {
					if s.Path, err = shareDir(dir, create); err != nil {
						return err
					}
				}
				if f.Changed("comment") {
					s.Comment = comment
				}
				if err := st.UpdateShare(ctx, s); err != nil {
					return err
				}
				a.record(ctx, st, "share.update", s.Name, before, audit.Share(s))
				fmt.Fprintf(a.stdout, "share %q updated\n", s.Name)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "path", "", "new host `DIR` (absolute, or relative to the working directory); files are not moved")
	f.BoolVar(&create, "create", false, "create DIR (mode 0750) if it does not exist")
	f.StringVar(&comment, "comment", "", "free `TEXT` for administrators")
	return cmd
}

// shareDetails loads a share with its grants.
func shareDetails(ctx context.Context, st store.Store, name string) (*user.Share, []user.Grant, error) {
	s, err := getShare(ctx, st, name)
	if err != nil {
		return nil, nil, err
	}
	grants, err := st.ListGrants(ctx, s.Name)
	if err != nil {
		return nil, nil, err
	}
	return s, grants, nil
}

func (a *app) shareDelCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "del NAME",
		Short: "Delete a shared folder (its files on disk are kept)",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				s, grants, err := shareDetails(ctx, st, args[0])
				if err != nil {
					return err
				}
				if !yes {
					question := fmt.Sprintf("Delete share %q? Its grants (%d) are removed; the files in %s are kept.",
						s.Name, len(grants), s.Path)
					if err := a.confirm(question, fmt.Sprintf("share %q not deleted", s.Name)); err != nil {
						return err
					}
				}
				if err := st.DeleteShare(ctx, s.Name); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("share %q: not found", s.Name)
					}
					return err
				}
				a.record(ctx, st, "share.delete", s.Name, audit.Share(s), nil)
				fmt.Fprintf(a.stdout, "share %q deleted with its grants (%d); the files in %s are kept\n",
					s.Name, len(grants), s.Path)
				return nil
			})
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) shareListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List shared folders",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				shares, err := st.ListShares(ctx)
				if err != nil {
					return err
				}
				grants, err := st.ListGrants(ctx, "")
				if err != nil {
					return err
				}
				if asJSON {
					return writeSharesJSON(a.stdout, shares, grants)
				}
				return writeSharesTable(a.stdout, shares, grants)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) shareShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a shared folder, its grants and its usage",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				s, grants, err := shareDetails(ctx, st, args[0])
				if err != nil {
					return err
				}
				usage, err := getUsage(ctx, st, store.UsageShare, s.Name)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(a.stdout, toShareShowJSON(s, grants, usage))
				}
				return writeShareText(a.stdout, s, grants, usage)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
