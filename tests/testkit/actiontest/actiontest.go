// Package actiontest holds a cloud identity's rendered permissions to a
// written list: every action the list names, each with the
// cloud-api-adaptor calls that need it, cited by file and function of one
// CAA branch. A test fails on an action granted but not listed and on a
// listed action not granted.
package actiontest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// List is a cloud's written list of the actions its identity grants
// cloud-api-adaptor (a testdata file).
type List struct {
	// Source is the CAA repository and Branch the branch cited.
	Source string `json:"source"`
	Branch string `json:"branch"`
	// Actions are the actions, each once per role.
	Actions []Action `json:"actions"`
}

// Action is one granted action and why.
type Action struct {
	// Action is the cloud's action name (ec2:RunInstances,
	// Microsoft.Compute/virtualMachines/write).
	Action string `json:"action"`
	// Role names the role or policy that grants it, for clouds with more
	// than one; empty for one.
	Role string `json:"role,omitempty"`
	// When names the cases (a CAA setting such as USE_PUBLIC_IP, or a
	// cloud's own name for a case) in any of which the action is
	// granted; empty when it always is.
	When []string `json:"when,omitempty"`
	// Uses are the calls that need it.
	Uses []Use `json:"uses"`
}

// Use is a CAA call that needs an action: the file, the function and the
// call in it.
type Use struct {
	File     string `json:"file"`
	Function string `json:"function"`
	Call     string `json:"call"`
}

// Read reads and checks a list: known fields only, a source and branch,
// and every action named once per role with at least one use, each use
// with a file under src/, a function and a call.
func Read(t testing.TB, path string) List {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var l List
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := l.check(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

func (l List) check() error {
	if l.Source == "" || l.Branch == "" || len(l.Actions) == 0 {
		return fmt.Errorf("source %q, branch %q, %d actions", l.Source, l.Branch, len(l.Actions))
	}
	seen := map[string]bool{}
	for _, a := range l.Actions {
		k := a.Role + " " + a.Action
		if a.Action == "" || seen[k] {
			return fmt.Errorf("action %q of role %q is empty or listed twice", a.Action, a.Role)
		}
		seen[k] = true
		if len(a.Uses) == 0 {
			return fmt.Errorf("%s: no use", k)
		}
		for _, u := range a.Uses {
			if !strings.HasPrefix(u.File, "src/") || u.Function == "" || u.Call == "" {
				return fmt.Errorf("%s: use %+v does not name a file under src/, a function and a call", k, u)
			}
		}
	}
	return nil
}

// Want are the actions of role granted in the cases on, sorted.
func (l List) Want(role string, on ...string) []string {
	var out []string
	for _, a := range l.Actions {
		if a.Role == role && (len(a.When) == 0 || slices.ContainsFunc(a.When, func(w string) bool { return slices.Contains(on, w) })) {
			out = append(out, a.Action)
		}
	}
	slices.Sort(out)
	return out
}

// Roles are the roles the list names, sorted.
func (l List) Roles() []string {
	var out []string
	for _, a := range l.Actions {
		if !slices.Contains(out, a.Role) {
			out = append(out, a.Role)
		}
	}
	slices.Sort(out)
	return out
}

// Diff compares granted actions with the wanted ones: the actions granted
// but not wanted, and those wanted but not granted, each sorted and
// without repeats.
func Diff(granted, want []string) (unlisted, missing []string) {
	g := slices.Compact(slices.Sorted(slices.Values(granted)))
	for _, a := range g {
		if !slices.Contains(want, a) {
			unlisted = append(unlisted, a)
		}
	}
	for _, a := range want {
		if !slices.Contains(g, a) && !slices.Contains(missing, a) {
			missing = append(missing, a)
		}
	}
	return unlisted, missing
}

// Check fails t when granted differs from the wanted actions, naming
// what, of whom.
func Check(t testing.TB, who string, granted, want []string) {
	t.Helper()
	unlisted, missing := Diff(granted, want)
	if len(unlisted) > 0 {
		t.Errorf("%s grants %v, which the written list does not name", who, unlisted)
	}
	if len(missing) > 0 {
		t.Errorf("%s does not grant %v, which the written list names", who, missing)
	}
}
