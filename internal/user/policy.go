package user

import (
	"slices"
	"strings"
)

// How rights combine (the one rule, documented in docs/permissions.md):
//
//  1. Every rule that covers a path (the rule's path is the path itself or
//     one of its ancestors) is a candidate: the user's own rules, the
//     user's groups' rules, and one rule at each share grant's mount point
//     carrying the grant's rights.
//  2. The candidate with the longest path decides.
//  3. When several candidates have that same path, the user's own rule wins;
//     failing that, a grant made to the user; failing that, the union of
//     the rights of all the user's groups' rules and group grants there.
//  4. A path no rule covers has no rights.

// EffectiveRule is one rule after combination, with where it came from.
type EffectiveRule struct {
	Path   string
	Rights Rights
	// From names the source: "user", "group:staff", "group:a+group:b",
	// "share:projects via user", "share:projects via group:staff".
	From string
}

// Mount places a share's host directory at a virtual path.
type Mount struct {
	At       string
	Share    string
	HostPath string
	Limits   Limits
	// Via names the grantee the mount comes from ("user" or "group:NAME").
	Via string
}

// Policy is one user's combined rights and mounts. It is immutable, so a
// session can swap it for a new one when an administrator changes rights.
type Policy struct {
	rules  []EffectiveRule // longest path first
	mounts []Mount         // longest mount point first
}

// priority classes for rules that share a path.
const (
	prioGroup = iota
	prioUserGrant
	prioUser
)

type candidate struct {
	rights Rights
	prio   int
	from   string
}

// NewPolicy combines u's own rules, the rules of groups (the user's groups;
// others are ignored) and the grants that name u or one of its groups.
// shares resolves grant share names to host paths; a grant of an unknown
// share is ignored.
func NewPolicy(u *User, groups []*Group, shares []*Share, grants []Grant) *Policy {
	member := map[string]bool{}
	for _, g := range u.Groups {
		member[strings.ToLower(g)] = true
	}
	shareByName := map[string]*Share{}
	for _, s := range shares {
		shareByName[strings.ToLower(s.Name)] = s
	}

	byPath := map[string][]candidate{}
	add := func(p string, c candidate) { byPath[p] = append(byPath[p], c) }
	for _, r := range u.Perms {
		add(r.Path, candidate{r.Rights, prioUser, "user"})
	}
	for _, g := range groups {
		if !member[strings.ToLower(g.Name)] {
			continue
		}
		for _, r := range g.Perms {
			add(r.Path, candidate{r.Rights, prioGroup, "group:" + g.Name})
		}
	}

	type mountCand struct {
		m    Mount
		prio int
	}
	mountAt := map[string]mountCand{}
	for _, gr := range grants {
		var prio int
		var via string
		switch {
		case gr.User != "" && strings.EqualFold(gr.User, u.Name):
			prio, via = prioUserGrant, "user"
		case gr.Group != "" && member[strings.ToLower(gr.Group)]:
			prio, via = prioGroup, "group:"+gr.Group
		default:
			continue
		}
		sh, ok := shareByName[strings.ToLower(gr.Share)]
		if !ok {
			continue
		}
		add(gr.At, candidate{gr.Rights, prio, "share:" + sh.Name + " via " + via})
		m := Mount{At: gr.At, Share: sh.Name, HostPath: sh.Path, Limits: gr.Limits, Via: via}
		// One share per mount point: a user grant beats group grants, and
		// among groups the first by name, so the choice is stable.
		if cur, ok := mountAt[gr.At]; !ok || prio > cur.prio ||
			(prio == cur.prio && strings.ToLower(m.Via) < strings.ToLower(cur.m.Via)) {
			mountAt[gr.At] = mountCand{m, prio}
		}
	}

	p := &Policy{}
	for path, cands := range byPath {
		best := -1
		for _, c := range cands {
			best = max(best, c.prio)
		}
		var rights Rights
		var from []string
		for _, c := range cands {
			if c.prio != best {
				continue
			}
			if best != prioGroup {
				// A user has one rule per path, and one grant per path is
				// the mount that counts.
				if m, ok := mountAt[path]; ok && c.prio == prioUserGrant && !strings.HasPrefix(c.from, "share:"+m.m.Share+" ") {
					continue
				}
				rights, from = c.rights, []string{c.from}
				break
			}
			rights |= c.rights
			from = append(from, c.from)
		}
		slices.Sort(from)
		p.rules = append(p.rules, EffectiveRule{Path: path, Rights: rights, From: strings.Join(slices.Compact(from), "+")})
	}
	slices.SortFunc(p.rules, func(a, b EffectiveRule) int {
		if d := len(b.Path) - len(a.Path); d != 0 {
			return d
		}
		return strings.Compare(a.Path, b.Path)
	})
	for _, mc := range mountAt {
		p.mounts = append(p.mounts, mc.m)
	}
	slices.SortFunc(p.mounts, func(a, b Mount) int {
		if d := len(b.At) - len(a.At); d != 0 {
			return d
		}
		return strings.Compare(a.At, b.At)
	})
	return p
}

// Rights returns the rights at virtual path name.
func (p *Policy) Rights(name string) Rights {
	r, _ := p.Rule(name)
	return r.Rights
}

// Rule returns the rule that decides name; ok is false when none covers it.
func (p *Policy) Rule(name string) (EffectiveRule, bool) {
	for _, r := range p.rules {
		if Covers(r.Path, name) {
			return r, true
		}
	}
	return EffectiveRule{Path: name}, false
}

// Reachable reports whether the user has any right at name or somewhere
// below it, so that name may be shown in a listing and entered with CWD on
// the way to what lies below.
func (p *Policy) Reachable(name string) bool {
	if p.Rights(name) != RightsNone {
		return true
	}
	for _, r := range p.rules {
		if r.Rights != RightsNone && r.Path != name && Covers(name, r.Path) {
			return true
		}
	}
	return false
}

// Mount returns the share mounted at name or above it, with name's path
// relative to the mount point ("." for the mount point itself).
func (p *Policy) Mount(name string) (m Mount, rel string, ok bool) {
	for _, m := range p.mounts {
		if Covers(m.At, name) {
			rel := strings.TrimPrefix(strings.TrimPrefix(name, m.At), "/")
			if rel == "" {
				rel = "."
			}
			return m, rel, true
		}
	}
	return Mount{}, "", false
}

// Mounts returns every mount, longest mount point first.
func (p *Policy) Mounts() []Mount { return slices.Clone(p.mounts) }

// MountPointsBelow returns the names of the entries that mount points
// create directly inside directory dir: for a mount at /projects/x and dir
// "/", that is "projects". They appear in listings even when no such
// directory exists on disk.
func (p *Policy) MountPointsBelow(dir string) []string {
	var out []string
	for _, m := range p.mounts {
		if m.At == dir || !Covers(dir, m.At) {
			continue
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(m.At, dir), "/")
		first, _, _ := strings.Cut(rest, "/")
		if first != "" && !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	slices.Sort(out)
	return out
}

// IsMountPath reports whether name is a mount point or an ancestor of one:
// such a path cannot be removed or renamed.
func (p *Policy) IsMountPath(name string) bool {
	for _, m := range p.mounts {
		if Covers(name, m.At) {
			return true
		}
	}
	return false
}

// Effective returns the combined rules sorted by path, for display.
func (p *Policy) Effective() []EffectiveRule {
	out := slices.Clone(p.rules)
	slices.SortFunc(out, func(a, b EffectiveRule) int { return strings.Compare(a.Path, b.Path) })
	return out
}
