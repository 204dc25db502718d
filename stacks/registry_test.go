package stacks_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
)

// TestRegistry holds every registered cloud to what the program, the
// tests and the documentation need of it: a cloud of the operator
// contract, registered by its own stacks/cloud_<name>.go (the file the
// Makefile's coverage list and the build tags go by) and served by the
// plugin's cmd/pulumi-resource-peerpods/plugin/cloud_<name>.go, example stacks of
// that cloud that deploy on the cloud's own mocks alone, a Stack that
// decodes from a JSON object, and a page docs/<name>.md, linked from
// README.md's quick start, naming each example stack file. A cloud added
// with any of these missing fails here.
func TestRegistry(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(stacktest.StacksDir(t), "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range stacks.Clouds() {
		name := string(c.Name())
		t.Run(name, func(t *testing.T) {
			if _, ok := contract.For(c.Name()); !ok {
				t.Errorf("%s has no key set in the operator contract (components/contract)", name)
			}
			file := filepath.Join(stacktest.StacksDir(t), "cloud_"+name+".go")
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("the registry line of %s: %v", name, err)
			}
			if want := "//go:build !peerpods_clouds || " + name + "\n"; !strings.HasPrefix(string(src), want) {
				t.Errorf("%s does not start with %q", file, want)
			}
			// The plugin serves the cloud's component from its own file
			// under the same constraint, without linking this package.
			served := filepath.Join(stacktest.StacksDir(t), "..", "cmd", "pulumi-resource-peerpods", "plugin", "cloud_"+name+".go")
			if src, err := os.ReadFile(served); err != nil || !strings.HasPrefix(string(src), "//go:build !peerpods_clouds || "+name+"\n") {
				t.Errorf("%s is missing or does not start with the cloud's build constraint (%v)", served, err)
			}
			if st := reflect.TypeOf(c.NewStack()); st.Kind() != reflect.Pointer || st.Elem().Kind() != reflect.Struct {
				t.Errorf("NewStack gives %s, not a pointer to a struct the JSON object decodes into", st)
			}
			page, err := os.ReadFile(filepath.Join(stacktest.StacksDir(t), "..", "docs", name+".md"))
			if err != nil {
				t.Errorf("the cloud has no page: %v", err)
			}
			heading := regexp.MustCompile(`(?mi)\A# ` + regexp.QuoteMeta(name) + `\n`)
			if !heading.Match(page) {
				t.Errorf("docs/%s.md does not start with %q", name, "# "+name)
			}
			if !strings.Contains(string(readme), "](docs/"+name+".md)") {
				t.Errorf("README.md does not link docs/%s.md", name)
			}
			if len(c.Examples()) == 0 {
				t.Fatalf("%s has no example stack", name)
			}
			for _, stack := range c.Examples() {
				if !strings.Contains(string(page), "stacks/Pulumi."+stack+".yaml") {
					t.Errorf("docs/%s.md does not mention stacks/Pulumi.%s.yaml", name, stack)
				}
				cfg := stacktest.StackConfig(t, stack)
				if got := cfg["peerpods:cloud"]; got != name {
					t.Errorf("stacks/Pulumi.%s.yaml sets peerpods:cloud %q", stack, got)
				}
				stacktest.Fixup(t, stack, cfg)
				run := pulumitest.Config{Values: cfg}
				run.Values["peerpods:kubeconfig"] = stacktest.Kubeconfig
				run.Secrets = append(run.Secrets, "peerpods:kubeconfig")
				for k, v := range stacktest.MocksFor(c.Name()).Secrets {
					run.Values[k] = v
					run.Secrets = append(run.Secrets, k)
				}
				if _, _, err := stacktest.DeployOn(t, stacktest.MocksOf(c), run); err != nil {
					t.Errorf("stacks/Pulumi.%s.yaml on the %s mocks alone: %v", stack, name, err)
				}
			}
		})
	}
}

// TestEveryStackFileIsOfARegisteredCloud: every stack file in stacks/ is
// of a registered cloud, and every one whose handoff goes to a cluster is
// one of its cloud's examples (so that the contract tests run it).
func TestEveryStackFileIsOfARegisteredCloud(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(stacktest.StacksDir(t), "Pulumi.*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no stack files: %v", err)
	}
	examples := stacktest.ExampleStacks()
	for _, f := range files {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		cfg := stacktest.StackConfig(t, stack)
		if _, ok := stacks.CloudNamed(contract.Cloud(cfg["peerpods:cloud"])); !ok {
			t.Errorf("%s: peerpods:cloud %q is not a registered cloud", f, cfg["peerpods:cloud"])
		}
		if cfg["peerpods:handoff"] != string(handoff.ModeOff) && !slices.Contains(examples, stack) {
			t.Errorf("%s hands off to a cluster but is not among its cloud's Examples", f)
		}
	}
}
