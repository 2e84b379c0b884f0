package vfs

// Bandwidth limits.
//
// A user's limiters are shared by all of the user's sessions, so the rate
// is a per-user total. Streams wait for tokens in chunks no larger than the
// limiter's burst (WaitN refuses more). Closing a download or ending an
// upload cancels a wait in progress.

import (
	"context"
	"io"
	"io/fs"

	"golang.org/x/time/rate"
)

// throttle paces one stream with a shared limiter.
type throttle struct {
	lim    *rate.Limiter
	ctx    context.Context
	cancel context.CancelFunc
}

// newThrottle returns nil when lim does not limit anything.
func newThrottle(lim *rate.Limiter) *throttle {
	if lim == nil || lim.Limit() == rate.Inf {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &throttle{lim: lim, ctx: ctx, cancel: cancel}
}

// chunk bounds a piece of n bytes by the burst (at least one byte, so a
// misconfigured burst fails in WaitN instead of looping).
func (t *throttle) chunk(n int) int {
	return max(1, min(n, t.lim.Burst()))
}

// wait blocks until n bytes (n <= burst) may pass.
func (t *throttle) wait(n int) error {
	if err := t.lim.WaitN(t.ctx, n); err != nil {
		if t.ctx.Err() != nil {
			return fs.ErrClosed
		}
		return err
	}
	return nil
}

func (t *throttle) stop() {
	if t != nil {
		t.cancel()
	}
}

// throttledReader paces a download. It deliberately has no WriteTo, so
// that io.Copy reads through it chunk by chunk.
type throttledReader struct {
	r  io.ReadCloser
	th *throttle
}

func (r *throttledReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return r.r.Read(p)
	}
	n, err := r.r.Read(p[:r.th.chunk(len(p))])
	if n > 0 {
		if werr := r.th.wait(n); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (r *throttledReader) Close() error {
	r.th.stop()
	return r.r.Close()
}
