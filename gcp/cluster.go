package gcp

import (
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
)

// FromCluster implements cloud.Cloud: the project, the installer's
// network (<infrastructure name>-network), the first worker's zone and the
// machine networks as the firewall's source ranges.
func (Cloud) FromCluster(f cluster.Facts, _ contract.Identity) []cluster.Found {
	var out []cluster.Found
	if f.InfraName != "" {
		out = append(out, cluster.Found{Setting: "gcp.network", Value: f.InfraName + "-network", From: cluster.FromInfrastructure + "infrastructureName, and the installer's network name <infrastructureName>-network"})
	}
	if f.GCPProject != "" {
		out = append(out, cluster.Found{Setting: "gcp.projectId", Value: f.GCPProject, From: cluster.FromInfrastructure + "platformStatus.gcp.projectID"})
	}
	if len(f.MachineNetworks) > 0 {
		out = append(out, cluster.Found{Setting: "gcp.sourceRanges", Value: f.MachineNetworks, From: cluster.FromInstallConfig})
	}
	for _, w := range f.Workers {
		if w.Zone != "" {
			out = append(out, cluster.Found{Setting: "gcp.zone", Value: w.Zone, From: cluster.FromWorker(w)})
			break
		}
	}
	return out
}
