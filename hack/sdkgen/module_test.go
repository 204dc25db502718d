package sdkgen

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
)

// sdkModule is the SDK module's directory, from this package's directory.
var sdkModule = filepath.Join(checkedIn, "peerpods")

// goCmd runs the go command in dir with env added to this process's
// environment (the shared module cache and proxy), and returns its
// output; a failure fails the test.
func goCmd(t *testing.T, ctx context.Context, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOWORK=off"}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return out.String()
}

// readModFile parses the go.mod at path.
func readModFile(t *testing.T, path string) *modfile.File {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(path, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSDKModuleTidy: the SDK's go.mod and go.sum (kept by hand) are what
// go mod tidy makes them, name the SDK's module path, and ask for a Go
// older than 1.26.
func TestSDKModuleTidy(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	f := readModFile(t, filepath.Join(sdkModule, "go.mod"))
	if got, want := f.Module.Mod.Path, "github.com/peerpods/provisioner/sdk/go/peerpods"; got != want {
		t.Errorf("the SDK module is %s, want %s", got, want)
	}
	if f.Go == nil || semver.Compare("v"+f.Go.Version, "v1.26") >= 0 {
		t.Errorf("the SDK module's go directive %v is not below 1.26", f.Go)
	}
	if out := goCmd(t, ctx, sdkModule, []string{"GOFLAGS=-mod=mod"}, "mod", "tidy", "-diff"); out != "" {
		t.Errorf("go mod tidy would change the SDK's go.mod or go.sum:\n%s", out)
	}
}

// TestSDKAlone: a Go program outside this repository that uses the SDK
// (libvirt.NewPeerPods) and requires the SDK module alone builds, and its
// build list holds neither this repository's main module nor a cloud
// provider's SDK, and asks for a Go older than 1.26.
func TestSDKAlone(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	sdk, err := filepath.Abs(sdkModule)
	if err != nil {
		t.Fatal(err)
	}
	sdkGo := readModFile(t, filepath.Join(sdk, "go.mod")).Go.Version
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/user\n\ngo " + sdkGo + "\n\n" +
			"require github.com/peerpods/provisioner/sdk/go/peerpods v0.0.0\n\n" +
			"replace github.com/peerpods/provisioner/sdk/go/peerpods => " + sdk + "\n",
		"main.go": `package main

import (
	"github.com/peerpods/provisioner/sdk/go/peerpods/libvirt"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := libvirt.NewPeerPods(ctx, "peerpods", &libvirt.PeerPodsArgs{Uri: pulumi.StringRef("qemu:///system")})
		return err
	})
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"GOFLAGS=-mod=mod"}
	goCmd(t, ctx, dir, env, "mod", "tidy")
	goCmd(t, ctx, dir, env, "build", "-o", filepath.Join(dir, "user"), ".")

	var mods []string
	for _, line := range strings.Split(strings.TrimSpace(goCmd(t, ctx, dir, env, "list", "-m", "all")), "\n") {
		mods = append(mods, strings.Fields(line)[0])
	}
	if !slices.Contains(mods, "github.com/peerpods/provisioner/sdk/go/peerpods") || !slices.Contains(mods, "github.com/pulumi/pulumi/sdk/v3") {
		t.Fatalf("the build list does not hold the SDK and the pulumi SDK: is the listing right? %v", mods)
	}
	for _, m := range mods {
		for _, banned := range []string{"github.com/pulumi/pulumi-aws", "github.com/pulumi/pulumi-azure", "github.com/pulumi/pulumi-gcp", "github.com/pulumi/pulumi-kubernetes"} {
			if strings.HasPrefix(m, banned) {
				t.Errorf("a program of the SDK alone needs %s", m)
			}
		}
		if m == "github.com/peerpods/provisioner" {
			t.Errorf("a program of the SDK alone needs this repository's main module")
		}
	}
	if v := readModFile(t, filepath.Join(dir, "go.mod")).Go.Version; semver.Compare("v"+v, "v1.26") >= 0 {
		t.Errorf("a program of the SDK alone needs go %s, not below 1.26", v)
	}
}

// TestKeptFiles: Diff does not report the hand-kept go.mod and go.sum,
// and Write keeps them.
func TestKeptFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "go")
	for _, k := range Kept {
		path := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(k), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string][]byte{"peerpods/provider.go": []byte("package peerpods\n")}
	if diff, err := Diff(dir, files); err != nil || !slices.Equal(diff, []string{"missing: peerpods/provider.go"}) {
		t.Errorf("diff %v, %v; want only the missing provider.go", diff, err)
	}
	if err := Write(dir, map[string][]byte{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range Kept {
		if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(k))); err != nil || string(got) != k {
			t.Errorf("%s after Write: %q, %v", k, got, err)
		}
	}
}
