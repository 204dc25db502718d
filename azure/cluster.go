package azure

import (
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
)

// FromCluster implements cloud.Cloud: the resource group, the network
// resource group when the cluster has one of its own (ARO, or an
// installer-provisioned cluster in an existing VNet), and the OIDC issuer
// for workload identity.
func (Cloud) FromCluster(f cluster.Facts, id contract.Identity) []cluster.Found {
	var out []cluster.Found
	if n := f.AzureNetworkResourceGroup; n != "" && n != f.AzureResourceGroup {
		out = append(out, cluster.Found{Setting: "azure.networkResourceGroup", Value: n, From: cluster.FromInfrastructure + "platformStatus.azure.networkResourceGroupName"})
	}
	if id == contract.IdentityWorkload && f.ServiceAccountIssuer != "" {
		out = append(out, cluster.Found{Setting: "azure.oidcIssuer", Value: f.ServiceAccountIssuer, From: cluster.FromIssuer})
	}
	if f.AzureResourceGroup != "" {
		out = append(out, cluster.Found{Setting: "azure.resourceGroup", Value: f.AzureResourceGroup, From: cluster.FromInfrastructure + "platformStatus.azure.resourceGroupName"})
	}
	return out
}
