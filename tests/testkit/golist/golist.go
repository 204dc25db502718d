// Package golist lists, for tests, the packages a build links, as the go
// command resolves imports and build constraints (go list -deps).
package golist

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Deps returns the import paths pkg links when built with the build tags
// tags ("" for none), itself included. The test is skipped without a go
// command and fails when go list does.
func Deps(tb testing.TB, tags, pkg string) []string {
	tb.Helper()
	return strings.Fields(list(tb, tags, "{{.ImportPath}}", pkg))
}

// Graph is the import graph of a build: each package linked, with the
// packages it imports directly.
type Graph map[string][]string

// Imports returns the import graph of the packages pkgs link when built
// with the build tags tags ("" for none), the packages themselves
// included. The test is skipped without a go command and fails when go
// list does.
func Imports(tb testing.TB, tags string, pkgs ...string) Graph {
	tb.Helper()
	g := Graph{}
	for _, line := range strings.Split(list(tb, tags, "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", pkgs...), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			g[f[0]] = f[1:]
		}
	}
	return g
}

// Deps returns the packages from links, itself included, in g's
// breadth-first order from it (every package once).
func (g Graph) Deps(from string) []string {
	seen := map[string]bool{from: true}
	order := []string{from}
	for i := 0; i < len(order); i++ {
		for _, imp := range g[order[i]] {
			if !seen[imp] {
				seen[imp] = true
				order = append(order, imp)
			}
		}
	}
	return order
}

// Chain returns a shortest import chain from package from to package to
// ("from", ..., "to"), nil when from does not link to: what go mod why
// -m shows for a module, for one package of a build.
func (g Graph) Chain(from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append(chain, p)
			}
			slices.Reverse(chain)
			return chain
		}
		for _, imp := range g[p] {
			if _, seen := prev[imp]; !seen {
				prev[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// list runs go list -deps -f format with tags on pkgs.
func list(tb testing.TB, tags, format string, pkgs ...string) string {
	tb.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		tb.Skip("no go command:", err)
	}
	args := []string{"list", "-deps"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	out, err := exec.Command(gocmd, append(append(args, "-f", format), pkgs...)...).Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		tb.Fatalf("go %s %s: %v\n%s", strings.Join(args, " "), strings.Join(pkgs, " "), err, stderr)
	}
	return string(out)
}
