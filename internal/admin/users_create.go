package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Passwords checks and hashes new passwords, and gives the settings of new
// accounts, the way the running server and the command line do. The API
// builds no policy of its own, so that it can never accept a password the
// server would refuse, or the other way round.
type Passwords interface {
	// Defaults are the server's settings for what a request about the
	// account named name leaves out.
	Defaults(name string) Defaults
	// Prepare checks pw against the password policy in force for u (the
	// server's, with the overrides of u's groups: the strictest wins) and
	// returns the hash to store and how many earlier hashes the policy
	// keeps. A refusal is a *password.PolicyError whose reasons may be
	// shown to the client. Like `bulwark user passwd`, it does not look at
	// the history or the minimum age: an administrator may set any
	// password the policy allows.
	Prepare(ctx context.Context, u *user.User, pw string) (hash string, keepHistory int, err error)
	// Generate returns a new random password that passes the policy for u.
	Generate(ctx context.Context, u *user.User) (string, error)
	// CreateHome creates the absolute directory dir and its parents when
	// missing, with the mode `bulwark user add` gives a home.
	CreateHome(dir string) error
}

// Defaults are what `bulwark user add` and `bulwark user passwd` use
// when they are not told otherwise.
type Defaults struct {
	// Home is a new user's home directory: absolute.
	Home string
	// Perms are a new user's own rules.
	Perms user.Rules
	// ChangeAtFirstLogin is password_policy.change_at_first_login.
	ChangeAtFirstLogin bool
	// ChangeAfterReset is password_policy.change_after_reset.
	ChangeAfterReset bool
	// NameRefused, when not empty, says in plain words why no account may
	// have the name.
	NameRefused string
}

// Limits of a new account's fields.
const (
	maxHomeLen   = 4096
	maxListItems = 256
)

// newUserRequest is the body of POST /api/v1/users. Pointers tell a field
// left out from one given as false, "" or [].
type newUserRequest struct {
	Name               string    `json:"name"`
	Password           *string   `json:"password"`
	GeneratePassword   bool      `json:"generate_password"`
	Home               *string   `json:"home"`
	Groups             []string  `json:"groups"`
	Perms              *[]string `json:"perms"`
	MustChangePassword *bool     `json:"must_change_password"`
	Comment            *string   `json:"comment"`
	RequireTLS         bool      `json:"require_tls"`
}

// passwordRequest is the body of PUT /api/v1/users/{name}/password.
type passwordRequest struct {
	Password           *string `json:"password"`
	GeneratePassword   bool    `json:"generate_password"`
	MustChangePassword *bool   `json:"must_change_password"`
}

// newPasswordAnswer is what both routes answer: the user, and a generated
// password, shown this once and stored nowhere.
type newPasswordAnswer struct {
	User     *audit.UserView `json:"user"`
	Password string          `json:"password,omitempty"`
}

// requestError is a request the API refuses, with the status to answer.
type requestError struct {
	code int
	msg  string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// passwordSource checks that exactly one way of setting the password was
// given, and that a given password could be typed at an FTP client.
func passwordSource(pw *string, generate bool) error {
	switch {
	case pw != nil && generate:
		return badRequest(`give either "password" or "generate_password": true, not both`)
	case pw == nil && !generate:
		return badRequest(`give a "password", or "generate_password": true`)
	case pw == nil:
		return nil
	case *pw == "":
		return badRequest(`field "password": empty`)
	case utf8.RuneCountInString(*pw) > password.MaxLengthLimit:
		// Refused before the policy: its strength estimate is costly on
		// very long input.
		return badRequest(`field "password": longer than %d characters`, password.MaxLengthLimit)
	case strings.ContainsAny(*pw, "\x00\r\n"):
		return badRequest(`field "password": must not hold line breaks or NUL, which no FTP client can send`)
	}
	return nil
}

// newPassword returns the hash of the password req gives for u, or of a
// generated one, which it also returns.
func (a *API) newPassword(ctx context.Context, u *user.User, pw *string) (hash string, keep int, generated string, err error) {
	plain := ""
	if pw != nil {
		plain = *pw
	} else {
		if generated, err = a.passwords.Generate(ctx, u); err != nil {
			return "", 0, "", err
		}
		plain = generated
	}
	hash, keep, err = a.passwords.Prepare(ctx, u, plain)
	var pe *password.PolicyError
	if errors.As(err, &pe) {
		return "", 0, "", badRequest("password refused: %s", strings.Join(pe.Failures, "; "))
	}
	return hash, keep, generated, err
}

// answerRefusal answers err: a refusal with its own status, anything else
// with 500.
func (a *API) answerRefusal(w http.ResponseWriter, r *http.Request, err error) {
	var re *requestError
	if errors.As(err, &re) {
		writeError(w, re.code, re.msg)
		return
	}
	a.internalError(w, r, err)
}

// passwordsOff answers 501 when the server gave the API no way to check
// passwords.
func (a *API) passwordsOff(w http.ResponseWriter) bool {
	if a.passwords != nil {
		return false
	}
	writeError(w, http.StatusNotImplemented, "creating users and setting passwords is not available on this server")
	return true
}

// checkHome reads a home directory given by the client.
func checkHome(home string) (string, error) {
	switch {
	case home == "":
		return "", badRequest(`field "home": empty (leave it out for the default home)`)
	case len(home) > maxHomeLen:
		return "", badRequest(`field "home": longer than %d bytes`, maxHomeLen)
	case strings.ContainsFunc(home, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", badRequest(`field "home": control characters are not allowed`)
	case !filepath.IsAbs(home):
		return "", badRequest(`field "home": must be an absolute path on the server`)
	}
	return filepath.Clean(home), nil
}

// parsePerms reads rules in the form "/PATH=RIGHTS", one per path.
func parsePerms(list []string) (user.Rules, error) {
	if len(list) > maxListItems {
		return nil, badRequest(`field "perms": more than %d rules`, maxListItems)
	}
	rules := user.Rules{}
	for _, s := range list {
		rule, err := user.ParsePathRule(s)
		if err != nil {
			return nil, badRequest(`field "perms": %s`, strings.TrimPrefix(err.Error(), user.ErrInvalidRights.Error()+": "))
		}
		if _, dup := rules.Lookup(rule.Path); dup {
			return nil, badRequest(`field "perms": two rules for %s`, rule.Path)
		}
		rules = rules.Set(rule)
	}
	return rules, nil
}

// loadGroups returns the groups names names, under the spelling they were
// created with and sorted as the command line sorts them.
func (a *API) loadGroups(ctx context.Context, names []string) ([]string, error) {
	if len(names) > maxListItems {
		return nil, badRequest(`field "groups": more than %d groups`, maxListItems)
	}
	var out []string
	for _, name := range names {
		if msg := nameProblem(name); msg != "" {
			return nil, badRequest(`field "groups": invalid group name: %s`, msg)
		}
		if slices.ContainsFunc(out, func(g string) bool { return strings.EqualFold(g, name) }) {
			continue
		}
		g, err := a.st.GetGroup(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil, badRequest(`field "groups": group %q not found`, name)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g.Name)
	}
	slices.SortFunc(out, func(x, y string) int { return strings.Compare(strings.ToLower(x), strings.ToLower(y)) })
	return out, nil
}

// homeError says why a home directory could not be made, without the
// host's error text.
func homeError(err error) error {
	why := "the server's log says why"
	switch {
	case errors.Is(err, fs.ErrPermission):
		why = "permission denied"
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, fs.ErrExist):
		why = "it or one of its parents is not a directory"
	}
	return badRequest(`field "home": the directory cannot be created: %s`, why)
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) {
	if a.passwordsOff(w) {
		return
	}
	var req newUserRequest
	if !decodeBody(w, r, &req) {
		return
	}
	ctx, cancel := changeCtx(r)
	defer cancel()
	u, generated, err := a.newUser(ctx, req)
	var hf *homeFailure
	switch {
	case errors.As(err, &hf) && req.Home != nil:
		// A home the client chose: the answer names the field, the log
		// gives the host's reason.
		a.log.Warn("admin api: home directory not created", "user", req.Name, "err", hf.err)
		a.answerRefusal(w, r, homeError(hf.err))
		return
	case err != nil:
		a.answerRefusal(w, r, err)
		return
	}
	view := userView(u)
	a.record(ctx, r, "user.create", u.Name, nil, view)
	a.refresh(ctx)
	w.Header().Set("Location", "/api/v1/users/"+url.PathEscape(u.Name))
	writeJSON(w, http.StatusCreated, newPasswordAnswer{User: view, Password: generated})
}

// homeFailure is a home directory that could not be created.
type homeFailure struct{ err error }

func (e *homeFailure) Error() string { return "home directory: " + e.err.Error() }
func (e *homeFailure) Unwrap() error { return e.err }

// newUser checks req and stores the user it describes, with its home
// directory made. Nothing is stored when it fails.
func (a *API) newUser(ctx context.Context, req newUserRequest) (*user.User, string, error) {
	if msg := nameProblem(req.Name); msg != "" {
		return nil, "", badRequest(`field "name": invalid user name: %s`, msg)
	}
	if err := passwordSource(req.Password, req.GeneratePassword); err != nil {
		return nil, "", err
	}
	u := &user.User{Name: req.Name, RequireTLS: req.RequireTLS}
	if req.Comment != nil {
		// The same checks as PATCH.
		if err := (userPatch{Comment: req.Comment}).apply(u); err != nil {
			return nil, "", badRequest("%s", err.Error())
		}
	}
	var err error
	if req.Home != nil {
		if u.Home, err = checkHome(*req.Home); err != nil {
			return nil, "", err
		}
	}
	if req.Perms != nil {
		if u.Perms, err = parsePerms(*req.Perms); err != nil {
			return nil, "", err
		}
	}
	def := a.passwords.Defaults(req.Name)
	if def.NameRefused != "" {
		return nil, "", badRequest(`field "name": %s`, def.NameRefused)
	}
	if _, err := a.st.GetUser(ctx, u.Name); err == nil {
		return nil, "", &requestError{code: http.StatusConflict, msg: fmt.Sprintf("user %q already exists", u.Name)}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	// The groups decide the password policy: they come first.
	if u.Groups, err = a.loadGroups(ctx, req.Groups); err != nil {
		return nil, "", err
	}
	if req.Perms == nil {
		u.Perms = def.Perms
	}
	if u.Home == "" {
		u.Home = def.Home
	}
	u.MustChangePassword = def.ChangeAtFirstLogin
	if req.MustChangePassword != nil {
		u.MustChangePassword = *req.MustChangePassword
	}
	hash, _, generated, err := a.newPassword(ctx, u, req.Password)
	if err != nil {
		return nil, "", err
	}
	u.PasswordHash = hash
	u.PasswordChangedAt = a.now()
	if err := a.passwords.CreateHome(u.Home); err != nil {
		return nil, "", &homeFailure{err: err}
	}
	if err := a.st.CreateUser(ctx, u); err != nil {
		switch {
		case errors.Is(err, store.ErrExists):
			return nil, "", &requestError{code: http.StatusConflict, msg: fmt.Sprintf("user %q already exists", u.Name)}
		case errors.Is(err, store.ErrNotFound):
			return nil, "", &requestError{code: http.StatusConflict, msg: `field "groups": a group was deleted meanwhile; try again`}
		}
		return nil, "", err
	}
	return u, generated, nil
}

func (a *API) setPassword(w http.ResponseWriter, r *http.Request) {
	if a.passwordsOff(w) {
		return
	}
	if _, ok := pathName(w, r, "user"); !ok {
		return
	}
	var req passwordRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if err := passwordSource(req.Password, req.GeneratePassword); err != nil {
		a.answerRefusal(w, r, err)
		return
	}
	ctx, cancel := changeCtx(r)
	defer cancel()
	u, ok := a.loadUser(ctx, w, r)
	if !ok {
		return
	}
	hash, keep, generated, err := a.newPassword(ctx, u, req.Password)
	if err != nil {
		a.answerRefusal(w, r, err)
		return
	}
	mustChange := a.passwords.Defaults(u.Name).ChangeAfterReset
	if req.MustChangePassword != nil {
		mustChange = *req.MustChangePassword
	}
	if err := a.st.SetPassword(ctx, u.Name, hash, a.now(), mustChange, keep); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("user %q not found", u.Name))
			return
		}
		a.internalError(w, r, err)
		return
	}
	// As `bulwark user passwd`: the trail says that the password changed,
	// never what to.
	a.record(ctx, r, "user.password", u.Name, nil, audit.PasswordChanged)
	a.refresh(ctx)
	after, err := a.st.GetUser(ctx, u.Name)
	if err != nil {
		// Changed, but deleted since: say what was done.
		u.PasswordChangedAt, u.MustChangePassword = a.now(), mustChange
		after = u
	}
	writeJSON(w, http.StatusOK, newPasswordAnswer{User: userView(after), Password: generated})
}
