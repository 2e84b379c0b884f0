package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

// AuditEntry is one audit entry as the API (and `bulwark audit list
// --json`) shows it; Before and After are the JSON objects the
// trail holds, or null.
type AuditEntry struct {
	ID     int64           `json:"id"`
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Target string          `json:"target"`
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// embedded returns a stored state as JSON to embed: null for none, and a
// JSON string for text that is not JSON (never written by Bulwark, but the
// answer must stay valid).
func embedded(s string) json.RawMessage {
	switch {
	case s == "":
		return json.RawMessage("null")
	case json.Valid([]byte(s)):
		return json.RawMessage(s)
	default:
		b, _ := json.Marshal(s)
		return b
	}
}

// listAudit answers the audit trail: ?since= (RFC 3339) keeps entries at
// or after it, ?limit= the newest N (default 100).
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, `since: want an RFC 3339 time such as "2030-01-31T00:00:00Z"`)
			return
		}
		since = t
	}
	limit := defaultAuditMax
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit: want a whole number from 1 to %d", maxAuditLimit))
			return
		}
		limit = n
	}
	entries, err := a.st.ListAudit(r.Context(), since, limit)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	out := make([]AuditEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, AuditEntryOf(e))
	}
	writeJSON(w, http.StatusOK, out)
}

// AuditEntryOf returns the JSON form of a stored entry.
func AuditEntryOf(e store.AuditEntry) AuditEntry {
	return AuditEntry{ID: e.ID, Time: e.Time.UTC(), Actor: e.Actor, Action: e.Action,
		Target: e.Target, Before: embedded(e.Before), After: embedded(e.After)}
}
