package stacks_test

import (
	"slices"
	"testing"

	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/golist"
)

// TestOneCloudBuild: built with -tags peerpods_clouds,<cloud>, the program,
// the command and the plugin link that cloud's package and no other
// cloud's, as go list resolves the build constraints of the registry
// files.
func TestOneCloudBuild(t *testing.T) {
	const module = "github.com/peerpods/provisioner"
	for _, c := range stacks.Clouds() {
		name := string(c.Name())
		t.Run(name, func(t *testing.T) {
			for _, pkg := range []string{module, module + "/cmd/peerpods", module + "/cmd/pulumi-resource-peerpods"} {
				deps := golist.Deps(t, "peerpods_clouds,"+name, pkg)
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
