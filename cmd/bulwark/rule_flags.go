package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// rightsHelp lists what a RIGHTS value may contain, for flag help.
const rightsHelp = "RIGHTS is a comma-separated list of: list, download, upload, overwrite, append, delete, " +
	"rename, mkdir, rmdir, chmod, mtime, and the shorthands all, read (list,download), " +
	"write (upload,overwrite,append,mkdir), none"

// parseRightsFlag reads a RIGHTS value given to flag.
func parseRightsFlag(flag, s string) (user.Rights, error) {
	r, err := user.ParseRights(s)
	if err != nil {
		return 0, usagef("%s %q: %s", flag, s, rightsProblem(err))
	}
	return r, nil
}

// rightsProblem is a ParseRights error without its "invalid rights" prefix,
// which the flag name already implies.
func rightsProblem(err error) string {
	return strings.TrimPrefix(err.Error(), user.ErrInvalidRights.Error()+": ")
}

// parseRuleFlag reads a /PATH=RIGHTS value given to flag.
func parseRuleFlag(flag, s string) (user.PathRule, error) {
	p, rights, ok := strings.Cut(s, "=")
	if !ok {
		return user.PathRule{}, usagef("%s %q: want /PATH=RIGHTS, for example /incoming=upload,mkdir", flag, s)
	}
	clean, err := user.CleanVirtualPath(strings.TrimSpace(p))
	if err != nil {
		return user.PathRule{}, usagef("%s %q: %v", flag, s, err)
	}
	r, err := user.ParseRights(rights)
	if err != nil {
		return user.PathRule{}, usagef("%s %q: %s", flag, s, rightsProblem(err))
	}
	return user.PathRule{Path: clean, Rights: r}, nil
}

// parsePathFlag reads a virtual /PATH given to flag.
func parsePathFlag(flag, s string) (string, error) {
	clean, err := user.CleanVirtualPath(strings.TrimSpace(s))
	if err != nil {
		return "", usagef("%s %q: %v", flag, s, err)
	}
	return clean, nil
}

// ruleFlags are the flags that edit a list of path rules: --perm, and when
// editing an existing list --unset-perm and --clear-perms.
type ruleFlags struct {
	perms []string
	unset []string
	clear bool
}

func (rf *ruleFlags) register(cmd *cobra.Command, editing bool) {
	f := cmd.Flags()
	// StringArray, not StringSlice: a value such as /x=read,upload holds
	// commas of its own.
	f.StringArrayVar(&rf.perms, "perm", nil,
		"rule `/PATH=RIGHTS`: rights at PATH and below (repeatable); /PATH=none hides PATH. "+rightsHelp)
	if editing {
		f.StringArrayVar(&rf.unset, "unset-perm", nil,
			"remove the rule at `/PATH` (repeatable), so the rule above it applies again")
		f.BoolVar(&rf.clear, "clear-perms", false, "remove all rules before --unset-perm and --perm apply")
	}
}

// ruleEdit is a parsed change to a rule list. It applies in a fixed order:
// clear, unset, set.
type ruleEdit struct {
	clear bool
	unset []string
	set   []user.PathRule
}

func (rf *ruleFlags) parse() (ruleEdit, error) {
	e := ruleEdit{clear: rf.clear}
	for _, p := range rf.unset {
		clean, err := parsePathFlag("--unset-perm", p)
		if err != nil {
			return ruleEdit{}, err
		}
		e.unset = append(e.unset, clean)
	}
	for _, s := range rf.perms {
		r, err := parseRuleFlag("--perm", s)
		if err != nil {
			return ruleEdit{}, err
		}
		e.set = append(e.set, r)
	}
	return e, nil
}

func (e ruleEdit) changes() bool { return e.clear || len(e.unset) > 0 || len(e.set) > 0 }

// apply returns rs changed by e. Unsetting a path without a rule is an
// error: a mistyped path would otherwise go unnoticed.
func (e ruleEdit) apply(rs user.Rules) (user.Rules, error) {
	out := append(user.Rules{}, rs...)
	if e.clear {
		out = user.Rules{}
	}
	for _, p := range e.unset {
		if _, ok := out.Lookup(p); !ok {
			return nil, fmt.Errorf("--unset-perm %q: there is no rule at %s", p, p)
		}
		out = out.Unset(p)
	}
	for _, r := range e.set {
		out = out.Set(r)
	}
	return out, nil
}

// limitFlags are --max-bytes, --max-files and --max-file-size.
type limitFlags struct {
	maxBytes, maxFiles, maxFileSize string
}

func (lf *limitFlags) register(cmd *cobra.Command, where string) {
	f := cmd.Flags()
	f.StringVar(&lf.maxBytes, "max-bytes", "", "at most `SIZE` bytes "+where+" (K, M, G, T suffixes, 1024-based; 0 = unlimited)")
	f.StringVar(&lf.maxFiles, "max-files", "", "at most `N` files "+where+" (0 = unlimited)")
	f.StringVar(&lf.maxFileSize, "max-file-size", "", "at most `SIZE` bytes in one file "+where+" (K, M, G, T suffixes; 0 = unlimited)")
}

// limitEdit holds the limits given on the command line; nil is not given.
type limitEdit struct {
	maxBytes, maxFiles, maxFileSize *int64
}

func (lf *limitFlags) parse(cmd *cobra.Command) (limitEdit, error) {
	var e limitEdit
	var err error
	if e.maxBytes, err = optional(cmd, "max-bytes", lf.maxBytes, parseSize); err != nil {
		return e, err
	}
	if e.maxFiles, err = optional(cmd, "max-files", lf.maxFiles, parseCount); err != nil {
		return e, err
	}
	e.maxFileSize, err = optional(cmd, "max-file-size", lf.maxFileSize, parseSize)
	return e, err
}

func (e limitEdit) changes() bool {
	return e.maxBytes != nil || e.maxFiles != nil || e.maxFileSize != nil
}

func (e limitEdit) apply(l *user.Limits) {
	setIf(&l.MaxBytes, e.maxBytes)
	setIf(&l.MaxFiles, e.maxFiles)
	setIf(&l.MaxFileSize, e.maxFileSize)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// optional parses the value of flag name if it was given, naming the flag
// in the error.
func optional(cmd *cobra.Command, name, value string, parse func(string) (int64, error)) (*int64, error) {
	if !cmd.Flags().Changed(name) {
		return nil, nil
	}
	n, err := parse(value)
	if err != nil {
		return nil, usagef("--%s %q: %v", name, value, err)
	}
	return &n, nil
}
