// Package ftptest helps test the FTP engine and what is built on it: a
// server on a loopback port, a self-signed certificate, a file system in a
// directory, a fixed set of users, and a client for scripted dialogues on
// the control connection.
package ftptest

import (
	"errors"
	"net"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// NewServer serves srv (plain FTP and explicit FTPS) on a new port of
// 127.0.0.1 and returns its address. srv is closed when the test ends.
func NewServer(t testing.TB, srv *ftp.Server) string {
	t.Helper()
	return serve(t, srv, srv.Serve)
}

// NewImplicitServer serves srv with implicit TLS on a new port of
// 127.0.0.1 and returns its address. It may be used on the same srv as
// NewServer.
func NewImplicitServer(t testing.TB, srv *ftp.Server) string {
	t.Helper()
	return serve(t, srv, srv.ServeImplicitTLS)
}

func serve(t testing.TB, srv *ftp.Server, fn func(net.Listener) error) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ftptest: listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- fn(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil && !errors.Is(err, ftp.ErrServerClosed) {
			t.Errorf("ftptest: serve returned %v", err)
		}
	})
	return l.Addr().String()
}
