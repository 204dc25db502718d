// Package backoff is the one way this project waits for something: poll
// with exponential back-off, bounded, the context ending the wait.
package backoff

import (
	"context"
	"time"
)

// Backoff bounds a wait: the first pause, the longest, and the whole wait.
type Backoff struct {
	First, Max, Bound time.Duration
}

// Poll calls cond until it is done, it fails, or b.Bound has passed (then
// done is false), pausing b.First, then twice as long each time up to
// b.Max, the last pause cut to the bound. sleep pauses (nil: a timer that
// ctx ends, whose end ends the wait with ctx's error).
func Poll(ctx context.Context, b Backoff, sleep func(context.Context, time.Duration) error, cond func(context.Context) (bool, error)) (done bool, err error) {
	if sleep == nil {
		sleep = Sleep
	}
	start := time.Now()
	pause := b.First
	// waited counts the pauses too, so a sleep that does not take real
	// time (a test's) still reaches the bound.
	var waited time.Duration
	for {
		if done, err = cond(ctx); err != nil || done {
			return done, err
		}
		left := b.Bound - max(time.Since(start), waited)
		if left <= 0 {
			return false, nil
		}
		d := min(pause, left)
		if err := sleep(ctx, d); err != nil {
			return false, err
		}
		waited += d
		pause = min(2*pause, b.Max)
	}
}

// Until is Poll with a condition that cannot fail and the default sleep:
// for tests and simple waits. It reports whether cond held in time.
func Until(ctx context.Context, b Backoff, cond func() bool) bool {
	done, _ := Poll(ctx, b, nil, func(context.Context) (bool, error) { return cond(), nil })
	return done
}

// Sleep waits d, or until ctx ends (its error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
