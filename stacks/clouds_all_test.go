//go:build !peerpods_clouds

package stacks

import (
	"testing"

	"github.com/peerpods/provisioner/components/contract"
)

// TestDefaultBuildHasEveryCloud: without a cloud selection, the build has
// every cloud of the operator contract.
func TestDefaultBuildHasEveryCloud(t *testing.T) {
	for _, name := range contract.Clouds {
		if _, ok := CloudNamed(name); !ok {
			t.Errorf("the default build has no %s", name)
		}
	}
}
