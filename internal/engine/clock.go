package engine

import (
	"context"
	"sync"
	"time"
)

// Clock is the engine's source of time: Wait states, retry intervals and
// timeouts go through it.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// InstantClock is a clock for tests: Sleep advances its time by d and
// returns at once. It is safe for concurrent use.
type InstantClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewInstantClock returns an InstantClock set to start.
func NewInstantClock(start time.Time) *InstantClock { return &InstantClock{now: start} }

// Now returns the clock's time.
func (c *InstantClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the clock by d without sleeping.
func (c *InstantClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.mu.Lock()
		c.now = c.now.Add(d)
		c.mu.Unlock()
	}
	return nil
}

type clockKey struct{}

// ClockFrom returns the clock of the execution that called a Func, so a
// bound function can sleep or read the time through it (RealClock when ctx
// does not come from the engine).
func ClockFrom(ctx context.Context) Clock {
	if c, ok := ctx.Value(clockKey{}).(Clock); ok {
		return c
	}
	return RealClock{}
}
