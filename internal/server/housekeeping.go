package server

import (
	"context"
	"time"
)

// housekeepingInterval is how often the server removes records that have
// served their purpose.
const housekeepingInterval = time.Hour

// housekeep forgets the addresses a user last logged in from longer ago
// than defender.known_address_days: they no longer count as known, so
// keeping them would only grow the store.
func (s *Server) housekeep(ctx context.Context) {
	g, ok := s.auth.pipeline.Load().Guard.(*guard)
	if !ok || g == nil {
		return
	}
	before := s.now().AddDate(0, 0, -int(g.knownDays.Load()))
	n, err := s.store.ForgetKnownAddresses(ctx, before)
	switch {
	case err != nil:
		s.logger.Warn("forgetting old known addresses failed", "err", err)
	case n > 0:
		s.logger.Info("old known addresses forgotten", "count", n, "last_seen_before", before.UTC().Format(time.RFC3339))
	}
}

func (s *Server) housekeepingLoop() {
	s.housekeep(context.Background())
	t := time.NewTicker(housekeepingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.housekeep(context.Background())
		case <-s.stop:
			return
		}
	}
}
