package server_test

import (
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

type rawConn struct {
	t *testing.T
	c *ftptest.Client
}

// rawLogin opens a scripted control connection over TLS and logs in.
func rawLogin(t *testing.T, e *servertest.Env, name, pass string) *rawConn {
	t.Helper()
	c := ftptest.Dial(t, e.Explicit())
	c.UpgradeTLS(servertest.ClientTLS())
	c.Login(name, pass)
	return &rawConn{t: t, c: c}
}

// mlst returns the fact line of an MLST reply (RFC 3659 §7.2: the entry is
// the one line between the 250- and 250 lines, starting with a space).
func (r *rawConn) mlst(name string) string {
	r.t.Helper()
	text := r.c.Expect("MLST "+name, 250)
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, " ") {
			return strings.TrimSpace(l)
		}
	}
	r.t.Fatalf("no fact line in MLST reply %q", text)
	return ""
}

// factValue extracts one fact ("perm") from a fact line.
func factValue(line, fact string) string {
	facts, _, _ := strings.Cut(line, " ")
	for _, f := range strings.Split(facts, ";") {
		k, v, ok := strings.Cut(f, "=")
		if ok && strings.EqualFold(k, fact) {
			return v
		}
	}
	return ""
}
