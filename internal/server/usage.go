package server

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// usageCounter is the live usage of one home or share, shared by every
// session that writes there. It is the authority while the server runs;
// the store gets a copy at every flush so that `bulwark user show` can
// report it.
type usageCounter struct {
	kind, name string

	mu    sync.Mutex
	usage user.Usage
	dirty bool
}

// add applies a delta. A growth that would pass limits is refused whole,
// so concurrent uploads can never overshoot a quota together.
func (c *usageCounter) add(bytes, files int64, limits user.Limits) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	nb, nf := c.usage.Bytes+bytes, c.usage.Files+files
	if bytes > 0 && limits.MaxBytes > 0 && nb > limits.MaxBytes {
		return quotaError(fmt.Sprintf("Quota exceeded: storage limit of %s reached", formatBytes(limits.MaxBytes)))
	}
	if files > 0 && limits.MaxFiles > 0 && nf > limits.MaxFiles {
		return quotaError(fmt.Sprintf("Quota exceeded: limit of %d files reached", limits.MaxFiles))
	}
	c.usage.Bytes, c.usage.Files = max(nb, 0), max(nf, 0)
	c.dirty = true
	return nil
}

func (c *usageCounter) get() user.Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage
}

// quotaError is the 552 reply of RFC 959 §4.2.2 ("exceeded storage
// allocation").
func quotaError(text string) error {
	return &vfs.PublicError{Code: 552, Text: text, Err: fs.ErrPermission}
}

// meterView is one grantee's view of a counter: the home's counter with the
// user's limits, or a share's counter with the limits of the grant that
// mounted it.
type meterView struct {
	c      *usageCounter
	limits func() user.Limits
}

func (m meterView) Add(bytes, files int64) error { return m.c.add(bytes, files, m.limits()) }
func (m meterView) Limits() user.Limits          { return m.limits() }
func (m meterView) Usage() user.Usage            { return m.c.get() }

// usageBook holds the counters of every home and share in use.
type usageBook struct {
	store  store.Store
	logger *slog.Logger

	mu       sync.Mutex
	counters map[string]*usageCounter // by kind + ":" + lower-case name
}

func newUsageBook(st store.Store, logger *slog.Logger) *usageBook {
	return &usageBook{store: st, logger: logger, counters: map[string]*usageCounter{}}
}

// counter returns the counter of a home or share, loading its usage from
// the store or, when it was never counted, by walking dir once.
func (b *usageBook) counter(ctx context.Context, kind, name, dir string) (*usageCounter, error) {
	key := kind + ":" + lowerName(name)
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.counters[key]; ok {
		return c, nil
	}
	u, err := b.store.GetUsage(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	c := &usageCounter{kind: kind, name: name, usage: u}
	if !u.Known {
		counted, err := vfs.CountUsage(dir)
		if err != nil {
			return nil, fmt.Errorf("counting usage of %s %q: %w", kind, name, err)
		}
		counted.Known = true
		c.usage, c.dirty = counted, true
		b.logger.Info("usage counted", "kind", kind, "name", name, "bytes", counted.Bytes, "files", counted.Files)
	}
	b.counters[key] = c
	return c, nil
}

// flush writes changed counters to the store.
func (b *usageBook) flush(ctx context.Context) {
	b.mu.Lock()
	counters := make([]*usageCounter, 0, len(b.counters))
	for _, c := range b.counters {
		counters = append(counters, c)
	}
	b.mu.Unlock()
	for _, c := range counters {
		c.mu.Lock()
		u, dirty := c.usage, c.dirty
		c.dirty = false
		c.mu.Unlock()
		if !dirty {
			continue
		}
		if err := b.store.SetUsage(ctx, c.kind, c.name, u); err != nil {
			b.logger.Warn("saving usage failed", "kind", c.kind, "name", c.name, "err", err)
			c.mu.Lock()
			c.dirty = true
			c.mu.Unlock()
		}
	}
}

// formatBytes renders n for people: "10 GiB", "512 B".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := fmt.Sprintf("%.1f", v)
	if v == float64(int64(v)) {
		s = fmt.Sprintf("%d", int64(v))
	}
	return s + " " + string("KMGTPE"[exp]) + "iB"
}
