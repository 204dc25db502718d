package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/golist"
)

const module = "github.com/peerpods/provisioner"

// The component packages: each a Go API of its own, for one's own Pulumi
// program (see their Examples).
var componentPackages = []string{module + "/aws", module + "/azure", module + "/gcp", module + "/libvirt", module + "/components/handoff"}

// standAloneBans are the packages a component package must not link: the
// provider framework and the engine (the plugin's), the Kubernetes client
// (the command's and NodeTaints'), the libvirt client (the plugin's
// resources'), and the test helpers, the program and the binaries of
// this project.
var standAloneBans = []string{
	"github.com/pulumi/pulumi-go-provider",
	"github.com/pulumi/pulumi/pkg/v3",
	"k8s.io/client-go",
	"github.com/digitalocean/go-libvirt",
	module + "/tests",
	module + "/stacks",
	module + "/cmd",
	module + "/hack",
}

// TestComponentsStandAlone: each component package links only the Pulumi
// SDKs (the providers', this project's generated one) and small shared
// packages of this project (components/..., its own subpackages): none
// of standAloneBans, and of this module nothing else.
func TestComponentsStandAlone(t *testing.T) {
	g := golist.Imports(t, "", componentPackages...)
	for _, pkg := range componentPackages {
		t.Run(strings.TrimPrefix(pkg, module+"/"), func(t *testing.T) {
			deps := g.Deps(pkg)
			if !slices.Contains(deps, "github.com/pulumi/pulumi/sdk/v3/go/pulumi") {
				t.Fatalf("%s does not link the Pulumi SDK: is the listing right? %v", pkg, deps)
			}
			for _, dep := range deps {
				switch {
				case banned(dep, standAloneBans):
					t.Errorf("%s links %s", pkg, chain(g, pkg, dep))
				case under(dep, module) && !under(dep, pkg) && !under(dep, module+"/components") && !under(dep, module+"/sdk/go/peerpods"):
					t.Errorf("%s links %s, which is neither a shared component package (components/...) nor the generated SDK", pkg, chain(g, pkg, dep))
				}
			}
		})
	}
}

// TestBinariesLinkNoTestCode: the peerpods command and the plugin link
// nothing of tests/ (no mocks, no fake keys, no test helpers), and the
// plugin links neither the program nor its stack-file loader (package
// stacks), in every build of theirs: all clouds, and one.
func TestBinariesLinkNoTestCode(t *testing.T) {
	command, plugin := module+"/cmd/peerpods", module+"/cmd/pulumi-resource-peerpods"
	bans := map[string][]string{
		command: {module + "/tests"},
		plugin:  {module + "/tests", module + "/stacks"},
	}
	for _, tags := range []string{"", "peerpods_clouds,libvirt"} {
		g := golist.Imports(t, tags, command, plugin)
		for _, bin := range []string{command, plugin} {
			deps := g.Deps(bin)
			if !slices.Contains(deps, module+"/components/handoff") {
				t.Fatalf("%s does not link the handoff: is the listing right? %v", bin, deps)
			}
			for _, dep := range deps {
				if banned(dep, bans[bin]) {
					t.Errorf("%s (tags %q) links %s", bin, tags, chain(g, bin, dep))
				}
			}
		}
	}
}

// banned reports whether pkg is one of bans or under one.
func banned(pkg string, bans []string) bool {
	return slices.ContainsFunc(bans, func(b string) bool { return under(pkg, b) })
}

// under reports whether pkg is dir or a package under it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// chain renders the import chain from pkg to dep, for the message.
func chain(g golist.Graph, pkg, dep string) string {
	return dep + " through\n\t" + strings.Join(g.Chain(pkg, dep), "\n\t-> ")
}
