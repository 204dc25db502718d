package leftovers_test

import (
	"testing"

	"github.com/peerpods/provisioner/libvirt/leftovers"
)

// TestIsCAAVolume: the root disk and cloud-init ISO CreateDomain makes,
// and volumes that are not.
func TestIsCAAVolume(t *testing.T) {
	for name, want := range map[string]bool{
		"podvm-nginx-1a2b3c4d-root.qcow2":    true,
		"podvm-nginx-1a2b3c4d-cloudinit.iso": true,
		"podvm-base.qcow2":                   false,
		"podvm-nginx-1a2b3c4d.qcow2":         false,
		"rhel9-root.qcow2":                   false,
	} {
		if got := leftovers.IsCAAVolume(name); got != want {
			t.Errorf("IsCAAVolume(%q) = %v, want %v", name, got, want)
		}
	}
}
