package settings

import (
	"github.com/peerpods/provisioner/tests/testkit/golist"
	"slices"
	"strings"
	"testing"
)

// TestProgramLinksNoLibvirtClient: the program (package
// github.com/peerpods/provisioner) validates its libvirt settings with this
// package and registers the resources through the generated SDK, so it
// does not link go-libvirt: only the provider plugin
// (pulumi-resource-peerpods) does. (The program does link
// pulumi-go-provider's infer: each cloud in the registry names its
// component as the plugin serves it, served by cmd/pulumi-resource-peerpods/plugin; about 50
// packages more.)
func TestProgramLinksNoLibvirtClient(t *testing.T) {
	const program = "github.com/peerpods/provisioner"
	deps := golist.Deps(t, "", program)
	for _, want := range []string{program, program + "/libvirt", program + "/libvirt/settings", program + "/sdk/go/peerpods/libvirt"} {
		if !slices.Contains(deps, want) {
			t.Errorf("the program's dependencies lack %s: is the listing right?", want)
		}
	}
	for _, dep := range deps {
		for _, banned := range []string{"github.com/digitalocean/go-libvirt"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("the program links %s", dep)
			}
		}
	}
	t.Logf("the program has %d dependencies", len(deps))
}
