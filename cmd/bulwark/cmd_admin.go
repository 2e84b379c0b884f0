package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/admin"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

func (a *app) adminCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage access to the admin API",
		Long: "Manage access to the HTTP/JSON admin API (admin.listen in the configuration).\n" +
			"Clients authenticate with a bearer token; only a hash of each token is stored.",
		Args: cobra.ArbitraryArgs,
		RunE: groupRunE,
	}
	token := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke admin API tokens",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRunE,
	}
	token.AddCommand(a.tokenCreateCmd(), a.tokenListCmd(), a.tokenRevokeCmd())
	cmd.AddCommand(token)
	return cmd
}

// tokenView is what the audit trail shows of a token: never the token nor
// its hash.
type tokenView struct {
	Name      string     `json:"name"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	ReadOnly  bool       `json:"read_only"`
}

func viewToken(t store.AdminToken) *tokenView {
	return &tokenView{Name: t.Name, CreatedAt: utcOrNil(t.CreatedAt), ExpiresAt: utcOrNil(t.ExpiresAt), ReadOnly: t.ReadOnly}
}

func (a *app) tokenCreateCmd() *cobra.Command {
	var (
		expires  string
		readOnly bool
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token and print it once",
		Long: "Create an admin API token called NAME and print it, alone, on standard output:\n" +
			"it is shown this once and cannot be read back, so store it now. Without\n" +
			"--expires the token is valid until revoked. A --read-only token may read\n" +
			"(sessions, users, metrics …) but change nothing: give monitoring one of those.\n" +
			"Clients send it as\n" +
			"\"Authorization: Bearer TOKEN\"; \"bulwark session\" and \"bulwark status\" take it\n" +
			"with --token or BULWARK_ADMIN_TOKEN.",
		Example: "  bulwark admin token create prometheus --read-only\n" +
			"  bulwark admin token create monitoring --expires 90d\n" +
			"  export BULWARK_ADMIN_TOKEN=$(bulwark admin token create ops)",
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := validateName("token", name); err != nil {
				return err
			}
			var d time.Duration
			if cmd.Flags().Changed("expires") {
				var err error
				if d, err = parseSpan(expires); err != nil || d <= 0 {
					return usagef("--expires %q: want a span such as 12h, 90d or 2w", expires)
				}
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				tok, hash := admin.NewToken()
				now := a.now()
				t := store.AdminToken{Name: name, Hash: hash, CreatedAt: now, ReadOnly: readOnly}
				if d > 0 {
					t.ExpiresAt = now.Add(d)
				}
				if err := st.CreateToken(ctx, &t); err != nil {
					if errors.Is(err, store.ErrExists) {
						return fmt.Errorf("token %q: already exists (revoke it first, or choose another name)", name)
					}
					return err
				}
				a.record(ctx, st, "token.create", t.Name, nil, viewToken(t))
				// The token alone on standard output, so that a script can
				// capture it; the words go to standard error.
				fmt.Fprintln(a.stdout, tok)
				fmt.Fprintf(a.stderr, "token %q created (%s), %s; it is shown only this once\n",
					t.Name, accessText(t), expiryText(t.ExpiresAt))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&expires, "expires", "", "the token expires after `SPAN`: 12h, 90d, 2w (default: never)")
	cmd.Flags().BoolVar(&readOnly, "read-only", false, "the token may read but change nothing (for monitoring)")
	return cmd
}

// accessText says what a token may do.
func accessText(t store.AdminToken) string {
	if t.ReadOnly {
		return "read-only"
	}
	return "full access"
}

func expiryText(t time.Time) string {
	if t.IsZero() {
		return "valid until revoked"
	}
	return "expires " + formatTime(t)
}

func (a *app) tokenListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens (never the tokens themselves)",
		Args:  exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				tokens, err := st.ListTokens(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeTokensJSON(a.stdout, tokens, a.now())
				}
				return writeTokensTable(a.stdout, tokens, a.now())
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// tokenJSON is the stable JSON form of a token: no hash.
type tokenJSON struct {
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Expired    bool       `json:"expired"`
	ReadOnly   bool       `json:"read_only"`
}

func tokenExpired(t store.AdminToken, now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

func writeTokensJSON(w io.Writer, tokens []store.AdminToken, now time.Time) error {
	out := make([]tokenJSON, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, tokenJSON{Name: t.Name, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: utcOrNil(t.ExpiresAt),
			LastUsedAt: utcOrNil(t.LastUsedAt), Expired: tokenExpired(t, now), ReadOnly: t.ReadOnly})
	}
	return writeJSON(w, out)
}

func writeTokensTable(w io.Writer, tokens []store.AdminToken, now time.Time) error {
	if len(tokens) == 0 {
		_, err := fmt.Fprintln(w, "no tokens")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tACCESS\tCREATED\tEXPIRES\tLAST USED")
	for _, t := range tokens {
		exp := "never"
		if !t.ExpiresAt.IsZero() {
			exp = formatTime(t.ExpiresAt)
			if tokenExpired(t, now) {
				exp += " (expired)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, accessText(t), formatTime(t.CreatedAt), exp, formatTime(t.LastUsedAt))
	}
	return tw.Flush()
}

func (a *app) tokenRevokeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token: the admin API refuses it from the next request on",
		Args:  exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			ctx := cmd.Context()
			return a.withStore(ctx, func(_ *config.Config, st store.Store) error {
				var before any // stays nil (no state) if the token is gone meanwhile
				tokens, err := st.ListTokens(ctx)
				if err != nil {
					return err
				}
				for _, t := range tokens {
					if t.Name == name {
						before = viewToken(t)
					}
				}
				if err := st.DeleteToken(ctx, name); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("token %q: not found (see \"bulwark admin token list\")", name)
					}
					return err
				}
				a.record(ctx, st, "token.revoke", name, before, nil)
				fmt.Fprintf(a.stdout, "token %q revoked\n", name)
				return nil
			})
		},
	}
}
