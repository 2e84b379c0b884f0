package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// record writes one audit entry. The change it describes is already made,
// so a failure is logged loudly rather than reported as a failed request.
func (a *API) record(ctx context.Context, r *http.Request, action, target string, before, after any) {
	who := actor(r)
	if err := audit.Record(ctx, a.st, a.now(), who, action, target, before, after); err != nil {
		a.log.Error("admin api: audit record failed", "actor", who, "action", action, "target", target, "err", err)
	}
}

// pathName returns the {name} path value when it is a valid name;
// otherwise it answers 400 and returns false.
func pathName(w http.ResponseWriter, r *http.Request, kind string) (string, bool) {
	name := r.PathValue("name")
	if msg := nameProblem(name); msg != "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid %s name: %s", kind, msg))
		return "", false
	}
	return name, true
}

func nameProblem(name string) string {
	if err := user.ValidateName(name); err != nil {
		return strings.TrimPrefix(err.Error(), user.ErrInvalidName.Error()+": ")
	}
	return ""
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) {
	list, err := a.st.ListUsers(r.Context())
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	out := make([]*audit.UserView, 0, len(list))
	for _, u := range list {
		out = append(out, userView(u))
	}
	writeJSON(w, http.StatusOK, out)
}

// loadUser finds the user named in the path, answering 400, 404 or 500
// itself when it cannot.
func (a *API) loadUser(ctx context.Context, w http.ResponseWriter, r *http.Request) (*user.User, bool) {
	name, ok := pathName(w, r, "user")
	if !ok {
		return nil, false
	}
	u, err := a.st.GetUser(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("user %q not found", name))
		return nil, false
	}
	if err != nil {
		a.internalError(w, r, err)
		return nil, false
	}
	return u, true
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	if u, ok := a.loadUser(r.Context(), w, r); ok {
		writeJSON(w, http.StatusOK, userView(u))
	}
}

// userPatch is the body of PATCH /api/v1/users/{name}: absent fields are
// kept. ValidUntil is raw to tell null (remove the limit) from absent.
type userPatch struct {
	Disabled           *bool           `json:"disabled"`
	MustChangePassword *bool           `json:"must_change_password"`
	Comment            *string         `json:"comment"`
	ValidUntil         json.RawMessage `json:"valid_until"`
}

const maxCommentLen = 1000

// apply changes u as p says, or says what is wrong with p.
func (p userPatch) apply(u *user.User) error {
	if p.Disabled == nil && p.MustChangePassword == nil && p.Comment == nil && p.ValidUntil == nil {
		return errors.New("nothing to change: give one or more of disabled, must_change_password, comment, valid_until")
	}
	until := u.ValidUntil
	if p.ValidUntil != nil {
		if bytes.Equal(p.ValidUntil, []byte("null")) {
			until = time.Time{}
		} else {
			var s string
			if err := json.Unmarshal(p.ValidUntil, &s); err != nil {
				return errors.New(`field "valid_until": want an RFC 3339 time such as "2030-12-31T23:59:59Z", or null`)
			}
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return fmt.Errorf(`field "valid_until": %q is not an RFC 3339 time such as "2030-12-31T23:59:59Z"`, s)
			}
			if t.Year() < 1970 || t.Year() > 2200 {
				return fmt.Errorf(`field "valid_until": %q is not between the years 1970 and 2200`, s)
			}
			until = t.UTC()
		}
	}
	if !u.ValidFrom.IsZero() && !until.IsZero() && !u.ValidFrom.Before(until) {
		return fmt.Errorf(`field "valid_until": must be after the account's valid_from (%s)`, u.ValidFrom.UTC().Format(time.RFC3339))
	}
	if p.Comment != nil {
		c := *p.Comment
		if utf8.RuneCountInString(c) > maxCommentLen {
			return fmt.Errorf(`field "comment": longer than %d characters`, maxCommentLen)
		}
		if !utf8.ValidString(c) || strings.ContainsFunc(c, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return errors.New(`field "comment": must be one line of text`)
		}
		u.Comment = c
	}
	u.ValidUntil = until
	if p.Disabled != nil {
		u.Disabled = *p.Disabled
	}
	if p.MustChangePassword != nil {
		u.MustChangePassword = *p.MustChangePassword
	}
	return nil
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request) {
	if _, ok := pathName(w, r, "user"); !ok {
		return
	}
	var p userPatch
	if !decodeBody(w, r, &p) {
		return
	}
	ctx, cancel := changeCtx(r)
	defer cancel()
	u, ok := a.loadUser(ctx, w, r)
	if !ok {
		return
	}
	before := userView(u)
	if err := p.apply(u); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := a.st.UpdateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("user %q not found", u.Name))
			return
		}
		a.internalError(w, r, err)
		return
	}
	after := userView(u)
	a.record(ctx, r, "user.update", u.Name, before, after)
	a.refresh(ctx)
	writeJSON(w, http.StatusOK, after)
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := changeCtx(r)
	defer cancel()
	u, ok := a.loadUser(ctx, w, r)
	if !ok {
		return
	}
	if err := a.st.DeleteUser(ctx, u.Name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("user %q not found", u.Name))
			return
		}
		a.internalError(w, r, err)
		return
	}
	a.record(ctx, r, "user.delete", u.Name, userView(u), nil)
	a.refresh(ctx)
	w.WriteHeader(http.StatusNoContent)
}

// userView is the API's view of u: the audit view, with empty lists as []
// rather than null so that clients need not tell the two apart.
func userView(u *user.User) *audit.UserView {
	v := audit.User(u)
	if v != nil {
		v.Access = accessView(v.Access)
	}
	return v
}

func groupView(g *user.Group) *audit.GroupView {
	v := audit.Group(g)
	if v != nil {
		v.Access = accessView(v.Access)
	}
	return v
}

func accessView(a user.AccessRules) user.AccessRules {
	for _, l := range []*[]string{&a.AllowIPs, &a.DenyIPs, &a.Schedule} {
		if *l == nil {
			*l = []string{}
		}
	}
	return a
}
