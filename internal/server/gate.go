package server

import (
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/bulwark-ftp/bulwark/internal/defender"
	"github.com/bulwark-ftp/bulwark/internal/metrics"
)

// gate is the first thing a connection meets, before TLS or any reply:
// the server's IP rules, bans and blocklist, then the total and
// per-address connection caps. It is
// all in memory and cheap, so that a flood from banned addresses costs the
// server next to nothing.
type gate struct {
	// limits are the server IP rules, refusal reply and caps; a reload
	// replaces them (see gateLimits).
	limits  atomic.Pointer[gateLimits]
	def     *defender.Defender
	onLimit func(addr netip.Addr)
	// metrics counts admissions and refusals; nil counts nothing.
	metrics *metrics.Metrics

	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int
}

func newGate(def *defender.Defender, lim *gateLimits, onLimit func(netip.Addr)) *gate {
	g := &gate{def: def, onLimit: onLimit, perIP: map[netip.Addr]int{}}
	g.limits.Store(lim)
	return g
}

func (g *gate) Admit(remote netip.AddrPort) (bool, string) {
	addr := remote.Addr().Unmap()
	lim := g.limits.Load()
	if !serverIPAllowed(lim.serverIP, addr) {
		g.metrics.ConnRefused(metrics.RefusedServerRule)
		return false, lim.reply
	}
	if g.def != nil {
		if b, banned := g.def.Banned(addr); banned {
			if b.Reason == defender.ReasonBlocklist {
				g.metrics.ConnRefused(metrics.RefusedBlocklisted)
			} else {
				g.metrics.ConnRefused(metrics.RefusedBanned)
			}
			return false, lim.reply
		}
	}
	g.mu.Lock()
	over := ""
	switch {
	case lim.maxAll > 0 && g.total >= lim.maxAll:
		over = metrics.RefusedMaxConnections
	case lim.maxPerIP > 0 && g.perIP[addr] >= lim.maxPerIP:
		over = metrics.RefusedMaxConnectionsPerIP
	}
	if over != "" {
		g.mu.Unlock()
		g.metrics.ConnRefused(over)
		if g.onLimit != nil {
			g.onLimit(addr)
		}
		// RFC 959 §4.2.2: 421, service not available. Said even when
		// bans close silently: a legitimate client over its cap
		// deserves to know why.
		return false, "421 Too many connections; try again later"
	}
	g.total++
	g.perIP[addr]++
	g.mu.Unlock()
	g.metrics.ConnAccepted()
	return true, ""
}

func (g *gate) Done(remote netip.AddrPort) {
	addr := remote.Addr().Unmap()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.perIP[addr]--; g.perIP[addr] <= 0 {
		delete(g.perIP, addr)
	}
}
