package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

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
	http *http.Server
	addr string
	done chan struct{}
}

func newAdminListener(srv *server.Server, st store.Store, metrics http.Handler, logger *slog.Logger) *adminListener {
	return &adminListener{srv: srv, store: st, metrics: metrics, logger: logger}
}

// start binds c.Listen ("" leaves the admin API off).
func (a *adminListener) start(c config.Admin) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	hs, addr, done, err := a.bind(c)
	if err != nil {
		return err
	}
	a.cfg, a.http, a.addr, a.done = c, hs, addr, done
	return nil
}

// bind listens on c.Listen and serves the API there.
func (a *adminListener) bind(c config.Admin) (*http.Server, string, chan struct{}, error) {
	if c.Listen == "" {
		a.logger.Warn("admin.listen is empty: the admin API, metrics and health checks are off")
		return nil, "", nil, nil
	}
	ln, err := admin.Listen(c, a.srv.CertificateConfig())
	if err != nil {
		return nil, "", nil, err
	}
	api := admin.New(admin.Options{
		Store:               a.store,
		Live:                a.srv,
		Logger:              a.logger,
		Metrics:             a.metrics,
		MetricsRequireToken: c.MetricsRequireToken,
		Ready:               a.srv.Ready,
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
	return hs, addr, done, nil
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
	hs, addr, done, err := a.bind(cfg.Admin)
	if err != nil {
		return err
	}
	a.closeLocked(context.Background())
	a.cfg, a.http, a.addr, a.done = cfg.Admin, hs, addr, done
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
	if a.http == nil {
		return
	}
	a.http.Shutdown(ctx)
	<-a.done
	a.http, a.addr, a.done = nil, "", nil
}
