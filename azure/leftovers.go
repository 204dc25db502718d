package azure

import (
	"fmt"
	"regexp"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// nicSuffix is the suffix of the network interface cloud-api-adaptor
// creates for a pod VM: "<pod VM name>-net"; its OS disk is
// "<pod VM name>-disk" (src/cloud-providers/azure/provider.go
// CreateInstance, openshift/cloud-api-adaptor osc-release-v1.10
// bb4e602c).
const nicSuffix = "-net"

var (
	subnetID = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/virtualNetworks/([^/]+)/subnets/([^/]+)$`)
	ipConfID = regexp.MustCompile(`(?i)^(/subscriptions/[^/]+/resourceGroups/([^/]+)/providers/Microsoft\.Network/networkInterfaces/([^/]+))/ipConfigurations/[^/]+$`)
)

// Leftovers finds, with invokes only (for peerpods sweep): the pod VMs cloud-api-adaptor left
// in the stack's AZURE_SUBNET_ID (the worker subnet, or the peer-pod
// VNet's subnet that destroy would delete with its NAT gateway).
// cloud-api-adaptor creates each pod VM with one network interface
// "<name>-net" in AZURE_SUBNET_ID and an OS disk "<name>-disk", both with
// delete option Delete, so deleting the VM removes them
// (provider.go buildNetworkConfig, getVMParameters). The subnet is read
// (network.LookupSubnet): its IP configurations name the network
// interfaces in it; those named "<pod VM name>-net" are read
// (network.LookupNetworkInterface) for the VM they belong to. A VM is
// listed with "az vm delete", a network interface without a VM (a failed
// create) with "az network nic delete".
func Leftovers(ctx *pulumi.Context, cm map[string]string) ([]leftovers.Item, error) {
	id := cm[contract.KeyAzureSubnetID]
	m := subnetID.FindStringSubmatch(id)
	if m == nil {
		return nil, fmt.Errorf("the stack's configMap output has no %s naming a subnet (%q): nothing tells where cloud-api-adaptor runs pod VMs; fix: run peerpods up --stack %s first", contract.KeyAzureSubnetID, id, ctx.Stack())
	}
	prov, err := azurenative.NewProvider(ctx, "sweep", &azurenative.ProviderArgs{SubscriptionId: pulumi.StringPtr(m[1])})
	if err != nil {
		return nil, err
	}
	opt := pulumi.Provider(prov)
	where := "subnet " + m[4] + " of " + m[3]
	subnet, err := network.LookupSubnet(ctx, &network.LookupSubnetArgs{ResourceGroupName: m[2], VirtualNetworkName: m[3], SubnetName: m[4]}, opt)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", id, err)
	}
	var items []leftovers.Item
	for _, ipc := range subnet.IpConfigurations {
		n := ipConfID.FindStringSubmatch(deref(ipc.Id))
		if n == nil {
			continue // a load balancer's, a gateway's, ...
		}
		vmName, ok := leftovers.PodVMOf(n[3], nicSuffix)
		if !ok {
			continue
		}
		nic, err := network.LookupNetworkInterface(ctx, &network.LookupNetworkInterfaceArgs{ResourceGroupName: n[2], NetworkInterfaceName: n[3]}, opt)
		if err != nil {
			return nil, fmt.Errorf("reading network interface %s: %w", n[1], err)
		}
		if vm := nic.VirtualMachine.Id; vm != "" {
			items = append(items, leftovers.Item{Kind: "virtual machine", Name: vmName, ID: vm, Where: where, CAA: true,
				Note:    "with network interface " + n[3] + " and OS disk " + vmName + "-disk, deleted with it",
				Command: "az vm delete --yes --ids " + vm})
			continue
		}
		items = append(items, leftovers.Item{Kind: "network interface", Name: n[3], ID: n[1], Where: where, CAA: true,
			Note: "of no virtual machine", Command: "az network nic delete --ids " + n[1]})
	}
	leftovers.Sort(items)
	return items, nil
}
