// Package golist lists, for tests, the packages a build links, as the go
// command resolves imports and build constraints (go list -deps).
package golist

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Deps returns the import paths pkg links when built with the build tags
// tags ("" for none), itself included. The test is skipped without a go
// command and fails when go list does.
func Deps(tb testing.TB, tags, pkg string) []string {
	tb.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command:", err)
	}
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	out, err := exec.Command(gocmd, append(args, pkg)...).Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		tb.Fatalf("go %s %s: %v\n%s", strings.Join(args, " "), pkg, err, stderr)
	}
	return strings.Fields(string(out))
}
