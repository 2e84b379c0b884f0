package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/admin"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// adminListener runs the admin API (and /metrics, /healthz, /readyz) on its
// own listener for serve, and moves it when a reload changes [admin].
type adminListener struct {
	srv     *server.Server
	store   store.Store
	metrics http.Handler
	logger  *slog.Logger

	mu   sync.Mutex
	cfg  config.Admin
	ln   net.Listener // bound by listen, not served yet
	http *http.Server
	addr string
	done chan struct{}
}

func newAdminListener(srv *server.Server, st store.Store, metrics http.Handler, logger *slog.Logger) *adminListener {
	return &adminListener{srv: srv, store: st, metrics: metrics, logger: logger}
}

// listen binds c.Listen ("" leaves the admin API off) without serving
// yet, so that it can be bound before root is given up and serve after.
func (a *adminListener) listen(c config.Admin) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	ln, err := a.bind(c)
	if err != nil {
		return err
	}
	a.cfg, a.ln = c, ln
	return nil
}

// serve starts serving what listen bound.
func (a *adminListener) serve() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln != nil {
		a.serveLocked(a.cfg, a.ln)
		a.ln = nil
	}
}

// bind listens on c.Listen; nil when the API is off.
func (a *adminListener) bind(c config.Admin) (net.Listener, error) {
	if c.Listen == "" {
		a.logger.Warn("admin.listen is empty: the admin API, metrics and health checks are off")
		return nil, nil
	}
	return admin.Listen(c, a.srv.CertificateConfig())
}

// serveLocked serves the API on ln.
func (a *adminListener) serveLocked(c config.Admin, ln net.Listener) {
	api := admin.New(admin.Options{
		Store:               a.store,
		Live:                a.srv,
		Logger:              a.logger,
		Metrics:             a.metrics,
		MetricsRequireToken: c.MetricsRequireToken,
		Ready:               a.srv.Ready,
		Passwords:           a.srv.Passwords(),
	})
	hs := admin.NewHTTPServer(api, a.logger)
	done := make(chan struct{})
	addr := ln.Addr().String()
	if p, ok := c.UnixSocket(); ok {
		addr = "unix:" + p
	}
	scheme := "http"
	if !c.Loopback() {
		scheme = "https"
	}
	if !c.MetricsRequireToken {
		a.logger.Warn("admin.metrics_require_token is false: anyone who reaches the admin listener may read /metrics")
	}
	a.logger.Info("admin API listening", "addr", addr, "scheme", scheme)
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("admin API stopped", "addr", addr, "err", err)
		}
	}()
	a.http, a.addr, a.done = hs, addr, done
}

// reload moves the API when [admin] changed: the new listener is bound
// before the old one is closed, so a failure leaves the old one serving.
func (a *adminListener) reload(_, cfg *config.Config) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cfg.Admin == a.cfg {
		return nil
	}
	if cfg.Admin.Listen == a.cfg.Listen && a.cfg.Listen != "" {
		// Same address, other settings: rebuilding in place would need the
		// address twice, so close first and bind again.
		a.closeLocked(context.Background())
	}
	ln, err := a.bind(cfg.Admin)
	if err != nil {
		return err
	}
	a.closeLocked(context.Background())
	a.cfg = cfg.Admin
	if ln != nil {
		a.serveLocked(cfg.Admin, ln)
	}
	return nil
}

// Addr is the bound address ("" when off).
func (a *adminListener) Addr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addr
}

func (a *adminListener) shutdown(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closeLocked(ctx)
}

func (a *adminListener) closeLocked(ctx context.Context) {
	if a.ln != nil { // bound, never served
		a.ln.Close()
		a.ln = nil
	}
	if a.http == nil {
		return
	}
	// Requests under way may finish, for a while: a client that stalls
	// must not hold up a reload or the shutdown.
	ctx, cancel := context.WithTimeout(ctx, adminDrainTimeout)
	defer cancel()
	if err := a.http.Shutdown(ctx); err != nil {
		a.http.Close()
	}
	<-a.done
	a.http, a.addr, a.done = nil, "", nil
}

// adminDrainTimeout bounds how long a moved or stopped admin listener waits
// for the requests under way.
const adminDrainTimeout = 5 * time.Second
