package stacks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type noMocks struct{}

func (noMocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return a.Name + "-id", a.Inputs, nil
}
func (noMocks) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) { return a.Args, nil }

// keysIn lists the stack file keys of stack "dev" of the project in root,
// as the program does.
func keysIn(t *testing.T, root string) ([]string, error) {
	t.Helper()
	var keys []string
	var kerr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		keys, kerr = contextSource{ctx, ""}.keys()
		return nil
	}, pulumi.WithMocks("peerpods", "dev", noMocks{}), func(ri *pulumi.RunInfo) { ri.RootDirectory = root })
	if err != nil {
		t.Fatal(err)
	}
	return keys, kerr
}

// TestStackFileKeysFailClosed: the project and stack files are found
// under both names Pulumi accepts (.yaml, .yml); one that cannot be found
// or read is an error, never a stack without keys (which would switch the
// unknown-key and plain-text checks off).
func TestStackFileKeysFailClosed(t *testing.T) {
	write := func(t *testing.T, root, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const project = "name: peerpods\nruntime: go\nstackConfigDir: stacks\n"
	const stack = "config:\n  peerpods:tunelPort: 9000\n"
	for _, c := range []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{"Pulumi.yaml", map[string]string{"Pulumi.yaml": project, "stacks/Pulumi.dev.yaml": stack}, ""},
		{"Pulumi.yml", map[string]string{"Pulumi.yml": project, "stacks/Pulumi.dev.yaml": stack}, ""},
		{"Pulumi.dev.yml", map[string]string{"Pulumi.yaml": project, "stacks/Pulumi.dev.yml": stack}, ""},
		{"no project file", map[string]string{"stacks/Pulumi.dev.yaml": stack}, "neither Pulumi.yaml nor Pulumi.yml"},
		{"no stack file", map[string]string{"Pulumi.yaml": project}, "neither Pulumi.dev.yaml nor Pulumi.dev.yml"},
		{"both project files", map[string]string{"Pulumi.yaml": project, "Pulumi.yml": project, "stacks/Pulumi.dev.yaml": stack}, "keep one"},
		{"project file not YAML", map[string]string{"Pulumi.yaml": "name: [", "stacks/Pulumi.dev.yaml": stack}, "Pulumi.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range c.files {
				write(t, root, name, content)
			}
			keys, err := keysIn(t, root)
			if c.wantErr == "" {
				if err != nil || strings.Join(keys, ",") != "peerpods:tunelPort" {
					t.Fatalf("keys = %v, %v", keys, err)
				}
				if err := checkKeys(keys, func(string) bool { return false }); err == nil || !strings.Contains(err.Error(), "did you mean peerpods:tunnelPort?") {
					t.Errorf("unknown key not refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("keys = %v, %v; want an error containing %q", keys, err, c.wantErr)
			}
		})
	}
	t.Run("project file unreadable", func(t *testing.T) {
		root := t.TempDir()
		write(t, root, "stacks/Pulumi.dev.yaml", stack)
		if err := os.Mkdir(filepath.Join(root, "Pulumi.yaml"), 0o700); err != nil { // a directory cannot be read as a file
			t.Fatal(err)
		}
		if keys, err := keysIn(t, root); err == nil {
			t.Errorf("keys = %v, no error", keys)
		}
	})
}
