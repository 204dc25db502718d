package gcp

import (
	"fmt"
	"path"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	gcpp "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/cloudasset"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// instanceAsset is Cloud Asset Inventory's type of a Compute Engine
// instance.
const instanceAsset = "compute.googleapis.com/Instance"

// Leftovers finds, with invokes only (for peerpods sweep): the instances cloud-api-adaptor
// left in the stack's GCP_NETWORK. cloud-api-adaptor names each pod VM
// instance <pod VM name> (util.GenerateInstanceName), creates it in
// GCP_ZONE of GCP_PROJECT_ID with its one network interface in
// GCP_NETWORK and a boot disk with auto-delete, so deleting the instance
// removes the disk (src/cloud-providers/gcp/provider.go CreateInstance,
// openshift/cloud-api-adaptor osc-release-v1.10 bb4e602c). pulumi-gcp has
// no invoke listing instances: the project's instances whose name has
// "podvm" are searched in Cloud Asset Inventory
// (cloudasset.LookupSearchAllResources; the Cloud Asset API must be
// enabled), then each one with a pod VM name is read
// (compute.LookupInstance) and kept when it is on the stack's network.
func Leftovers(ctx *pulumi.Context, cm map[string]string) ([]leftovers.Item, error) {
	project, zone, network := cm[contract.KeyGCPProjectID], cm[contract.KeyGCPZone], path.Base(cm[contract.KeyGCPNetwork])
	if project == "" || cm[contract.KeyGCPNetwork] == "" {
		return nil, fmt.Errorf("the stack's configMap output has no %s or %s: nothing tells where cloud-api-adaptor runs pod VMs; fix: run peerpods up --stack %s first", contract.KeyGCPProjectID, contract.KeyGCPNetwork, ctx.Stack())
	}
	prov, err := gcpp.NewProvider(ctx, "sweep", &gcpp.ProviderArgs{Project: pulumi.String(project), Zone: pulumi.String(zone)})
	if err != nil {
		return nil, err
	}
	opt := pulumi.Provider(prov)
	query := "name:podvm"
	found, err := cloudasset.LookupSearchAllResources(ctx, &cloudasset.LookupSearchAllResourcesArgs{
		Scope: "projects/" + project, AssetTypes: []string{instanceAsset}, Query: &query,
	}, opt)
	if err != nil {
		return nil, fmt.Errorf("searching the instances of project %s (Cloud Asset Inventory): %w", project, err)
	}
	where := "network " + network
	var items []leftovers.Item
	for _, r := range found.Results {
		name, at := r.DisplayName, r.Location
		if r.AssetType != instanceAsset || !leftovers.IsPodVMName(name) {
			continue
		}
		in, err := compute.LookupInstance(ctx, &compute.LookupInstanceArgs{Name: &name, Zone: &at, Project: &project}, opt)
		if err != nil {
			return nil, fmt.Errorf("reading instance %s in %s: %w", name, at, err)
		}
		on := false
		for _, nic := range in.NetworkInterfaces {
			on = on || strings.HasSuffix(nic.Network, "/global/networks/"+network) || nic.Network == network
		}
		if !on {
			continue
		}
		id := name
		if in.SelfLink != nil {
			id = *in.SelfLink
		}
		items = append(items, leftovers.Item{Kind: "instance", Name: name, ID: id, Where: where, CAA: true,
			Note:    strings.ToLower(in.CurrentStatus) + " in " + at + ", boot disk deleted with it",
			Command: fmt.Sprintf("gcloud compute instances delete %s --project %s --zone %s --quiet", name, project, at)})
	}
	leftovers.Sort(items)
	return items, nil
}
