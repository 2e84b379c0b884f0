package ftptest

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// Event is one call of Server.Events.
type Event struct {
	Remote netip.AddrPort
	Event  ftp.Event
}

// Events records what a Server reports: set Server.Events to its Record
// method. It is safe for concurrent use.
type Events struct {
	mu   sync.Mutex
	list []Event
}

// Record is the function to use as Server.Events.
func (e *Events) Record(remote netip.AddrPort, ev ftp.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, Event{remote, ev})
}

// All returns the events seen so far, in order.
func (e *Events) All() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.list...)
}

// Count returns how many times ev was seen.
func (e *Events) Count(ev ftp.Event) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, r := range e.list {
		if r.Event == ev {
			n++
		}
	}
	return n
}

// Wait polls until ev has been seen n times, failing the test after 10
// seconds, or at once if it was seen more often.
func (e *Events) Wait(t testing.TB, ev ftp.Event, n int) {
	t.Helper()
	deadline := time.Now().Add(defaultTimeout)
	for {
		got := e.Count(ev)
		switch {
		case got > n:
			t.Fatalf("ftptest: %s seen %d times, want %d", ev, got, n)
		case got == n:
			return
		case time.Now().After(deadline):
			t.Fatalf("ftptest: %s seen %d times after %v, want %d", ev, got, defaultTimeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
