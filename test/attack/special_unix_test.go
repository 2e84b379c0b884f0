//go:build unix

package attack

import (
	"net"
	"syscall"
	"testing"
)

// plantSpecial makes a FIFO and a Unix socket at the given host paths: a
// FIFO blocks whoever opens it without care, a socket cannot be read at
// all.
func plantSpecial(t *testing.T, fifo, sock string) {
	t.Helper()
	if err := syscall.Mkfifo(fifo, 0o640); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	// Closing the listener would remove the socket file.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
}
