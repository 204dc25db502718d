// Package e2eenv reads the environment the end-to-end backends set up
// (hack/backends/env.sh, sourced by make e2e): a missing variable fails the
// test, it never skips it.
package e2eenv

import (
	"os"
	"testing"
)

// Require returns the value of key, failing the test when it is unset.
func Require(tb testing.TB, key string) string {
	tb.Helper()
	v := os.Getenv(key)
	if v == "" {
		tb.Fatalf("%s is not set: run the end-to-end tests with make e2e (it starts the backends of hack/backends and sources hack/backends/env.sh)", key)
	}
	return v
}
