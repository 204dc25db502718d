package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRun checks the module's checked-in SDK, which is what the generator
// makes, and fails on a bad argument.
func TestRun(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-check"}, &out, &errs); code != 0 {
		t.Errorf("-check: exit %d\n%s%s", code, out.String(), errs.String())
	}
	if code := run([]string{"-check", "extra"}, &out, &errs); code != 1 || !strings.HasPrefix(errs.String(), "sdkgen: ") {
		t.Errorf("an extra argument: exit %d, %q", code, errs.String())
	}
}
