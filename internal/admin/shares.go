package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

func (a *API) listGroups(w http.ResponseWriter, r *http.Request) {
	list, err := a.st.ListGroups(r.Context())
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	out := make([]*audit.GroupView, 0, len(list))
	for _, g := range list {
		out = append(out, groupView(g))
	}
	writeJSON(w, http.StatusOK, out)
}

// groupDetail is a group with its members.
type groupDetail struct {
	*audit.GroupView
	Members []string `json:"members"`
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request) {
	name, ok := pathName(w, r, "group")
	if !ok {
		return
	}
	ctx := r.Context()
	g, err := a.st.GetGroup(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("group %q not found", name))
		return
	}
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	members, err := a.st.GroupMembers(ctx, g.Name)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	if members == nil {
		members = []string{}
	}
	writeJSON(w, http.StatusOK, groupDetail{GroupView: groupView(g), Members: members})
}

func (a *API) listShares(w http.ResponseWriter, r *http.Request) {
	list, err := a.st.ListShares(r.Context())
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	out := make([]*audit.ShareView, 0, len(list))
	for _, s := range list {
		out = append(out, audit.Share(s))
	}
	writeJSON(w, http.StatusOK, out)
}

// shareDetail is a share with its grants.
type shareDetail struct {
	*audit.ShareView
	Grants []*audit.GrantView `json:"grants"`
}

// loadShare finds the share named in the path with its grants, answering
// 400, 404 or 500 itself when it cannot.
func (a *API) loadShare(w http.ResponseWriter, r *http.Request) (*user.Share, []user.Grant, bool) {
	name, ok := pathName(w, r, "share")
	if !ok {
		return nil, nil, false
	}
	ctx := r.Context()
	s, err := a.st.GetShare(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("share %q not found", name))
		return nil, nil, false
	}
	if err != nil {
		a.internalError(w, r, err)
		return nil, nil, false
	}
	grants, err := a.st.ListGrants(ctx, s.Name)
	if err != nil {
		a.internalError(w, r, err)
		return nil, nil, false
	}
	return s, grants, true
}

func detailOf(s *user.Share, grants []user.Grant) shareDetail {
	d := shareDetail{ShareView: audit.Share(s), Grants: make([]*audit.GrantView, 0, len(grants))}
	for _, g := range grants {
		d.Grants = append(d.Grants, audit.Grant(g))
	}
	return d
}

func (a *API) getShare(w http.ResponseWriter, r *http.Request) {
	if s, grants, ok := a.loadShare(w, r); ok {
		writeJSON(w, http.StatusOK, detailOf(s, grants))
	}
}

func (a *API) deleteShare(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := changeCtx(r)
	defer cancel()
	s, grants, ok := a.loadShare(w, r.WithContext(ctx))
	if !ok {
		return
	}
	if err := a.st.DeleteShare(ctx, s.Name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("share %q not found", s.Name))
			return
		}
		a.internalError(w, r, err)
		return
	}
	a.record(ctx, r, "share.delete", s.Name, detailOf(s, grants), nil)
	a.refresh(ctx)
	w.WriteHeader(http.StatusNoContent)
}

// revokeGrants removes the grants of a share to one user or one group: the
// one at ?at= or all of them. Each removed grant is one audit entry.
func (a *API) revokeGrants(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	userName, group := q.Get("user"), q.Get("group")
	var kind, who string
	switch {
	case q.Has("user") && !q.Has("group"):
		kind, who = "user", userName
	case q.Has("group") && !q.Has("user"):
		kind, who = "group", group
	default:
		writeError(w, http.StatusBadRequest, "give exactly one of the query parameters user= and group=")
		return
	}
	if msg := nameProblem(who); msg != "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid %s name: %s", kind, msg))
		return
	}
	at := ""
	if q.Has("at") {
		var err error
		if at, err = user.CleanVirtualPath(q.Get("at")); err != nil {
			writeError(w, http.StatusBadRequest, "at: "+err.Error())
			return
		}
	}
	ctx, cancel := changeCtx(r)
	defer cancel()
	s, grants, ok := a.loadShare(w, r.WithContext(ctx))
	if !ok {
		return
	}
	var found []user.Grant
	for _, g := range grants {
		mine := kind == "user" && g.User == who || kind == "group" && g.Group == who
		if mine && (at == "" || g.At == at) {
			found = append(found, g)
		}
	}
	if len(found) == 0 {
		where := ""
		if at != "" {
			where = " at " + at
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("share %q has no grant to %s %q%s", s.Name, kind, who, where))
		return
	}
	for _, g := range found {
		if err := a.st.RemoveGrant(ctx, g.Share, g.User, g.Group, g.At); err != nil && !errors.Is(err, store.ErrNotFound) {
			a.internalError(w, r, err)
			a.refresh(ctx)
			return
		}
		a.record(ctx, r, "share.revoke", s.Name, audit.Grant(g), nil)
	}
	a.refresh(ctx)
	w.WriteHeader(http.StatusNoContent)
}
