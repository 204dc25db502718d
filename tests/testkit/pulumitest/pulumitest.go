// Package pulumitest runs Pulumi programs against the SDK's mock resource
// monitor and records the exact resource graph they register, for unit
// tests of components and of the program.
package pulumitest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"gopkg.in/yaml.v3"
)

// Project and Stack are the names mock runs use.
const (
	Project = "peerpods"
	Stack   = "test"
)

// Resource is one registered resource, as the engine saw it.
type Resource struct {
	URN          string
	Type         string
	Name         string
	Custom       bool
	Inputs       resource.PropertyMap
	Parent       string   // the parent's URN
	Provider     string   // provider reference "<urn>::<id>", custom resources
	Providers    []string // provider references, components
	Dependencies []string // URNs of explicit dependencies
	Retain       bool     // RetainOnDelete
	ImportID     string   // the Import option's ID
	Aliases      []string // the aliases' URNs, or their names where the SDK sends specs
	BeforeCreate []string // names of the before-create hooks
	// DeleteBeforeReplace and IgnoreChanges are the resource options.
	DeleteBeforeReplace bool
	IgnoreChanges       []string
	// Version is the Version resource option (the plugin version asked for).
	Version string
}

// Invoke is one function call a program made.
type Invoke struct {
	Token    string
	Args     resource.PropertyMap
	Provider string
}

// FakeFunc returns a resource's ID and the outputs to add to its inputs.
type FakeFunc func(name string, inputs resource.PropertyMap) (id string, outputs resource.PropertyMap)

// ReadFunc answers a resource Get of the resource with id: its state, or
// an error, as the engine's for a resource that does not exist.
type ReadFunc func(id string) (resource.PropertyMap, error)

// CallFunc answers an invoke.
type CallFunc func(args resource.PropertyMap) (resource.PropertyMap, error)

// Mocks is a pulumi.MockResourceMonitor that records what is registered.
// New resources get the ID "<name>-id" and their inputs as state; invokes
// are answered by Calls, an unexpected invoke fails the run.
type Mocks struct {
	Calls map[string]CallFunc
	// Fakes give resources of a type token the ID and outputs their
	// provider would; others get "<name>-id" and their inputs.
	Fakes map[string]FakeFunc
	// Reads answer a resource Get (ReadResource) of a type token; others
	// are answered as new resources are.
	Reads map[string]ReadFunc

	mu        sync.Mutex
	resources []Resource
	invokes   []Invoke
}

// NewResource implements pulumi.MockResourceMonitor.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Dependencies = rpc.GetDependencies()
		r.Retain = rpc.GetRetainOnDelete()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.ImportID = rpc.GetImportId()
		r.Version = rpc.GetVersion()
		r.Aliases = append(r.Aliases, rpc.GetAliasURNs()...)
		for _, a := range rpc.GetAliases() {
			if u := a.GetUrn(); u != "" {
				r.Aliases = append(r.Aliases, u)
			} else if spec := a.GetSpec(); spec != nil {
				r.Aliases = append(r.Aliases, spec.GetName())
			}
		}
		if h := rpc.GetHooks(); h != nil {
			r.BeforeCreate = h.GetBeforeCreate()
		}
		for _, ref := range rpc.GetProviders() {
			r.Providers = append(r.Providers, ref)
		}
		sort.Strings(r.Providers)
	}
	parentType := tokens.Type("")
	if r.Parent != "" {
		parentType = resource.URN(r.Parent).QualifiedType()
	}
	r.URN = string(resource.NewURN(tokens.QName(Stack), tokens.PackageName(Project), parentType, tokens.Type(r.Type), r.Name))
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	if f, ok := m.Reads[args.TypeToken]; ok && args.ReadRPC != nil {
		state, err := f(args.ID)
		return args.ID, state, err
	}
	if f, ok := m.Fakes[args.TypeToken]; ok {
		id, outs := f(args.Name, args.Inputs)
		state := args.Inputs.Copy()
		for k, v := range outs {
			state[k] = v
		}
		return id, state, nil
	}
	return args.Name + "-id", args.Inputs, nil
}

// Call implements pulumi.MockResourceMonitor.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Args: args.Args, Provider: args.Provider})
	m.mu.Unlock()
	if f, ok := m.Calls[args.Token]; ok {
		return f(args.Args)
	}
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

// Resources returns every registered resource, in registration order.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.resources)
}

// Invokes returns every invoke, in call order.
func (m *Mocks) Invokes() []Invoke {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.invokes)
}

// OfType returns the registered resources of type t, in registration order.
func (m *Mocks) OfType(t string) []Resource {
	var out []Resource
	for _, r := range m.Resources() {
		if r.Type == t {
			out = append(out, r)
		}
	}
	return out
}

// Get returns the resource of type t and name, failing the test if there is
// not exactly one.
func (m *Mocks) Get(tb testing.TB, t, name string) Resource {
	tb.Helper()
	var found []Resource
	for _, r := range m.OfType(t) {
		if r.Name == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("want one %s named %q, found %d; registered: %v", t, name, len(found), m.Summary())
	}
	return found[0]
}

// Summary lists "type name" of every registered resource, sorted.
func (m *Mocks) Summary() []string {
	var out []string
	for _, r := range m.Resources() {
		out = append(out, r.Type+" "+r.Name)
	}
	sort.Strings(out)
	return out
}

// Ref is the provider reference "<urn>::<id>" of a provider resource.
func (r Resource) Ref() string { return r.URN + "::" + r.Name + "-id" }

// Config is stack configuration for a mock run: "namespace:key" to value,
// objects as JSON, and the keys that are secret.
type Config struct {
	Values  map[string]string
	Secrets []string
}

// Run runs body against m with cfg as the stack configuration. As the
// engine does, it also gives the program a project directory (its root
// directory) whose stack file holds cfg's keys, so that a program that
// checks the stack file's keys sees them.
func Run(m *Mocks, cfg Config, body pulumi.RunFunc) error {
	root, err := projectDir(cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	return pulumi.RunErr(body, pulumi.WithMocks(Project, Stack, m), func(ri *pulumi.RunInfo) {
		ri.Config = cfg.Values
		ri.ConfigSecretKeys = cfg.Secrets
		ri.RootDirectory = root
	})
}

// projectDir writes a project directory for cfg: Pulumi.yaml and
// stacks/Pulumi.<Stack>.yaml with cfg's keys (secret ones as secure
// values, the others as plain strings).
func projectDir(cfg Config) (string, error) {
	root, err := os.MkdirTemp("", "pulumitest")
	if err != nil {
		return "", err
	}
	if err := os.Mkdir(filepath.Join(root, "stacks"), 0o700); err != nil {
		return "", err
	}
	project := "name: " + Project + "\nruntime: go\nstackConfigDir: stacks\n"
	stack := map[string]map[string]any{"config": {}}
	for k, v := range cfg.Values {
		if slices.Contains(cfg.Secrets, k) {
			stack["config"][k] = map[string]string{"secure": "AAABAA=="}
		} else {
			stack["config"][k] = v
		}
	}
	raw, err := yaml.Marshal(stack)
	if err != nil {
		return "", err
	}
	for name, content := range map[string][]byte{"Pulumi.yaml": []byte(project), filepath.Join("stacks", "Pulumi."+Stack+".yaml"): raw} {
		if err := os.WriteFile(filepath.Join(root, name), content, 0o600); err != nil {
			return "", err
		}
	}
	return root, nil
}

// Await resolves o (after the run) and reports its value and whether it is
// secret.
func Await(tb testing.TB, o pulumi.Output) (any, bool) {
	tb.Helper()
	r, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		tb.Fatalf("awaiting output: %v", err)
	}
	if !r.Known {
		tb.Fatalf("output is unknown")
	}
	return r.Value, r.Secret
}

// RequireInputError fails the test unless err holds exactly one
// *problems.InputError, on setting, whose message contains fix; with
// setting "", err must be nil.
func RequireInputError(tb testing.TB, err error, setting, fix string) {
	tb.Helper()
	if setting == "" {
		if err != nil {
			tb.Fatalf("want no error, got %v", err)
		}
		return
	}
	ies := problems.InputErrors(err)
	if len(ies) != 1 || ies[0].Setting != setting || !strings.Contains(ies[0].Error(), fix) {
		tb.Fatalf("want one error on %s mentioning %q, got %v", setting, fix, err)
	}
}
