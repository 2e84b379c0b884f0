package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// Ten thousand failed logins waiting out their delay hold nobody else up:
// a good login completes while all of them are still waiting.
func TestDelayedFailuresBlockOnlyThemselves(t *testing.T) {
	f := newFixture(t)
	// The cheapest hashing there is: this test is about waiting, not
	// hashing, and runs ten thousand logins (under a name that is never
	// looked up in the store, for the same reason).
	f.p.Hasher = &password.Hasher{Params: password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}
	f.addUser(t, &user.User{Name: "alice"}, "Right-Pass-42x")
	const n = 10_000
	var waiting atomic.Int64
	release := make(chan struct{})
	allWaiting := make(chan struct{})
	f.p.Sleep = func(ctx context.Context, _ time.Duration) error {
		if waiting.Add(1) == n {
			close(allWaiting)
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.p.Login(context.Background(), attempt("mallory!", "guess"))
		}()
	}
	<-allWaiting
	if _, err := f.p.Login(context.Background(), attempt("alice", "Right-Pass-42x")); err != nil {
		t.Fatalf("good login while %d failures wait: %v", n, err)
	}
	close(release)
	wg.Wait()
}
