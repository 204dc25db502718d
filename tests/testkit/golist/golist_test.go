package golist_test

import (
	"fmt"
	"reflect"
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

// TestImports: the graph lists each package's direct imports, Deps
// walks it as go list -deps does and Chain finds the import path to a
// package linked, none to one that is not.
func TestImports(t *testing.T) {
	const self = "github.com/peerpods/provisioner/tests/testkit/golist"
	g := golist.Imports(t, "", self)
	if !slices.Contains(g[self], "os/exec") || slices.Contains(g[self], "syscall") {
		t.Errorf("imports of %s: %v", self, g[self])
	}
	if deps, want := g.Deps(self), golist.Deps(t, "", self); !reflect.DeepEqual(sorted(deps), sorted(want)) {
		t.Errorf("graph deps %v\ngo list -deps %v", deps, want)
	}
	if chain := g.Chain(self, "syscall"); len(chain) < 3 || chain[0] != self || chain[len(chain)-1] != "syscall" || !slices.Contains(g[chain[0]], chain[1]) {
		t.Errorf("chain to syscall %v", chain)
	}
	if chain := g.Chain(self, self); !reflect.DeepEqual(chain, []string{self}) {
		t.Errorf("chain to itself %v", chain)
	}
	if chain := g.Chain(self, "net/http"); chain != nil {
		t.Errorf("chain to a package not linked %v", chain)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
