package azure_test

import (
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
)

// TestFromCluster: the resource groups always, the issuer only for
// workload identity, under the settings Args reads.
func TestFromCluster(t *testing.T) {
	f := cluster.Facts{AzureResourceGroup: rg, AzureNetworkResourceGroup: "mycluster-network-rg", ServiceAccountIssuer: issuer}
	settings := func(id contract.Identity) map[string]any {
		out := map[string]any{}
		for _, found := range (azure.Cloud{}).FromCluster(f, id) {
			out[found.Setting] = found.Value
		}
		return out
	}
	if got := settings(contract.IdentityWorkload); len(got) != 3 || got["azure.oidcIssuer"] != issuer || got["azure.resourceGroup"] != rg || got["azure.networkResourceGroup"] != "mycluster-network-rg" {
		t.Errorf("workload: %v", got)
	}
	if got := settings(contract.IdentityCCO); len(got) != 2 || got["azure.oidcIssuer"] != nil {
		t.Errorf("cco: %v", got)
	}
	f.AzureNetworkResourceGroup = rg
	if got := settings(contract.IdentityStatic); len(got) != 1 {
		t.Errorf("network resource group the cluster's own: %v", got)
	}
}
