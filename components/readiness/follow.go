package readiness

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
)

// DefaultBackoff polls the cluster after 2 s, doubling up to 30 s (set
// its Bound).
var DefaultBackoff = backoff.Backoff{First: 2 * time.Second, Max: 30 * time.Second}

// Follow reads the facts until every one holds, one fails, or b.Bound has
// passed (then ended is false), pausing between reads as backoff.Poll
// does. Each fact whose line changed since the last read is written to
// progress as it is read. sleep pauses (nil: a timer that ctx ends); a
// read error ends the follow.
func Follow(ctx context.Context, read func(context.Context) (Report, error), b backoff.Backoff, progress io.Writer, sleep func(context.Context, time.Duration) error) (r Report, ended bool, err error) {
	seen := map[string]string{}
	ended, err = backoff.Poll(ctx, b, sleep, func(ctx context.Context) (bool, error) {
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
