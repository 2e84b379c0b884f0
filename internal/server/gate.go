package server

import (
	"net/netip"
	"sync"

	"github.com/bulwark-ftp/bulwark/internal/access"
	"github.com/bulwark-ftp/bulwark/internal/defender"
)

// gate is the first thing a connection meets, before TLS or any reply:
// the server's IP rules, bans and blocklist, then the total and
// per-address connection caps. It is
// all in memory and cheap, so that a flood from banned addresses costs the
// server next to nothing.
type gate struct {
	// serverIP holds the server-level allow and deny lists.
	serverIP access.IPRules
	def      *defender.Defender
	reply    string
	maxAll   int
	maxPerIP int
	onLimit  func(addr netip.Addr)

	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int
}

func newGate(def *defender.Defender, reply string, maxAll, maxPerIP int, onLimit func(netip.Addr)) *gate {
	return &gate{def: def, reply: reply, maxAll: maxAll, maxPerIP: maxPerIP, onLimit: onLimit, perIP: map[netip.Addr]int{}}
}

func (g *gate) Admit(remote netip.AddrPort) (bool, string) {
	addr := remote.Addr().Unmap()
	if !serverIPAllowed(g.serverIP, addr) {
		return false, g.reply
	}
	if g.def != nil {
		if _, banned := g.def.Banned(addr); banned {
			return false, g.reply
		}
	}
	g.mu.Lock()
	if (g.maxAll > 0 && g.total >= g.maxAll) || (g.maxPerIP > 0 && g.perIP[addr] >= g.maxPerIP) {
		g.mu.Unlock()
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
