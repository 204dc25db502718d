package caatest

import (
	"errors"
	"testing"
)

// recorder is a testing.TB that records a Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, a ...any) {
	r.failed = format
}

// TestMust: an error fails the test, saying what failed; nil does not.
func TestMust(t *testing.T) {
	r := &recorder{TB: t}
	must(r, nil, "nothing")
	if r.failed != "" {
		t.Error("nil failed the test")
	}
	must(r, errors.New("boom"), "creating %s", "x")
	if r.failed == "" {
		t.Error("an error did not fail the test")
	}
}
