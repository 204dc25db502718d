package libvirt

import (
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
)

// FromCluster implements cloud.Cloud: nothing; the KVM host is not a
// fact of the cluster.
func (Cloud) FromCluster(cluster.Facts, contract.Identity) []cluster.Found { return nil }
