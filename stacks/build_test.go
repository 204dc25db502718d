package stacks_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/stacks"
)

// TestOneCloudBuild: built with -tags peerpods_clouds,<cloud>, the program
// and the plugin link that cloud's package and no other cloud's (nor,
// but for libvirt, the libvirt plugin code's go-libvirt in the program),
// as go list resolves the build constraints of the registry files.
func TestOneCloudBuild(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	const module = "github.com/peerpods/provisioner"
	for _, c := range stacks.Clouds() {
		name := string(c.Name())
		t.Run(name, func(t *testing.T) {
			for _, pkg := range []string{module, module + "/cmd/peerpods", module + "/cmd/pulumi-resource-peerpods"} {
				out, err := exec.Command(gocmd, "list", "-deps", "-tags", "peerpods_clouds,"+name, pkg).Output()
				if err != nil {
					t.Fatalf("go list -deps -tags peerpods_clouds,%s %s: %v", name, pkg, err)
				}
				deps := strings.Fields(string(out))
				if !slices.Contains(deps, module+"/"+name) {
					t.Errorf("%s built for %s does not link %s/%s", pkg, name, module, name)
				}
				for _, other := range stacks.Clouds() {
					if o := string(other.Name()); o != name && slices.Contains(deps, module+"/"+o) {
						t.Errorf("%s built for %s links %s", pkg, name, o)
					}
				}
			}
		})
	}
}
