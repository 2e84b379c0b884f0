package ftp

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"time"
)

// The Gate is asked in the accept loop itself, not in a goroutine per
// connection: during a flood from banned addresses every refused
// connection then costs one Admit call, at most one small write and a
// close, and no goroutine, stack or timer is left behind. The price is
// that Admit must be quick; Bulwark's Gate is an in-memory lookup.

const (
	// refuseWriteTimeout bounds the write of a refusal line. The socket is
	// new and its send buffer empty, so the write does not wait in
	// practice; the deadline only guards against the impossible.
	refuseWriteTimeout = 100 * time.Millisecond
	// maxRefuseReply bounds the refusal line a Gate may ask for.
	maxRefuseReply = 512
)

// refuseLine is a refusal reply rendered once, with its CRLF.
type refuseLine struct {
	text string
	line []byte
}

// admit asks the Gate about a new connection and refuses it on the spot
// when the Gate says no. It reports whether a session may start.
func (srv *Server) admit(cfg *config, conn net.Conn) bool {
	g := cfg.gate
	if g == nil {
		return true
	}
	remote := addrPortOf(conn.RemoteAddr())
	ok, reply := srv.askGate(g, remote)
	if ok {
		return true
	}
	srv.refuse(conn, reply)
	if l := cfg.logger; l.Enabled(context.Background(), slog.LevelDebug) {
		l.Debug("connection refused by gate", "client", remote.Addr().String())
	}
	return false
}

// askGate calls Admit. A panicking Gate refuses the connection (without a
// reply) rather than stopping the accept loop.
func (srv *Server) askGate(g Gate, remote netip.AddrPort) (ok bool, reply string) {
	defer func() {
		if r := recover(); r != nil {
			srv.panics.Add(1)
			srv.settings().logger.Error("panic recovered", "in", "gate", "client", remote.Addr().String(),
				"panic", r, "stack", string(debug.Stack()))
			ok, reply = false, ""
		}
	}()
	return g.Admit(remote)
}

// refuse closes a connection the Gate refused, after writing reply as one
// line when it is not empty.
func (srv *Server) refuse(conn net.Conn, reply string) {
	if reply != "" {
		conn.SetWriteDeadline(time.Now().Add(refuseWriteTimeout))
		conn.Write(srv.refuseLineFor(reply))
	}
	conn.Close()
}

// refuseLineFor renders reply as one CRLF-terminated line. The last line
// rendered is kept, since a Gate refuses with the same words every time.
func (srv *Server) refuseLineFor(reply string) []byte {
	if rl := srv.lastRefuse.Load(); rl != nil && rl.text == reply {
		return rl.line
	}
	text := sanitizeText(reply)
	if len(text) > maxRefuseReply {
		text = text[:maxRefuseReply]
	}
	rl := &refuseLine{text: reply, line: []byte(text + "\r\n")}
	srv.lastRefuse.Store(rl)
	return rl.line
}
