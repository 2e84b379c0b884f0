package admin

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// defaultBanReason is the reason of a ban added without one, as on the
// command line.
const defaultBanReason = "manual"

// maxBanDuration keeps the end of a ban within what the store can hold.
const maxBanDuration = config.MaxSpan

func banEnded(b store.Ban, now time.Time) bool {
	return !b.Until.IsZero() && !b.Until.After(now)
}

// listBans answers the bans in force; ?all=true adds ended ones still
// stored.
func (a *API) listBans(w http.ResponseWriter, r *http.Request) {
	all := false
	if v := r.URL.Query().Get("all"); v != "" {
		var err error
		if all, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, "all: want true or false")
			return
		}
	}
	bans, err := a.st.ListBans(r.Context())
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	now := a.now()
	out := make([]*audit.BanView, 0, len(bans))
	for _, b := range sortBans(bans) {
		if all || !banEnded(b, now) {
			out = append(out, audit.Ban(b))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// sortBans orders bans by address, a network before the addresses inside.
func sortBans(bans []store.Ban) []store.Ban {
	slices.SortStableFunc(bans, func(x, y store.Ban) int {
		px, errx := netip.ParsePrefix(x.Prefix)
		py, erry := netip.ParsePrefix(y.Prefix)
		if errx != nil || erry != nil {
			return strings.Compare(x.Prefix, y.Prefix)
		}
		return cmp.Or(px.Addr().Compare(py.Addr()), cmp.Compare(px.Bits(), py.Bits()))
	})
	return bans
}

// banRequest is the body of POST /api/v1/bans.
type banRequest struct {
	Address  string  `json:"address"`
	Reason   string  `json:"reason"`
	Duration *string `json:"duration"`
}

func (a *API) addBan(w http.ResponseWriter, r *http.Request) {
	var req banRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.Address) == "" {
		writeError(w, http.StatusBadRequest, `field "address": required (an address such as "203.0.113.7" or a network such as "198.51.100.0/24")`)
		return
	}
	p, err := config.ParsePrefix(req.Address)
	if err != nil {
		writeError(w, http.StatusBadRequest, `field "address": `+err.Error())
		return
	}
	reason := strings.TrimSpace(req.Reason)
	if msg := checkReason(reason); msg != "" {
		writeError(w, http.StatusBadRequest, `field "reason": `+msg)
		return
	}
	if reason == "" {
		reason = defaultBanReason
	}
	var d time.Duration
	if req.Duration != nil {
		if d, err = parseBanDuration(*req.Duration); err != nil {
			writeError(w, http.StatusBadRequest, `field "duration": `+err.Error())
			return
		}
	}
	ctx, cancel := changeCtx(r)
	defer cancel()
	now := a.now()
	b := store.Ban{Prefix: p.String(), Reason: reason, First: now, Last: now, Level: 1, Manual: true}
	if d > 0 {
		b.Until = now.Add(d)
	}
	existing, err := a.st.ListBans(ctx)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	var before *audit.BanView
	for _, e := range existing {
		if e.Prefix == b.Prefix && !banEnded(e, now) {
			before = audit.Ban(e)
		}
	}
	if err := a.st.SaveBan(ctx, b); err != nil {
		a.internalError(w, r, err)
		return
	}
	after := audit.Ban(b)
	a.record(ctx, r, "ban.add", b.Prefix, before, after)
	a.refresh(ctx)
	writeJSON(w, http.StatusCreated, after)
}

func (a *API) deleteBan(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("prefix")
	p, err := config.ParsePrefix(raw)
	if err != nil || strings.TrimSpace(raw) != raw {
		writeError(w, http.StatusBadRequest, "not an IP address or CIDR prefix (write for example 203.0.113.7, 2001:db8::1 or 198.51.100.0/24)")
		return
	}
	ctx, cancel := changeCtx(r)
	defer cancel()
	bans, err := a.st.ListBans(ctx)
	if err != nil {
		a.internalError(w, r, err)
		return
	}
	i := slices.IndexFunc(bans, func(b store.Ban) bool { return b.Prefix == p.String() })
	if i < 0 {
		writeError(w, http.StatusNotFound, p.String()+" is not banned")
		return
	}
	if err := a.st.DeleteBan(ctx, p.String()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, p.String()+" is not banned")
			return
		}
		a.internalError(w, r, err)
		return
	}
	a.record(ctx, r, "ban.delete", p.String(), audit.Ban(bans[i]), nil)
	a.refresh(ctx)
	w.WriteHeader(http.StatusNoContent)
}

// parseBanDuration reads a ban's duration as the command line does (see
// config.ParseSpan); it must be longer than zero.
func parseBanDuration(s string) (time.Duration, error) {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	d, err := config.ParseSpan(s)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be longer than zero (leave out duration for a permanent ban)", s)
	}
	return d, nil
}
