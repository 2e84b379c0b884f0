package ftp

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// socketPending returns a function that reports whether bytes are waiting
// in c's receive queue, or nil if c cannot tell.
func socketPending(c syscall.Conn) func() bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	return func() bool {
		n, ierr := 0, error(nil)
		cerr := rc.Control(func(fd uintptr) {
			n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
		})
		return cerr == nil && ierr == nil && n > 0
	}
}
