package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// userFlags are the flags "user add" and "user set" share for rights,
// groups and limits.
type userFlags struct {
	rules        ruleFlags
	addGroups    []string // --group on add, --add-group on set
	removeGroups []string
	clearGroups  bool
	limits       limitFlags
	maxSessions  string
	uploadRate   string
	downloadRate string
	access       accessFlags
}

func (uf *userFlags) register(cmd *cobra.Command, editing bool) {
	uf.rules.register(cmd, editing)
	f := cmd.Flags()
	if editing {
		f.StringArrayVar(&uf.addGroups, "add-group", nil, "add the user to group `NAME` (repeatable)")
		f.StringArrayVar(&uf.removeGroups, "remove-group", nil, "remove the user from group `NAME` (repeatable)")
		f.BoolVar(&uf.clearGroups, "clear-groups", false, "remove the user from every group before --remove-group and --add-group apply")
	} else {
		f.StringArrayVar(&uf.addGroups, "group", nil, "make the user a member of group `NAME` (repeatable)")
	}
	uf.limits.register(cmd, "in the home")
	f.StringVar(&uf.maxSessions, "max-sessions", "", "at most `N` simultaneous sessions (0 = unlimited)")
	f.StringVar(&uf.uploadRate, "upload-rate", "", "upload bandwidth of all the user's sessions together, `RATE` bytes per second (K, M, G suffixes: 5M; 0 = unlimited)")
	f.StringVar(&uf.downloadRate, "download-rate", "", "download bandwidth of all the user's sessions together, `RATE` bytes per second (0 = unlimited)")
	uf.access.register(cmd, editing)
}

// userEdit is the parsed form of userFlags; nil pointers were not given.
type userEdit struct {
	rules        ruleEdit
	clearGroups  bool
	removeGroups []string
	addGroups    []string
	limits       limitEdit
	maxSessions  *int64
	uploadRate   *int64
	downloadRate *int64
	access       accessEdit
}

func (uf *userFlags) parse(cmd *cobra.Command) (userEdit, error) {
	e := userEdit{clearGroups: uf.clearGroups, removeGroups: uf.removeGroups, addGroups: uf.addGroups}
	var err error
	if e.rules, err = uf.rules.parse(); err != nil {
		return e, err
	}
	if e.limits, err = uf.limits.parse(cmd); err != nil {
		return e, err
	}
	if e.maxSessions, err = optional(cmd, "max-sessions", uf.maxSessions, parseCount); err != nil {
		return e, err
	}
	if e.maxSessions != nil && *e.maxSessions > math.MaxInt32 {
		return e, usagef("--max-sessions %q: at most %d", uf.maxSessions, math.MaxInt32)
	}
	if e.uploadRate, err = optional(cmd, "upload-rate", uf.uploadRate, parseRate); err != nil {
		return e, err
	}
	if e.downloadRate, err = optional(cmd, "download-rate", uf.downloadRate, parseRate); err != nil {
		return e, err
	}
	e.access, err = uf.access.parse(cmd)
	return e, err
}

func (e userEdit) changes() bool {
	return e.rules.changes() || e.clearGroups || len(e.removeGroups) > 0 || len(e.addGroups) > 0 ||
		e.limits.changes() || e.maxSessions != nil || e.uploadRate != nil || e.downloadRate != nil ||
		e.access.changes()
}

// apply changes u as e says. Groups to add must exist; they are stored
// under the spelling they were created with.
func (e userEdit) apply(ctx context.Context, st store.Store, u *user.User) error {
	perms, err := e.rules.apply(u.Perms)
	if err != nil {
		return err
	}
	if err := e.access.apply(&u.Access); err != nil {
		return fmt.Errorf("user %q: %w", u.Name, err)
	}
	groups := slices.Clone(u.Groups)
	if e.clearGroups {
		groups = nil
	}
	for _, name := range e.removeGroups {
		i := slices.IndexFunc(groups, func(g string) bool { return strings.EqualFold(g, name) })
		if i < 0 {
			return fmt.Errorf("--remove-group %q: user %q is not in that group", name, u.Name)
		}
		groups = slices.Delete(groups, i, i+1)
	}
	for _, name := range e.addGroups {
		g, err := getGroup(ctx, st, name)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(groups, func(m string) bool { return strings.EqualFold(m, g.Name) }) {
			groups = append(groups, g.Name)
		}
	}
	slices.SortFunc(groups, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })

	u.Perms = perms
	u.Groups = groups
	e.limits.apply(&u.Limits)
	if e.maxSessions != nil {
		u.MaxSessions = int(*e.maxSessions)
	}
	setIf(&u.UploadRate, e.uploadRate)
	setIf(&u.DownloadRate, e.downloadRate)
	return nil
}
