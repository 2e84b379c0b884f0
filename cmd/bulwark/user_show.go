package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// userDetails is a user with what "user show" computes for it: the rules
// in force after combining the user's, its groups' and its grants', the
// shared folders it sees, what its home holds, and what aging says of its
// password.
type userDetails struct {
	u         *user.User
	now       time.Time
	age       password.AgeStatus
	effective []user.EffectiveRule
	mounts    []user.Mount
	usage     user.Usage
	// protectedUntil is the end of the account's protection against
	// distributed guessing; zero when none is in force.
	protectedUntil time.Time
	// serverZone is access.timezone, the zone of a schedule without one.
	serverZone string
}

func loadUserDetails(ctx context.Context, cfg *config.Config, st store.Store, u *user.User, now time.Time) (*userDetails, error) {
	pol, err := userPolicy(ctx, cfg, st, u)
	if err != nil {
		return nil, err
	}
	groups, err := st.ListGroups(ctx)
	if err != nil {
		return nil, err
	}
	shares, err := st.ListShares(ctx)
	if err != nil {
		return nil, err
	}
	grants, err := st.GrantsFor(ctx, u.Name, u.Groups)
	if err != nil {
		return nil, err
	}
	usage, err := getUsage(ctx, st, store.UsageUser, u.Name)
	if err != nil {
		return nil, err
	}
	protected, err := st.AccountProtection(ctx, u.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if !protected.After(now) {
		protected = time.Time{}
	}
	p := user.NewPolicy(u, groups, shares, grants)
	return &userDetails{u: u, now: now, age: passwordAge(pol, u, now), effective: p.Effective(),
		mounts: p.Mounts(), usage: usage, protectedUntil: protected, serverZone: cfg.Access.TimeZone}, nil
}

// getUsage reads recorded usage; none recorded is unknown usage.
func getUsage(ctx context.Context, st store.Store, kind, name string) (user.Usage, error) {
	u, err := st.GetUsage(ctx, kind, name)
	if errors.Is(err, store.ErrNotFound) {
		return user.Usage{}, nil
	}
	return u, err
}

// userShowJSON is "user show --json": the stored user, then what follows
// from it.
type userShowJSON struct {
	userJSON
	Effective []effectiveJSON `json:"effective"`
	Mounts    []mountJSON     `json:"mounts"`
	Usage     usageJSON       `json:"usage"`
	// ProtectedUntil is the end of the account's protection against
	// distributed password guessing (logins then come only from addresses
	// it used before); null when none is in force.
	ProtectedUntil *time.Time `json:"protected_until"`
}

type mountJSON struct {
	Share    string     `json:"share"`
	At       string     `json:"at"`
	HostPath string     `json:"host_path"`
	Via      string     `json:"via"`
	Limits   limitsJSON `json:"limits"`
}

func (d *userDetails) toJSON() userShowJSON {
	j := userShowJSON{
		userJSON:       toJSON(d.u, d.age),
		Effective:      make([]effectiveJSON, 0, len(d.effective)),
		Mounts:         make([]mountJSON, 0, len(d.mounts)),
		Usage:          toUsageJSON(d.usage),
		ProtectedUntil: utcOrNil(d.protectedUntil),
	}
	for _, r := range d.effective {
		j.Effective = append(j.Effective, effectiveJSON{Path: r.Path, Rights: r.Rights.String(), From: r.From})
	}
	for _, m := range d.sortedMounts() {
		j.Mounts = append(j.Mounts, mountJSON{Share: m.Share, At: m.At, HostPath: m.HostPath, Via: m.Via,
			Limits: toLimitsJSON(m.Limits)})
	}
	return j
}

// sortedMounts lists mounts by mount point, as the rules are; the policy
// keeps the longest mount point first.
func (d *userDetails) sortedMounts() []user.Mount {
	out := slices.Clone(d.mounts)
	slices.SortFunc(out, func(a, b user.Mount) int { return strings.Compare(a.At, b.At) })
	return out
}

func (d *userDetails) writeText(w io.Writer) error {
	u := d.u
	pw := "not set"
	if u.PasswordHash != "" {
		pw = "set (" + hashAlgorithm(u.PasswordHash) + ")"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\n", u.Name)
	fmt.Fprintf(tw, "status:\t%s\n", status(u))
	fmt.Fprintf(tw, "require tls:\t%s\n", yesNo(u.RequireTLS))
	fmt.Fprintf(tw, "home:\t%s\n", u.Home)
	fmt.Fprintf(tw, "comment:\t%s\n", u.Comment)
	fmt.Fprintf(tw, "password:\t%s\n", pw)
	changed := "unknown"
	if !u.PasswordChangedAt.IsZero() {
		changed = formatTime(u.PasswordChangedAt)
	}
	fmt.Fprintf(tw, "password changed:\t%s\n", changed)
	fmt.Fprintf(tw, "password expires:\t%s\n", formatExpiry(u, d.age, d.now))
	fmt.Fprintf(tw, "must change at next login:\t%s\n", yesNo(u.MustChangePassword))
	fmt.Fprintf(tw, "valid from:\t%s\n", formatValidFrom(u.ValidFrom))
	fmt.Fprintf(tw, "valid until:\t%s\n", formatValidUntil(u.ValidUntil))
	writeAccessLines(tw, u.Access, d.serverZone)
	fmt.Fprintf(tw, "created:\t%s\n", formatTime(u.CreatedAt))
	fmt.Fprintf(tw, "updated:\t%s\n", formatTime(u.UpdatedAt))
	fmt.Fprintf(tw, "last login:\t%s\n", formatTime(u.LastLogin))
	if !d.protectedUntil.IsZero() {
		fmt.Fprintf(tw, "protected until:\t%s (accepts logins only from known addresses)\n", formatTime(d.protectedUntil))
	}
	fmt.Fprintf(tw, "groups:\t%s\n", listOrNone(u.Groups))
	fmt.Fprintf(tw, "max bytes:\t%s\n", formatSize(u.Limits.MaxBytes))
	fmt.Fprintf(tw, "max files:\t%s\n", formatCount(u.Limits.MaxFiles))
	fmt.Fprintf(tw, "max file size:\t%s\n", formatSize(u.Limits.MaxFileSize))
	fmt.Fprintf(tw, "max sessions:\t%s\n", formatCount(int64(u.MaxSessions)))
	fmt.Fprintf(tw, "upload rate:\t%s\n", formatRate(u.UploadRate))
	fmt.Fprintf(tw, "download rate:\t%s\n", formatRate(u.DownloadRate))
	fmt.Fprintf(tw, "usage:\t%s\n", formatUsage(d.usage))
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := writeSection(w, "own rules", ruleRows(u.Perms)); err != nil {
		return err
	}
	eff := make([][]string, 0, len(d.effective))
	for _, r := range d.effective {
		eff = append(eff, []string{r.Path, r.Rights.String(), "from " + r.From})
	}
	if err := writeSection(w, "effective rules", eff); err != nil {
		return err
	}
	mounts := make([][]string, 0, len(d.mounts))
	for _, m := range d.sortedMounts() {
		mounts = append(mounts, []string{m.At, "share " + m.Share, m.HostPath, "via " + m.Via, formatLimits(m.Limits)})
	}
	return writeSection(w, "shared folders", mounts)
}
