package azure

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func validArgs(outbound string) Args {
	return Args{ResourceGroup: "mycluster-x7k2p-rg", Outbound: outbound, Settings: common.NewSettings(contract.Azure), PeerVNet: &PeerVNet{}, Priorities: &Priorities{}}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*Args)
		setting string // "" for valid
		fix     string
	}{
		{"worker-subnet defaults", func(*Args) {}, "", ""},
		{"peer-vnet defaults", func(a *Args) { a.Outbound = OutboundPeerVNet }, "", ""},
		{"no resource group", func(a *Args) { a.ResourceGroup = "" }, "azure.resourceGroup", "resource group name"},
		{"resource group ends with dot", func(a *Args) { a.ResourceGroup = "rg." }, "azure.resourceGroup", "resource group name"},
		{"unknown outbound", func(a *Args) { a.Outbound = "nat" }, "azure.outbound", `"peer-vnet"`},
		{"bad vnet name", func(a *Args) { a.VNetName = "my vnet" }, "azure.vnetName", "virtual network name"},
		{"bad nat name", func(a *Args) { a.NATGatewayName = "-gw" }, "azure.natGatewayName", "Azure network resource name"},
		{"bad size", func(a *Args) { a.InstanceSize = "B2als" }, "azure.instanceSize", "Standard_B2als_v2"},
		{"duplicate sizes", func(a *Args) { a.InstanceSizes = []string{"Standard_D2as_v5", "Standard_D2as_v5"} }, "azure.instanceSizes", "once"},
		{"bad image", func(a *Args) { a.ImageID = "myimage" }, "azure.imageId", "/subscriptions/"},
		{"priority clash", func(a *Args) { a.Priorities.TunnelUDP = 112 }, "azure.nsgPriorities.tunnelUdp", "the same as azure.nsgPriorities.kataAgent"},
		{"priority too low", func(a *Args) { a.Priorities.KataAgent = 99 }, "azure.nsgPriorities.kataAgent", "100 to 4096"},
		{"priority too high", func(a *Args) { a.Priorities.TunnelTCP = 4097 }, "azure.nsgPriorities.tunnelTcp", "100 to 4096"},
		{"udp priority unused without udp", func(a *Args) { a.Settings.TunnelProtocols = []string{"tcp"}; a.Priorities.TunnelUDP = 112 }, "", ""},
		{"bad cluster prefix", func(a *Args) { a.ClusterVNetPrefixes = []string{"10.0.0.0"} }, "azure.clusterVnetPrefixes[0]", "192.168.0.0/16"},
		{"peer vnet host bits", func(a *Args) { a.Outbound = OutboundPeerVNet; a.PeerVNet.AddressPrefix = "192.168.1.0/16" }, "azure.peerVnet.addressPrefix", `"192.168.0.0/16"`},
		{"peer subnet outside vnet", func(a *Args) {
			a.Outbound, a.PeerVNet.SubnetPrefix = OutboundPeerVNet, "172.16.5.0/24"
		}, "azure.peerVnet.subnetPrefix", "inside 192.168.0.0/16"},
		{"peer subnet larger than vnet", func(a *Args) {
			a.Outbound, a.PeerVNet.AddressPrefix, a.PeerVNet.SubnetPrefix = OutboundPeerVNet, "192.168.0.0/24", "192.168.0.0/16"
		}, "azure.peerVnet.subnetPrefix", "inside 192.168.0.0/24"},
		{"peer subnet part of vnet", func(a *Args) { a.Outbound, a.PeerVNet.SubnetPrefix = OutboundPeerVNet, "192.168.8.0/24" }, "", ""},
		{"peer vnet overlaps cluster", func(a *Args) { a.Outbound, a.PeerVNet.AddressPrefix = OutboundPeerVNet, "10.3.0.0/16" }, "azure.peerVnet.addressPrefix", "outside 10.0.0.0/14"},
		{"peer vnet contains cluster", func(a *Args) { a.Outbound, a.PeerVNet.AddressPrefix = OutboundPeerVNet, "10.0.0.0/8" }, "azure.peerVnet.addressPrefix", "overlaps 10.0.0.0/14"},
		{"peer vnet touches cluster", func(a *Args) { a.Outbound, a.PeerVNet.AddressPrefix = OutboundPeerVNet, "10.4.0.0/16" }, "", ""},
		{"peer vnet touches cluster below", func(a *Args) {
			a.Outbound, a.ClusterVNetPrefixes, a.PeerVNet.AddressPrefix = OutboundPeerVNet, []string{"10.4.0.0/14"}, "10.0.0.0/14"
		}, "", ""},
		{"peer vnet overlaps other prefix", func(a *Args) {
			a.Outbound, a.OtherPrefixes = OutboundPeerVNet, []string{"172.16.0.0/12", "192.168.100.0/24"}
		}, "azure.peerVnet.addressPrefix", "azure.otherPrefixes[1]"},
		{"peer vnet named like cluster vnet", func(a *Args) { a.Outbound, a.VNetName, a.PeerVNet.Name = OutboundPeerVNet, "vn", "vn" }, "azure.peerVnet.name", "own name"},
		{"peer subnet larger than a /8", func(a *Args) { a.Outbound, a.PeerVNet.AddressPrefix = OutboundPeerVNet, "16.0.0.0/4" }, "azure.peerVnet.subnetPrefix", "smaller azure.peerVnet.subnetPrefix"},
		{"peer subnet of a /8, public and allowed", func(a *Args) {
			a.Outbound, a.PeerVNet.AddressPrefix = OutboundPeerVNet, "172.0.0.0/8"
			a.Settings.AllowPublicRanges = []string{"172.0.0.0/8"}
		}, "", ""},
		{"peer subnet public", func(a *Args) { a.Outbound, a.PeerVNet.AddressPrefix = OutboundPeerVNet, "172.0.0.0/8" },
			"azure.peerVnet.subnetPrefix", "peerpods:allowPublicRanges"},
		{"peer prefixes ignored for worker-subnet", func(a *Args) { a.PeerVNet.AddressPrefix = "10.0.0.0/8" }, "", ""},
		{"static with credentials", func(a *Args) {
			a.Identity, a.ClientID, a.ClientSecret, a.TenantID = contract.IdentityStatic, pulumi.String("id"), pulumi.String("s"), pulumi.String("t")
		}, "", ""},
		{"cco with a client ID", func(a *Args) { a.ClientID = pulumi.String("id") }, "azureClientId", "set peerpods:identity to static"},
		{"workload with a client secret", func(a *Args) {
			a.Identity, a.OIDCIssuer, a.ClientSecret = contract.IdentityWorkload, "https://oidc.example.com", pulumi.String("s")
		}, "azureClientSecret", "remove it"},
		{"cco with a subscription", func(a *Args) { a.SubscriptionID = pulumi.String("sub") }, "", ""},
		{"workload", func(a *Args) { a.Identity, a.OIDCIssuer = contract.IdentityWorkload, "https://oidc.example.com" }, "", ""},
		{"workload without issuer", func(a *Args) { a.Identity = contract.IdentityWorkload }, "azure.oidcIssuer", "serviceAccountIssuer"},
		{"workload with an http issuer", func(a *Args) { a.Identity, a.OIDCIssuer = contract.IdentityWorkload, "http://oidc.example.com" }, "azure.oidcIssuer", "exactly as the cluster has it"},
		{"workload with the default issuer", func(a *Args) {
			a.Identity, a.OIDCIssuer = contract.IdentityWorkload, identity.DefaultIssuer
		}, "azure.oidcIssuer", "cco or static"},
		{"workload with a bad identity name", func(a *Args) {
			a.Identity, a.OIDCIssuer, a.IdentityName = contract.IdentityWorkload, "https://oidc.example.com", "-id"
		}, "azure.identityName", "managed identity name"},
		{"issuer and identity name unused outside workload", func(a *Args) { a.OIDCIssuer, a.IdentityName = "x", "-id" }, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := validArgs(OutboundWorkerSubnet)
			c.change(&a)
			err := a.WithDefaults().Validate()
			pulumitest.RequireInputError(t, err, c.setting, c.fix)
		})
	}
}

func TestIdentityDefaults(t *testing.T) {
	a := validArgs(OutboundWorkerSubnet).WithDefaults()
	if a.Identity != contract.IdentityCCO || a.IdentityName != "osc-mycluster-x7k2p-rg" {
		t.Errorf("identity %q, name %q", a.Identity, a.IdentityName)
	}
	if err := validArgs(OutboundWorkerSubnet).WithDefaults().Validate(); err != nil {
		t.Error(err)
	}
	b := validArgs(OutboundWorkerSubnet)
	b.Identity = "sts"
	if err := b.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), `identity is "sts", which is not an identity mode`) || problems.InputErrors(err)[0].Setting != "identity" {
		t.Errorf("unknown mode: %v", err)
	}
}

func TestNeedsClassicProvider(t *testing.T) {
	a := validArgs(OutboundPeerVNet)
	if !a.NeedsClassicProvider() {
		t.Error("peer-vnet without names needs it for discovery")
	}
	a.VNetName, a.NSGName = "v", "n"
	if a.NeedsClassicProvider() {
		t.Error("peer-vnet with names does not need it")
	}
	a.Outbound = OutboundWorkerSubnet
	if !a.NeedsClassicProvider() {
		t.Error("worker-subnet needs it for the association")
	}
	a.Outbound, a.Identity = OutboundPeerVNet, contract.IdentityWorkload
	if !a.NeedsClassicProvider() {
		t.Error("workload needs it for the managed identity")
	}
}

func TestSubscriptionOf(t *testing.T) {
	if got := subscriptionOf("/subscriptions/abc/resourceGroups/rg"); got != "abc" {
		t.Errorf("got %q", got)
	}
	if got := subscriptionOf("garbage"); got != "" {
		t.Errorf("got %q", got)
	}
}

// TestNames checks the names against Azure's naming rules, boundaries
// included: errors name the full setting and give the fix.
func TestNames(t *testing.T) {
	rep := strings.Repeat
	cases := []struct {
		name    string
		change  func(*Args)
		setting string // "" when accepted
	}{
		{"90-character resource group", func(a *Args) { a.ResourceGroup = rep("r", 90) }, ""},
		{"91-character resource group", func(a *Args) { a.ResourceGroup = rep("r", 91) }, "azure.resourceGroup"},
		{"Unicode resource group", func(a *Args) { a.ResourceGroup = "Gruppe-Müller_(Prüfung).ü" }, ""},
		{"90 Unicode letters", func(a *Args) { a.ResourceGroup = rep("ü", 90) }, ""},
		{"91 Unicode letters", func(a *Args) { a.ResourceGroup = rep("ü", 91) }, "azure.resourceGroup"},
		{"one-character resource group", func(a *Args) { a.ResourceGroup = "r" }, ""},
		{"resource group ending in a period", func(a *Args) { a.ResourceGroup = "rg." }, "azure.resourceGroup"},
		{"resource group ending in a parenthesis", func(a *Args) { a.ResourceGroup = "rg(1)" }, ""},
		{"resource group with a space", func(a *Args) { a.ResourceGroup = "my rg" }, "azure.resourceGroup"},
		{"resource group with a slash", func(a *Args) { a.ResourceGroup = "a/b" }, "azure.resourceGroup"},
		{"network resource group ending in a period", func(a *Args) { a.NetworkResourceGroup = "net." }, "azure.networkResourceGroup"},
		{"64-character VNet", func(a *Args) { a.VNetName = "v" + rep("n", 63) }, ""},
		{"65-character VNet", func(a *Args) { a.VNetName = "v" + rep("n", 64) }, "azure.vnetName"},
		{"one-character VNet", func(a *Args) { a.VNetName = "v" }, "azure.vnetName"},
		{"VNet ending in an underscore", func(a *Args) { a.VNetName = "vnet_" }, ""},
		{"VNet ending in a period", func(a *Args) { a.VNetName = "vnet." }, "azure.vnetName"},
		{"Unicode VNet", func(a *Args) { a.VNetName = "netzüberblick" }, "azure.vnetName"},
		{"80-character subnet", func(a *Args) { a.WorkerSubnetName = rep("s", 80) }, ""},
		{"81-character subnet", func(a *Args) { a.WorkerSubnetName = rep("s", 81) }, "azure.workerSubnetName"},
		{"one-character NSG", func(a *Args) { a.NSGName = "n" }, ""},
		{"NSG starting with an underscore", func(a *Args) { a.NSGName = "_nsg" }, "azure.nsgName"},
		{"81-character public IP", func(a *Args) { a.PublicIPName = rep("p", 81) }, "azure.publicIpName"},
		{"NAT gateway ending in -", func(a *Args) { a.NATGatewayName = "gw-" }, "azure.natGatewayName"},
		{"64-character peer VNet", func(a *Args) { a.Outbound, a.PeerVNet.Name = OutboundPeerVNet, "p"+rep("v", 63) }, ""},
		{"65-character peer VNet", func(a *Args) { a.Outbound, a.PeerVNet.Name = OutboundPeerVNet, "p"+rep("v", 64) }, "azure.peerVnet.name"},
		{"81-character peering", func(a *Args) { a.Outbound, a.PeerVNet.ClusterToPeerName = OutboundPeerVNet, rep("c", 81) }, "azure.peerVnet.clusterToPeerName"},
		{"80-character peer subnet", func(a *Args) { a.Outbound, a.PeerVNet.SubnetName = OutboundPeerVNet, rep("s", 80) }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := validArgs(OutboundWorkerSubnet)
			c.change(&a)
			pulumitest.RequireInputError(t, a.WithDefaults().Validate(), c.setting, "; fix: set it to")
		})
	}
}
