package readiness

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Backoff bounds a Follow: the first pause, the longest, and the whole
// wait.
type Backoff struct {
	First, Max, Bound time.Duration
}

// DefaultBackoff polls after 2 s, doubling up to 30 s.
var DefaultBackoff = Backoff{First: 2 * time.Second, Max: 30 * time.Second}

// Follow reads the facts until every one holds, one fails, or b.Bound has
// passed (then ended is false), pausing between reads with Poll's
// back-off. Each fact whose line changed since the last read is written
// to progress as it is read. sleep pauses (nil: a timer that ctx ends);
// a read error ends the follow.
func Follow(ctx context.Context, read func(context.Context) (Report, error), b Backoff, progress io.Writer, sleep func(context.Context, time.Duration) error) (r Report, ended bool, err error) {
	seen := map[string]string{}
	ended, err = Poll(ctx, b, sleep, func(ctx context.Context) (bool, error) {
		var err error
		if r, err = read(ctx); err != nil {
			return false, err
		}
		for _, f := range r {
			if line := f.Line(); seen[f.Name] != line {
				seen[f.Name] = line
				fmt.Fprintf(progress, "  %s\n", line)
			}
		}
		return r.Done() || r.Failed(), nil
	})
	return r, ended, err
}

// Poll calls cond until it is done, it fails, or b.Bound has passed (then
// done is false), pausing b.First, then twice as long each time up to
// b.Max, the last pause cut to the bound. sleep pauses (nil: a timer that
// ctx ends).
func Poll(ctx context.Context, b Backoff, sleep func(context.Context, time.Duration) error, cond func(context.Context) (bool, error)) (done bool, err error) {
	if sleep == nil {
		sleep = timer
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

// timer waits d, or until ctx ends.
func timer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
