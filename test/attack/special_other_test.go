//go:build !unix

package attack

import "testing"

// plantSpecial does nothing where FIFOs and Unix sockets do not exist.
func plantSpecial(t *testing.T, fifo, sock string) {}
