package admin

import (
	"context"
	"net/http"
)

func (a *API) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 503 with the reason Ready gives; Ready's error text is
// meant for the client (plain words such as "store unavailable").
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	if a.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := a.ready(ctx); err != nil {
			a.log.Warn("admin api: not ready", "err", err)
			writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (a *API) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if a.metrics == nil {
		writeError(w, http.StatusNotFound, "metrics are not enabled")
		return
	}
	// The metrics handler sets its own content type.
	w.Header().Del("Content-Type")
	a.metrics.ServeHTTP(w, r)
}
