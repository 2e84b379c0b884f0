package server

import (
	"context"
	"net/netip"
	"time"
)

// banSyncInterval is how often the server looks for bans added or removed
// by the CLI (another process); a change reaches it within this time.
const banSyncInterval = 500 * time.Millisecond

// syncBans makes the defender's ban table match the store's: bans the CLI
// added are applied (and end the banned source's sessions), bans it removed
// are lifted. It runs at start and whenever the store's ban version moves.
func (s *Server) syncBans(ctx context.Context) error {
	// The sync loop and Refresh (admin API) may run it at once.
	s.bansMu.Lock()
	defer s.bansMu.Unlock()
	version, err := s.store.BansVersion(ctx)
	if err != nil {
		return err
	}
	if version == s.bansVersion {
		return nil
	}
	stored, err := s.store.ListBans(ctx)
	if err != nil {
		return err
	}
	want := map[netip.Prefix]bool{}
	for _, sb := range stored {
		b, err := fromStoreBan(sb)
		if err != nil {
			s.logger.Warn("ignoring unreadable stored ban", "prefix", sb.Prefix, "err", err)
			continue
		}
		if !b.Until.IsZero() && !b.Until.After(s.now()) {
			continue
		}
		want[b.Prefix] = true
		if until, ok := s.activeBan(b.Prefix); ok && until.Equal(b.Until) {
			continue
		}
		s.defender.Ban(b)
		if s.bansVersion >= 0 {
			s.logger.Warn("address banned", "prefix", b.Prefix.String(), "reason", b.Reason,
				"level", b.Level, "until", formatUntil(b.Until), "manual", b.Manual)
			if b.Manual {
				s.obs.metrics.BanIssued("manual")
			}
		}
		s.closePrefix(b.Prefix)
	}
	for _, b := range s.defender.Bans() {
		if !want[b.Prefix] {
			s.defender.Unban(b.Prefix)
			s.logger.Info("address unbanned", "prefix", b.Prefix.String())
		}
	}
	s.bansVersion = version
	return nil
}

// activeBan returns the end of the defender's current ban of p.
func (s *Server) activeBan(p netip.Prefix) (time.Time, bool) {
	for _, b := range s.defender.Bans() {
		if b.Prefix == p {
			return b.Until, true
		}
	}
	return time.Time{}, false
}

// closePrefix ends every live session from inside p.
func (s *Server) closePrefix(p netip.Prefix) {
	n := s.engine.CloseSessions(func(remote netip.AddrPort, _ string) bool {
		return p.Contains(remote.Addr().Unmap())
	}, "Your address has been blocked")
	if n > 0 {
		s.logger.Info("sessions of a banned address closed", "prefix", p.String(), "count", n)
	}
}

func (s *Server) syncBansLoop() {
	t := time.NewTicker(banSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.syncBans(context.Background()); err != nil {
				s.logger.Warn("reading bans failed", "err", err)
			}
		case <-s.stop:
			return
		}
	}
}
