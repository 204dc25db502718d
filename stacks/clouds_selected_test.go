//go:build peerpods_clouds

package stacks

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
)

// configMap is a configuration source of plain values.
type configMap map[string]string

func (m configMap) GetConfig(key string) (string, bool) { v, ok := m[key]; return v, ok }
func (configMap) IsConfigSecret(string) bool            { return true }

// TestSelectedBuild (make test runs it with -tags peerpods_clouds,aws): a
// build for some clouds registers those only, and a stack of a cloud of
// the contract it leaves out is refused, naming the build to use.
func TestSelectedBuild(t *testing.T) {
	var left contract.Cloud
	for _, c := range contract.Clouds {
		if _, ok := CloudNamed(c); !ok {
			left = c
		}
	}
	if len(Clouds()) == 0 || left == "" {
		t.Fatalf("a selected build registers %d clouds and leaves none of the contract out", len(Clouds()))
	}
	_, err := load(configMap{"peerpods:cloud": string(left), "peerpods:handoff": "off"}, loader{})
	if err == nil || !strings.Contains(err.Error(), "peerpods:cloud is \""+string(left)+"\", which this build of peerpods leaves out") ||
		!strings.Contains(err.Error(), "-tags peerpods_clouds,"+string(left)) {
		t.Errorf("a stack of %s: %v", left, err)
	}
}
