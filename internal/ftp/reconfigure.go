package ftp

import "errors"

// Reconfigure replaces the settings of a running (or not yet started)
// server with the exported fields of next, checked as Serve checks them and
// with the same defaults. next is only read, never served, and may be
// reused or dropped afterwards.
//
// The new settings apply to what starts after Reconfigure returns: the
// accept loops ask the new Gate and log with the new Logger, and every
// connection accepted from then on gets the new TLS configuration, TLS
// policy, passive ports, timeouts, banner, line limit, Authenticator and so
// on, all as one. Sessions already open keep the settings they started
// with to their end, their TLS state and running transfers included, so
// that no client notices. Listeners stay open; to move one, serve the new
// listener and then call CloseListener on the old one.
//
// On error nothing changes. Reconfigure refuses settings under which no
// client could log in, and a nil TLSConfig while an implicit FTPS listener
// is served.
func (srv *Server) Reconfigure(next *Server) error {
	if next == nil {
		return errors.New("ftp: Reconfigure: no settings")
	}
	srv.init()
	c := next.newConfig()
	if err := c.check(); err != nil {
		return err
	}
	// Held across the store so that no implicit listener starts between
	// the look and the swap (ServeImplicitTLS's own test aside, which
	// handleConn backs up).
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if c.tls == nil {
		for _, implicit := range srv.listeners {
			if implicit {
				return errors.New("ftp: Reconfigure: an implicit FTPS listener needs a TLSConfig")
			}
		}
	}
	srv.cfg.Store(c)
	return nil
}
