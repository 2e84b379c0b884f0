package admin

import (
	"net/http"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

func (a *API) status(w http.ResponseWriter, _ *http.Request) {
	st := a.live.Status()
	for _, s := range a.live.Sessions() {
		st.Sessions++
		if s.User != "" {
			st.LoggedIn++
		}
		if s.Transferring {
			st.Transfers++
		}
	}
	if st.Listeners == nil {
		st.Listeners = []string{}
	}
	if !st.Started.IsZero() {
		st.UptimeSeconds = max(0, a.now().Sub(st.Started).Seconds())
	}
	writeJSON(w, http.StatusOK, st)
}

// Session is what the API shows of an open session.
type Session struct {
	ID         string    `json:"id"`
	User       string    `json:"user"`
	Remote     string    `json:"remote"`
	TLS        bool      `json:"tls"`
	TLSVersion string    `json:"tls_version"`
	TLSCipher  string    `json:"tls_cipher"`
	Started    time.Time `json:"started"`
	Transfer   *Transfer `json:"transfer"`
}

// Transfer is a session's running transfer.
type Transfer struct {
	Command string    `json:"command"`
	Path    string    `json:"path"`
	Bytes   int64     `json:"bytes"`
	Started time.Time `json:"started"`
	// Rate is the average since the transfer started.
	Rate float64 `json:"rate_bytes_per_second"`
}

func (a *API) sessionOf(s ftp.SessionInfo, now time.Time) Session {
	v := Session{ID: s.ID, User: s.User, Remote: s.Remote.String(), TLS: s.TLS,
		TLSVersion: s.TLSVersion, TLSCipher: s.TLSCipher, Started: s.Started.UTC()}
	if s.Transferring {
		t := &Transfer{Command: s.TransferVerb, Path: s.TransferPath, Bytes: s.TransferBytes,
			Started: s.TransferStarted.UTC()}
		if secs := now.Sub(s.TransferStarted).Seconds(); secs > 0 {
			t.Rate = float64(s.TransferBytes) / secs
		}
		v.Transfer = t
	}
	return v
}

func (a *API) listSessions(w http.ResponseWriter, _ *http.Request) {
	now := a.now()
	list := a.live.Sessions()
	out := make([]Session, 0, len(list))
	for _, s := range list {
		out = append(out, a.sessionOf(s, now))
	}
	writeJSON(w, http.StatusOK, out)
}

// defaultKillReason is what a client whose session an administrator
// closes is told.
const defaultKillReason = "Session closed by the administrator"

const maxReasonLen = 200

func (a *API) killSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validSessionID(id) {
		writeError(w, http.StatusBadRequest, "invalid session id")
		return
	}
	reason := strings.TrimSpace(r.URL.Query().Get("reason"))
	if msg := checkReason(reason); msg != "" {
		writeError(w, http.StatusBadRequest, "reason: "+msg)
		return
	}
	if reason == "" {
		reason = defaultKillReason
	}
	var before *Session
	for _, s := range a.live.Sessions() {
		if s.ID == id {
			v := a.sessionOf(s, a.now())
			before = &v
			break
		}
	}
	if before == nil || !a.live.CloseSession(id, reason) {
		writeError(w, http.StatusNotFound, "session "+id+" not found")
		return
	}
	ctx, cancel := changeCtx(r)
	defer cancel()
	a.record(ctx, r, "session.kill", id, before, nil)
	w.WriteHeader(http.StatusNoContent)
}

// validSessionID accepts what the server makes (hex) and a little more,
// but nothing that could smuggle text into logs.
func validSessionID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// checkReason says what is wrong with a free-text reason, or "".
func checkReason(s string) string {
	if len(s) > maxReasonLen {
		return "longer than 200 characters"
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "must be one line of text"
	}
	return ""
}
