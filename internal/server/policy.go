package server

import (
	"context"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// userPolicy returns the password policy of a user: the server's policy
// with the overrides of each of the user's groups (the strictest wins).
func userPolicy(st store.Store, base password.Policy) func(ctx context.Context, u *user.User) (password.Policy, error) {
	return func(ctx context.Context, u *user.User) (password.Policy, error) {
		rules := make([]user.PasswordRules, 0, len(u.Groups))
		for _, name := range u.Groups {
			g, err := st.GetGroup(ctx, name)
			if err != nil {
				return password.Policy{}, err
			}
			if !g.PasswordRules.IsZero() {
				rules = append(rules, g.PasswordRules)
			}
		}
		return base.Apply(rules...), nil
	}
}
