package azure

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi-azure/sdk/v6/go/azure/core"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Network is the cluster's Azure network as discovered.
type Network struct {
	// Region is the resource group's location.
	Region string
	// SubscriptionID is the subscription of the resource group.
	SubscriptionID string
	// VNetName, VNetID and VNetPrefixes describe the cluster VNet.
	VNetName     string
	VNetID       string
	VNetPrefixes []netip.Prefix
	// WorkerSubnetID and WorkerSubnetPrefixes describe the worker subnet;
	// WorkerSubnetNATGatewayID is the NAT gateway attached to it, if any.
	WorkerSubnetName         string
	WorkerSubnetID           string
	WorkerSubnetPrefixes     []netip.Prefix
	WorkerSubnetNATGatewayID string
	// WorkerSubnetNATGatewayTagged is true when that gateway carries this
	// project's managed-by tag (a hint, never proof of ownership).
	WorkerSubnetNATGatewayTagged bool
	// NSGName and NSGID describe the cluster NSG; NSGRules are its rules
	// (not the default rules every NSG has).
	NSGName  string
	NSGID    string
	NSGRules []ExistingRule
}

// Providers are the providers a PeerPods uses: azure-native for everything
// it creates and reads, the classic azure provider to list the resource
// group and to attach the NAT gateway to the installer's subnet.
type Providers struct {
	Native  pulumi.ProviderResource
	Classic pulumi.ProviderResource
}

// Discover reads the cluster network: names given in args are looked up,
// missing ones are found as the docs find them.
func Discover(ctx *pulumi.Context, args Args, p Providers) (Network, error) {
	native := pulumi.Provider(p.Native)
	rg, err := resources.LookupResourceGroup(ctx, &resources.LookupResourceGroupArgs{ResourceGroupName: args.ResourceGroup}, native)
	if err != nil {
		return Network{}, problems.LookupFailed("azure.resourceGroup", "resource group "+args.ResourceGroup, err, "check the resource group's name (az group list) and azure.subscriptionId")
	}
	n := Network{Region: rg.Location, SubscriptionID: subscriptionOf(rg.Id)}

	n.VNetName = args.VNetName
	if n.VNetName == "" {
		exclude := ""
		if args.Outbound == OutboundPeerVNet && args.NetworkResourceGroup == args.ResourceGroup {
			exclude = args.PeerVNet.Name // ours, from an earlier run
		}
		if n.VNetName, err = only(ctx, p, args.NetworkResourceGroup, "Microsoft.Network/virtualNetworks", exclude, "azure.vnetName", "VNet"); err != nil {
			return Network{}, err
		}
	}
	vnet, err := network.LookupVirtualNetwork(ctx, &network.LookupVirtualNetworkArgs{
		ResourceGroupName: args.NetworkResourceGroup, VirtualNetworkName: n.VNetName,
	}, native)
	if err != nil {
		return Network{}, problems.LookupFailed("azure.vnetName", "VNet "+args.NetworkResourceGroup+"/"+n.VNetName, err, "check azure.vnetName and azure.networkResourceGroup (az network vnet list)")
	}
	n.VNetID = deref(vnet.Id)
	if vnet.AddressSpace != nil {
		if n.VNetPrefixes, err = parseDiscovered("VNet "+n.VNetName, vnet.AddressSpace.AddressPrefixes); err != nil {
			return Network{}, err
		}
	}

	n.WorkerSubnetName = args.WorkerSubnetName
	if n.WorkerSubnetName == "" {
		var workers []string
		for _, s := range vnet.Subnets {
			if name := deref(s.Name); strings.Contains(name, "worker") {
				workers = append(workers, name)
			}
		}
		if len(workers) != 1 {
			return Network{}, problems.Invalid("azure.workerSubnetName", fmt.Sprintf("cannot be discovered: VNet %s has %d subnets named *worker* %v", n.VNetName, len(workers), workers),
				"set azure.workerSubnetName to the subnet of the worker nodes")
		}
		n.WorkerSubnetName = workers[0]
	}
	subnet, err := network.LookupSubnet(ctx, &network.LookupSubnetArgs{
		ResourceGroupName: args.NetworkResourceGroup, VirtualNetworkName: n.VNetName, SubnetName: n.WorkerSubnetName,
	}, native)
	if err != nil {
		return Network{}, problems.LookupFailed("azure.workerSubnetName", "subnet "+n.WorkerSubnetName+" of VNet "+n.VNetName, err, "check azure.workerSubnetName (az network vnet subnet list)")
	}
	n.WorkerSubnetID = deref(subnet.Id)
	prefixes := subnet.AddressPrefixes
	if subnet.AddressPrefix != nil {
		prefixes = append([]string{*subnet.AddressPrefix}, prefixes...)
	}
	if n.WorkerSubnetPrefixes, err = parseDiscovered("subnet "+n.WorkerSubnetName, slices.Compact(prefixes)); err != nil {
		return Network{}, err
	}
	if subnet.NatGateway != nil {
		n.WorkerSubnetNATGatewayID = subnet.NatGateway.Id
	}
	if id := n.WorkerSubnetNATGatewayID; id != "" && args.Outbound == OutboundWorkerSubnet && !netrules.EqualFoldID(id, natGatewayID(n.SubscriptionID, args)) {
		if n.WorkerSubnetNATGatewayTagged, err = taggedGateway(ctx, id, native); err != nil {
			return Network{}, err
		}
	}

	n.NSGName = args.NSGName
	if n.NSGName == "" {
		if n.NSGName, err = only(ctx, p, args.ResourceGroup, "Microsoft.Network/networkSecurityGroups", "", "azure.nsgName", "NSG"); err != nil {
			return Network{}, err
		}
	}
	nsg, err := network.LookupNetworkSecurityGroup(ctx, &network.LookupNetworkSecurityGroupArgs{
		ResourceGroupName: args.ResourceGroup, NetworkSecurityGroupName: n.NSGName,
	}, native)
	if err != nil {
		return Network{}, problems.LookupFailed("azure.nsgName", "NSG "+args.ResourceGroup+"/"+n.NSGName, err, "check azure.nsgName (az network nsg list)")
	}
	n.NSGID = deref(nsg.Id)
	n.NSGRules = existingRules(nsg.SecurityRules)
	if n.WorkerSubnetID == "" || n.NSGID == "" || n.VNetID == "" {
		return Network{}, fmt.Errorf("azure: the cluster network was read without IDs (VNet %q, subnet %q, NSG %q)", n.VNetID, n.WorkerSubnetID, n.NSGID)
	}
	return n, nil
}

// existingRules are an NSG's rules (not its default rules) as read.
func existingRules(rules []network.SecurityRuleResponse) []ExistingRule {
	out := make([]ExistingRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, ExistingRule{
			Name: deref(r.Name), ID: deref(r.Id), Priority: r.Priority, Description: deref(r.Description),
			Direction: r.Direction, Access: r.Access, Protocol: r.Protocol,
			Sources:      entries(r.SourceAddressPrefix, r.SourceAddressPrefixes),
			Destinations: entries(r.DestinationAddressPrefix, r.DestinationAddressPrefixes),
			Ports:        entries(r.DestinationPortRange, r.DestinationPortRanges),
			WithGroups:   len(r.SourceApplicationSecurityGroups)+len(r.DestinationApplicationSecurityGroups) > 0,
		})
	}
	return out
}

// only lists the resources of type kind in a resource group (ignoring
// exclude) and returns the name of the only one.
func only(ctx *pulumi.Context, p Providers, group, kind, exclude, setting, what string) (string, error) {
	if p.Classic == nil {
		return "", problems.Invalid(setting, "is not set and cannot be discovered without the classic azure provider", "set "+setting+", or pass the classic azure provider")
	}
	res, err := core.GetResources(ctx, &core.GetResourcesArgs{ResourceGroupName: &group, Type: &kind}, pulumi.Provider(p.Classic))
	if err != nil {
		return "", problems.LookupFailed(setting, "the "+what+"s of resource group "+group, err, "set "+setting+", or check the resource group and the azure credentials")
	}
	var names []string
	for _, r := range res.Resources {
		if r.Name != exclude {
			names = append(names, r.Name)
		}
	}
	slices.Sort(names)
	if len(names) != 1 {
		return "", problems.Invalid(setting, fmt.Sprintf("cannot be discovered: resource group %s has %d %ss %v", group, len(names), what, names),
			fmt.Sprintf("set %s to the cluster's %s", setting, what))
	}
	return names[0], nil
}

// parseDiscovered parses prefixes Azure reported for what.
func parseDiscovered(what string, values []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(values))
	for _, v := range values {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return nil, fmt.Errorf("azure: %s reports the address prefix %q: %w", what, v, err)
		}
		out = append(out, p.Masked())
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("azure: %s has no address prefix", what)
	}
	return out, nil
}

// subscriptionOf returns the subscription ID of an ARM resource ID.
func subscriptionOf(id string) string { return idSegment(id, "subscriptions") }

// idSegment returns the segment of an ARM resource ID after the segment
// key (such as subscriptions or resourceGroups); "" when it has none.
func idSegment(id, key string) string {
	parts := strings.Split(id, "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], key) {
			return parts[i+1]
		}
	}
	return ""
}

// idName returns the resource's name: the last segment of its ARM ID.
func idName(id string) string {
	id = strings.TrimSuffix(id, "/")
	return id[strings.LastIndex(id, "/")+1:]
}

// taggedGateway reads the tags of the NAT gateway with ARM ID id and
// reports whether it carries this project's managed-by tag.
func taggedGateway(ctx *pulumi.Context, id string, native pulumi.InvokeOption) (bool, error) {
	gw, err := network.LookupNatGateway(ctx, &network.LookupNatGatewayArgs{ResourceGroupName: idSegment(id, "resourceGroups"), NatGatewayName: idName(id)}, native)
	if err != nil {
		return false, problems.LookupFailed("azure.workerSubnetName", "NAT gateway "+id+" of the worker subnet", err, "check that the Azure credentials may read it (Microsoft.Network/natGateways/read)")
	}
	return gw.Tags[common.ManagedByTag] == common.ManagedBy, nil
}

// natGatewayID is the ARM ID the NAT gateway of args will have.
func natGatewayID(subscription string, args Args) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/natGateways/%s", subscription, args.ResourceGroup, args.NATGatewayName)
}

// entries joins the single and the list form of a rule's field.
func entries(one *string, many []string) []string {
	var out []string
	if one != nil && *one != "" {
		out = append(out, *one)
	}
	return append(out, many...)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
