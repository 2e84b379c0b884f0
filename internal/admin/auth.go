package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

type tokenKey struct{}

// requireToken lets a request through only with a valid bearer token. The
// client learns only that it was refused; the log says why, with the
// client's address but never the token.
func (a *API) requireToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, reason := bearerToken(r)
		var t *store.AdminToken
		if reason == "" {
			var err error
			t, err = a.st.TokenByHash(r.Context(), HashToken(tok))
			switch {
			case errors.Is(err, store.ErrNotFound):
				reason = "unknown token"
			case err != nil:
				a.internalError(w, r, err)
				return
			case !t.ExpiresAt.IsZero() && !a.now().Before(t.ExpiresAt):
				reason = "expired token"
			}
		}
		if reason != "" {
			attrs := []any{"remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "reason", reason}
			if t != nil {
				attrs = append(attrs, "token", t.Name)
			}
			a.log.Warn("admin api: authentication failed", attrs...)
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, msgBadToken)
			return
		}
		if t.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
			a.log.Warn("admin api: change refused to a read-only token", "remote", r.RemoteAddr,
				"method", r.Method, "path", r.URL.Path, "token", t.Name)
			writeError(w, http.StatusForbidden, msgReadOnly)
			return
		}
		a.touch(r.Context(), t.Name)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t.Name)))
	})
}

// bearerToken returns the token of an "Authorization: Bearer" header, or
// why there is none.
func bearerToken(r *http.Request) (token, reason string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "no token"
	}
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", "not a bearer token"
	}
	return tok, ""
}

// maxTouched is how many tokens touch remembers before it forgets the
// ones whose last use was recorded long enough ago.
const maxTouched = 1024

// touch records a token's use, at most once per touchInterval per token.
func (a *API) touch(ctx context.Context, name string) {
	now := a.now()
	a.touchMu.Lock()
	last, seen := a.touched[name]
	due := !seen || now.Sub(last) >= touchInterval || now.Before(last)
	if due {
		a.touched[name] = now
		// Every command-line call makes a token of its own: forget the
		// ones not seen for a while so that the map stays small.
		if len(a.touched) > maxTouched {
			for n, at := range a.touched {
				if now.Sub(at) >= touchInterval {
					delete(a.touched, n)
				}
			}
		}
	}
	a.touchMu.Unlock()
	if !due {
		return
	}
	if err := a.st.TouchToken(ctx, name, now); err != nil && !errors.Is(err, store.ErrNotFound) {
		a.log.Warn("admin api: recording token use failed", "token", name, "err", err)
	}
}

// actor names who makes a change for the audit trail.
func actor(r *http.Request) string {
	name, _ := r.Context().Value(tokenKey{}).(string)
	return audit.TokenActor(name)
}
