// Package sdkgen generates the Go SDK of the peerpods provider plugin
// (pulumi-resource-peerpods) from the schema the provider itself serves,
// with Pulumi's Go code generator (github.com/pulumi/pulumi/pkg/v3/codegen/go).
// The SDK is checked in under sdk/go/peerpods, a Go module of its own
// (github.com/peerpods/provisioner/sdk/go/peerpods), so that a Go program
// can depend on the SDK alone; the main module requires it with a replace
// to that directory. The program and its components use it, so they link
// neither the provider nor go-libvirt.
//
// The SDK module's go.mod and go.sum are kept by hand, not generated
// (Kept): Generate leaves them out, Diff does not report them and Write
// does not remove them. They require the oldest pulumi Go SDK the
// generated code builds with; TestSDKModuleTidy fails when they are not
// what go mod tidy makes them, TestSDKAlone builds a program that
// depends on the SDK module alone. The release tags the SDK module
// sdk/go/peerpods/vX.Y.Z next to vX.Y.Z.
//
// After a change of the provider's resources, inputs, outputs,
// configuration, descriptions or version, regenerate the SDK from the
// module root with
//
//	go generate ./hack/sdkgen
//
// which runs go run ./hack/sdkgen/cmd: it writes every generated file
// under sdk/go and removes the files there that are no longer generated.
// go run ./hack/sdkgen/cmd -check only lists the files that differ.
// TestCheckedIn fails, naming the files, when the checked-in SDK is not
// exactly what Generate returns.
package sdkgen

//go:generate go run ./cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/peerpods/provisioner/cmd/pulumi-resource-peerpods/plugin"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/blang/semver"
	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// Dir is where the SDK lives, relative to the module root; the paths
// Generate returns are relative to it.
const Dir = "sdk/go"

// Kept are the files under Dir, by path relative to it, that are kept by
// hand: the SDK module's go.mod and go.sum.
var Kept = []string{"peerpods/go.mod", "peerpods/go.sum"}

// kept reports whether path (relative to Dir) is one of Kept.
func kept(path string) bool { return slices.Contains(Kept, path) }

// tool names the generator in the generated files' headers.
const tool = "hack/sdkgen"

// Schema returns the provider's schema as the provider serves it to the
// engine (GetSchema), run in process at its own name and version.
func Schema(ctx context.Context) ([]byte, error) {
	prov, err := plugin.New()
	if err != nil {
		return nil, err
	}
	s, err := integration.NewServer(ctx, provider.Name, semver.MustParse(provider.Version), integration.WithProvider(prov))
	if err != nil {
		return nil, err
	}
	resp, err := s.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		return nil, fmt.Errorf("getting the provider's schema: %w", err)
	}
	return []byte(resp.Schema), nil
}

// Generate returns the Go SDK's files, by path relative to Dir.
func Generate() (map[string][]byte, error) {
	raw, err := Schema(context.Background())
	if err != nil {
		return nil, err
	}
	return generate(raw)
}

// generate binds and validates a schema and generates its Go SDK.
func generate(raw []byte) (map[string][]byte, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("reading the provider's schema: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding the provider's schema: %w", err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("the provider's schema is invalid: %w", diags)
	}
	return gogen.GeneratePackage(tool, pkg, nil)
}

// noPackages is the schema loader of a schema that references no other
// package (the peerpods schema uses only its own types).
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema references package %s; the generator loads none", pkg)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

// Diff compares the files under dir with files (by path relative to dir)
// and returns the differences, sorted by path: "changed: PATH",
// "missing: PATH" (generated, not under dir) and "extra: PATH" (under dir,
// not generated, and not one of Kept). A missing dir holds no files.
func Diff(dir string, files map[string][]byte) ([]string, error) {
	have, err := list(dir)
	if err != nil {
		return nil, err
	}
	type change struct{ path, what string }
	var changes []change
	for path, want := range files {
		if !have[path] {
			changes = append(changes, change{path, "missing"})
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(got, want) {
			changes = append(changes, change{path, "changed"})
		}
	}
	for path := range have {
		if _, ok := files[path]; !ok && !kept(path) {
			changes = append(changes, change{path, "extra"})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].path < changes[j].path })
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.what + ": " + c.path
	}
	return out, nil
}

// list returns the regular files under dir, by slash-separated path
// relative to dir.
func list(dir string) (map[string]bool, error) {
	have := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			have[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return have, err
}

// Write makes dir hold exactly files and Kept: it writes files (0644) and
// removes the other files under dir but Kept, and the directories left
// empty.
func Write(dir string, files map[string][]byte) error {
	have, err := list(dir)
	if err != nil {
		return err
	}
	for path := range have {
		if _, ok := files[path]; !ok && !kept(path) {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(path))); err != nil {
				return err
			}
		}
	}
	for path, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, content, 0o644); err != nil {
			return err
		}
	}
	return removeEmptyDirs(dir)
}

// removeEmptyDirs removes the empty directories under dir (not dir).
func removeEmptyDirs(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path != dir {
			dirs = append(dirs, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	// Deepest first, so that a parent emptied by its children goes too.
	for i := len(dirs) - 1; i >= 0; i-- {
		entries, err := os.ReadDir(dirs[i])
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			if err := os.Remove(dirs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// ModuleRoot returns the nearest directory at or above the working
// directory that holds a go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// Main is the command line of hack/sdkgen/cmd (args without the
// command's name): it writes the SDK into -dir (default: Dir of the
// module), or with -check reports the files that differ on out and fails
// if any does.
func Main(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("sdkgen", flag.ContinueOnError)
	flags.SetOutput(out)
	dir := flags.String("dir", "", "directory of the Go SDK (default: "+Dir+" of the module)")
	check := flags.Bool("check", false, "only list the files that differ from the generated ones, and fail if any does")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	if *dir == "" {
		root, err := ModuleRoot()
		if err != nil {
			return err
		}
		*dir = filepath.Join(root, filepath.FromSlash(Dir))
	}
	files, err := Generate()
	if err != nil {
		return err
	}
	diff, err := Diff(*dir, files)
	if err != nil {
		return err
	}
	for _, d := range diff {
		fmt.Fprintln(out, d)
	}
	switch {
	case *check && len(diff) > 0:
		return fmt.Errorf("%d files of %s differ from the generated SDK; run go generate ./hack/sdkgen", len(diff), *dir)
	case *check:
		return nil
	}
	return Write(*dir, files)
}
