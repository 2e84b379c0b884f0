package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// accountFlags are the password-aging and account-expiry flags of "user
// add" and "user set" (which also has --must-change; "user add" takes it
// with the password flags).
type accountFlags struct {
	agingExempt bool
	validUntil  string
	validFrom   string
	mustChange  bool
	editing     bool
}

func (af *accountFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&af.agingExempt, "aging-exempt", false, "the password never expires, whatever the policy's max age (for machine accounts)")
	f.StringVar(&af.validUntil, "valid-until", "", "refuse logins after `DATE` (YYYY-MM-DD, through 23:59:59 UTC of that day); never removes the limit")
	f.StringVar(&af.validFrom, "valid-from", "", "refuse logins before `DATE` (YYYY-MM-DD, from 00:00:00 UTC of that day, or an RFC 3339 time); none removes the limit")
}

func (af *accountFlags) registerEditing(cmd *cobra.Command) {
	af.editing = true
	af.register(cmd)
	cmd.Flags().BoolVar(&af.mustChange, "must-change", false, "make the user change the password at the next login (--must-change=false to lift it)")
}

// accountEdit is the parsed form of accountFlags; nil was not given.
type accountEdit struct {
	agingExempt *bool
	validUntil  *time.Time
	validFrom   *time.Time
	mustChange  *bool
}

func (af *accountFlags) parse(cmd *cobra.Command) (accountEdit, error) {
	var e accountEdit
	f := cmd.Flags()
	if f.Changed("aging-exempt") {
		e.agingExempt = &af.agingExempt
	}
	if af.editing && f.Changed("must-change") {
		e.mustChange = &af.mustChange
	}
	if f.Changed("valid-until") {
		t, err := parseValidUntil("--valid-until", af.validUntil)
		if err != nil {
			return e, err
		}
		e.validUntil = &t
	}
	if f.Changed("valid-from") {
		t, err := parseValidFrom("--valid-from", af.validFrom)
		if err != nil {
			return e, err
		}
		e.validFrom = &t
	}
	return e, nil
}

func (e accountEdit) changes() bool {
	return e.agingExempt != nil || e.validUntil != nil || e.validFrom != nil || e.mustChange != nil
}

// apply changes u as e says. A validity that ends before it starts is
// refused: no login could ever succeed.
func (e accountEdit) apply(u *user.User) error {
	from, until := u.ValidFrom, u.ValidUntil
	setIf(&from, e.validFrom)
	setIf(&until, e.validUntil)
	if !from.IsZero() && !until.IsZero() && !from.Before(until) {
		return usagef("user %q: valid from %s is not before valid until %s", u.Name, formatValidFrom(from), formatValidUntil(until))
	}
	u.ValidFrom, u.ValidUntil = from, until
	setIf(&u.AgingExempt, e.agingExempt)
	setIf(&u.MustChangePassword, e.mustChange)
	return nil
}

// noteValidUntil warns when an account is given an end that has passed:
// legal (to close an account at once) but more often a typo.
func (a *app) noteValidUntil(u *user.User) {
	if !u.ValidUntil.IsZero() && u.ValidUntil.Before(a.now()) {
		fmt.Fprintf(a.stderr, "note: user %q was valid until %s: its logins are refused\n", u.Name, formatValidUntil(u.ValidUntil))
	}
}
