//go:build !peerpods_clouds || azure

package stacks

import (
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
)

// TestFromCluster: the resource groups always, the azureIssuer only for
// workload identity, under the settings Args reads.
func TestFromCluster(t *testing.T) {
	f := cluster.Facts{AzureResourceGroup: azureRG, AzureNetworkResourceGroup: "mycluster-network-azureRG", ServiceAccountIssuer: azureIssuer}
	settings := func(id contract.Identity) map[string]any {
		out := map[string]any{}
		for _, found := range (azureCloud{}).FromCluster(f, id) {
			out[found.Setting] = found.Value
		}
		return out
	}
	if got := settings(contract.IdentityWorkload); len(got) != 3 || got["azure.oidcIssuer"] != azureIssuer || got["azure.resourceGroup"] != azureRG || got["azure.networkResourceGroup"] != "mycluster-network-azureRG" {
		t.Errorf("workload: %v", got)
	}
	if got := settings(contract.IdentityCCO); len(got) != 2 || got["azure.oidcIssuer"] != nil {
		t.Errorf("cco: %v", got)
	}
	f.AzureNetworkResourceGroup = azureRG
	if got := settings(contract.IdentityStatic); len(got) != 1 {
		t.Errorf("network resource group the cluster's own: %v", got)
	}
}
