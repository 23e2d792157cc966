//go:build !linux || !amd64

package ebpf

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/strata-dev/strata/locate"
)

// Options configure a [Collector].
type Options struct {
	Logger      *slog.Logger
	LongSyscall time.Duration
	FollowForks bool
	MaxEvents   int
}

// DefaultMaxEvents is the default cap on the events a Collector keeps.
const DefaultMaxEvents = 20_000_000

// Stats is what a Collector has counted so far.
type Stats struct{ Events, Lost, Missed, Dropped uint64 }

// Collector is not available on this platform.
type Collector struct{}

// New fails: the BPF object is built for linux/amd64 only.
func New(ctx context.Context, opts Options) (*Collector, error) {
	return nil, fmt.Errorf("%w: the eBPF collector is built for linux/amd64", locate.ErrNotSupported)
}

// Add is not available.
func (c *Collector) Add(pid int) error { return locate.ErrNotSupported }

// ForksOf is not available.
func (c *Collector) ForksOf(pid int) (func(), error) { return nil, locate.ErrNotSupported }

// Stats is not available.
func (c *Collector) Stats() Stats { return Stats{} }

// Stop is not available.
func (c *Collector) Stop() (*locate.Recording, error) { return nil, locate.ErrNotSupported }
