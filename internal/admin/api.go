// Package admin is the HTTP/JSON admin API: live sessions, accounts, shares,
// bans and the audit trail, plus health checks and Prometheus metrics, on a
// listener of its own. Every change it makes is written to the audit trail
// and applied to the running server at once.
package admin

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// Live is the running server as the API sees it.
type Live interface {
	Sessions() []ftp.SessionInfo
	CloseSession(id, reason string) bool
	// Refresh makes the server act on store changes at once: re-read users, rights and
	// bans and close the sessions they no longer allow (disabled or deleted users,
	// revoked shares, banned addresses).
	Refresh(ctx context.Context)
	Status() Status
}

// Status is what GET /api/v1/status answers.
type Status struct {
	Version    string    `json:"version"`
	Started    time.Time `json:"started"`
	Listeners  []string  `json:"listeners"`
	BansActive int       `json:"bans_active"`
	// filled by the API from Live.Sessions():
	Sessions      int     `json:"sessions"`
	LoggedIn      int     `json:"logged_in"`
	Transfers     int     `json:"transfers"`
	UptimeSeconds float64 `json:"uptime_seconds"`
}

// Options configure New.
type Options struct {
	Store               store.Store
	Live                Live
	Logger              *slog.Logger     // nil discards
	Now                 func() time.Time // nil: time.Now
	Metrics             http.Handler     // nil: /metrics answers 404
	MetricsRequireToken bool
	Ready               func(ctx context.Context) error // nil: always ready
	// Passwords checks new passwords as the server does; nil: creating
	// users and setting passwords answer 501.
	Passwords Passwords
}

// Route is one entry of the API's route table.
type Route struct {
	Method string
	// Pattern is a net/http pattern path such as "/api/v1/users/{name}".
	Pattern string
	// Auth says the route needs a bearer token.
	Auth bool
}

// API serves the admin API; it is an http.Handler safe for concurrent use.
type API struct {
	st      store.Store
	live    Live
	log     *slog.Logger
	now     func() time.Time
	metrics http.Handler
	ready   func(ctx context.Context) error
	// passwords is nil when the server gave none.
	passwords Passwords

	routes []route
	mux    *http.ServeMux

	// touched remembers when each token's use was last recorded, so that
	// a busy client does not write to the store on every request.
	touchMu sync.Mutex
	touched map[string]time.Time
}

type route struct {
	Route
	handle http.HandlerFunc
}

// Limits and defaults of the API.
const (
	maxBodyBytes    = 64 << 10
	touchInterval   = time.Minute
	changeTimeout   = 30 * time.Second
	readyTimeout    = 5 * time.Second
	defaultAuditMax = 100
	maxAuditLimit   = 10000
)

// New returns the API over o.Store and o.Live. A nil Live is a server
// without sessions.
func New(o Options) *API {
	a := &API{
		st: o.Store, live: o.Live, log: o.Logger, now: o.Now, metrics: o.Metrics, ready: o.Ready,
		passwords: o.Passwords,
		touched:   make(map[string]time.Time),
	}
	if a.live == nil {
		a.live = noLive{}
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.routes = []route{
		{Route{"GET", "/healthz", false}, a.healthz},
		{Route{"GET", "/readyz", false}, a.readyz},
		{Route{"GET", "/metrics", o.MetricsRequireToken}, a.serveMetrics},
		{Route{"GET", "/api/v1/status", true}, a.status},
		{Route{"GET", "/api/v1/sessions", true}, a.listSessions},
		{Route{"DELETE", "/api/v1/sessions/{id}", true}, a.killSession},
		{Route{"GET", "/api/v1/users", true}, a.listUsers},
		{Route{"POST", "/api/v1/users", true}, a.createUser},
		{Route{"GET", "/api/v1/users/{name}", true}, a.getUser},
		{Route{"PATCH", "/api/v1/users/{name}", true}, a.patchUser},
		{Route{"DELETE", "/api/v1/users/{name}", true}, a.deleteUser},
		{Route{"PUT", "/api/v1/users/{name}/password", true}, a.setPassword},
		{Route{"GET", "/api/v1/groups", true}, a.listGroups},
		{Route{"GET", "/api/v1/groups/{name}", true}, a.getGroup},
		{Route{"GET", "/api/v1/shares", true}, a.listShares},
		{Route{"GET", "/api/v1/shares/{name}", true}, a.getShare},
		{Route{"DELETE", "/api/v1/shares/{name}", true}, a.deleteShare},
		{Route{"DELETE", "/api/v1/shares/{name}/grants", true}, a.revokeGrants},
		{Route{"GET", "/api/v1/bans", true}, a.listBans},
		{Route{"POST", "/api/v1/bans", true}, a.addBan},
		{Route{"DELETE", "/api/v1/bans/{prefix...}", true}, a.deleteBan},
		{Route{"GET", "/api/v1/audit", true}, a.listAudit},
	}
	a.mux = http.NewServeMux()
	for _, rt := range a.routes {
		h := http.Handler(rt.handle)
		if rt.Auth {
			h = a.requireToken(h)
		}
		a.mux.Handle(rt.Method+" "+rt.Pattern, h)
	}
	return a
}

// Routes returns the route table.
func (a *API) Routes() []Route {
	out := make([]Route, 0, len(a.routes))
	for _, rt := range a.routes {
		out = append(out, rt.Route)
	}
	return out
}

// ServeHTTP answers one request. A panic in a handler is logged and
// answered with 500; the mux's own 404 and 405 answers are given in JSON.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &statusWriter{ResponseWriter: w}
	defer a.recoverPanic(rw, r)
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	h, pattern := a.mux.Handler(r)
	if pattern == "" {
		// Not one of our routes: let the mux choose 404, 405 (with its
		// Allow header) or a redirect to the clean path, in JSON.
		h.ServeHTTP(&muxErrorWriter{ResponseWriter: rw}, r)
		return
	}
	a.mux.ServeHTTP(rw, r)
}

func (a *API) recoverPanic(w *statusWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	a.log.Error("admin api: panic", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "panic", v)
	if !w.wrote {
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// noLive stands for a server without sessions.
type noLive struct{}

func (noLive) Sessions() []ftp.SessionInfo      { return nil }
func (noLive) CloseSession(string, string) bool { return false }
func (noLive) Refresh(context.Context)          {}
func (noLive) Status() Status                   { return Status{} }

// changeCtx is the context of a change: it outlives a client that hangs up
// half-way, so that a change made is also audited and applied.
func changeCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), changeTimeout)
}

// refresh tells the running server to act on a change at once.
func (a *API) refresh(ctx context.Context) { a.live.Refresh(ctx) }
