package golist_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/golist"
)

func TestDeps(t *testing.T) {
	deps := golist.Deps(t, "", "github.com/peerpods/provisioner/tests/testkit/golist")
	if !slices.Contains(deps, "os/exec") || !slices.Contains(deps, "github.com/peerpods/provisioner/tests/testkit/golist") {
		t.Errorf("deps %v", deps)
	}
	if tagged := golist.Deps(t, "peerpods_clouds,aws", "github.com/peerpods/provisioner/stacks"); slices.Contains(tagged, "github.com/peerpods/provisioner/gcp") {
		t.Error("the tags were not passed to go list")
	}
}

// fatal records a Fatalf and ends its goroutine, as testing.T does.
type fatal struct {
	testing.TB
	msg string
}

func (f *fatal) Helper() {}
func (f *fatal) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestDepsFails: a package go list cannot load fails the test with go's
// own message.
func TestDepsFails(t *testing.T) {
	f := &fatal{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		golist.Deps(f, "", "github.com/peerpods/provisioner/no/such/package")
	}()
	<-done
	if !strings.Contains(f.msg, "go list -deps github.com/peerpods/provisioner/no/such/package") || !strings.Contains(f.msg, "no/such/package") {
		t.Errorf("Fatalf %q", f.msg)
	}
}
