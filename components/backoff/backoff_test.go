package backoff_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
)

// TestPoll: pauses double up to the maximum, the last cut to the bound;
// a condition met ends the wait (done), the bound ends it (not done), a
// failing condition and a canceled context end it with their error.
func TestPoll(t *testing.T) {
	b := backoff.Backoff{First: time.Second, Max: 4 * time.Second, Bound: 10 * time.Second}
	var pauses []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { pauses = append(pauses, d); return nil }
	calls := 0
	done, err := backoff.Poll(t.Context(), b, sleep, func(context.Context) (bool, error) { calls++; return calls == 3, nil })
	if !done || err != nil || !slices.Equal(pauses, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("met: %v %v %v", done, err, pauses)
	}
	pauses = nil
	done, err = backoff.Poll(t.Context(), b, sleep, func(context.Context) (bool, error) { return false, nil })
	if done || err != nil || !slices.Equal(pauses, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 3 * time.Second}) {
		t.Errorf("bound: %v %v %v", done, err, pauses)
	}
	boom := errors.New("boom")
	if _, err := backoff.Poll(t.Context(), b, sleep, func(context.Context) (bool, error) { return false, boom }); !errors.Is(err, boom) {
		t.Errorf("failing: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := backoff.Poll(ctx, b, nil, func(context.Context) (bool, error) { return false, nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	n := 0
	if !backoff.Until(t.Context(), backoff.Backoff{First: time.Millisecond, Max: time.Millisecond, Bound: time.Minute}, func() bool { n++; return n == 2 }) {
		t.Error("Until: not done")
	}
	if backoff.Until(t.Context(), backoff.Backoff{First: time.Millisecond, Max: time.Millisecond, Bound: time.Millisecond}, func() bool { return false }) {
		t.Error("Until: done past the bound")
	}
}
