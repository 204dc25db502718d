package azure

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Outbound modes: where the pod VMs live and get their outbound NAT.
const (
	// OutboundWorkerSubnet puts the pod VMs on the worker subnet and
	// attaches a NAT gateway to it.
	OutboundWorkerSubnet = "worker-subnet"
	// OutboundPeerVNet puts the pod VMs in a dedicated VNet with its own
	// NAT gateway, peered both ways with the cluster VNet.
	OutboundPeerVNet = "peer-vnet"
)

// Args are the inputs of PeerPods. The json tags are the stack config names
// (under peerpods:azure) and the names validation errors use.
type Args struct {
	// ResourceGroup is the cluster's resource group (<infraID>-rg),
	// AZURE_RESOURCE_GROUP: everything is created there, and the pod VMs'
	// region (AZURE_REGION) is its region. Required; with
	// peerpods:kubeconfig it is read from the cluster (Infrastructure
	// cluster status.platformStatus.azure.resourceGroupName).
	ResourceGroup string `json:"resourceGroup" pulumi:"resourceGroup"`
	// NetworkResourceGroup is the resource group of the cluster VNet,
	// default ResourceGroup. With peerpods:kubeconfig it is read from the
	// cluster when it differs (ARO, or a cluster installed into an
	// existing VNet: status.platformStatus.azure.networkResourceGroupName).
	NetworkResourceGroup string `json:"networkResourceGroup,omitzero" pulumi:"networkResourceGroup,optional" jsonschema:"minLength=1"`
	// VNetName names the cluster VNet; empty (the default) finds it as the
	// docs do: the only VNet of NetworkResourceGroup.
	VNetName string `json:"vnetName,omitzero" pulumi:"vnetName,optional"`
	// WorkerSubnetName names the workers' subnet of the cluster VNet, the
	// pod VMs' subnet (AZURE_SUBNET_ID) in worker-subnet mode; empty (the
	// default) finds it as the docs do: the VNet's subnet whose name
	// contains "worker".
	WorkerSubnetName string `json:"workerSubnetName,omitzero" pulumi:"workerSubnetName,optional"`
	// NSGName names the cluster NSG, which gets the inbound rules and is
	// AZURE_NSG_ID; empty (the default) finds it as the docs do: the only
	// NSG of ResourceGroup.
	NSGName string `json:"nsgName,omitzero" pulumi:"nsgName,optional"`

	// Outbound is the outbound mode: worker-subnet (OutboundWorkerSubnet,
	// the default: the pod VMs on the worker subnet, a NAT gateway attached
	// to it unless it has one already, which is reused) or peer-vnet
	// (OutboundPeerVNet: a peer-pod VNet with its own NAT gateway, peered
	// both ways with the cluster VNet; see PeerVNet).
	Outbound string `json:"outbound,omitzero" pulumi:"outbound,optional" jsonschema:"minLength=1"`
	// PeerVNet describes the peer-pod VNet of outbound peer-vnet (the
	// docs' names and 192.168.0.0/16 by default); ignored in worker-subnet
	// mode.
	PeerVNet *PeerVNet `json:"peerVnet,omitzero" pulumi:"peerVnet,optional"`
	// ClusterVNetPrefixes are the cluster VNet's address prefixes as the
	// stack declares them, default [10.0.0.0/14]; in peer-vnet mode the
	// peer-pod VNet must not overlap them, nor the prefixes the VNet is
	// found to have.
	ClusterVNetPrefixes []string `json:"clusterVnetPrefixes,omitzero" pulumi:"clusterVnetPrefixes,optional"`
	// OtherPrefixes are further ranges the peer-pod VNet of peer-vnet mode
	// must not overlap (other peered networks, on-premises ranges),
	// default none.
	OtherPrefixes []string `json:"otherPrefixes,omitzero" pulumi:"otherPrefixes,optional"`

	// NATGatewayName names the NAT gateway the stack creates (Standard,
	// in ResourceGroup), default peerpod-nat-gw.
	NATGatewayName string `json:"natGatewayName,omitzero" pulumi:"natGatewayName,optional" jsonschema:"minLength=1"`
	// AdoptNATGateway is the name (or ARM ID) of the NAT gateway the worker
	// subnet already uses (the installer's with outbound type NatGateway,
	// or an admin's), which the pod VMs then share as it is: the stack
	// creates no gateway, never changes that one, and destroy leaves it.
	// Worker-subnet mode only. Without it, a gateway on the worker subnet
	// that the stack did not create stops the run before anything is
	// created (the stack would take the subnet over); the error names it.
	AdoptNATGateway string `json:"adoptNatGateway,omitzero" pulumi:"adoptNatGateway,optional"`
	// AdoptRules are names of inbound rules of the cluster NSG that the
	// stack uses as they are instead of creating its own, for the ports
	// each lets through between the subnets (not denied by a rule before
	// it): a rule made by hand or with the docs' command. An adopted rule
	// by the name of one of the stack's is imported into the stack's
	// state. The stack never changes an adopted rule, and destroy leaves
	// it. Without this, a rule by one of the stack's names that the stack
	// did not make stops the run before anything is created.
	AdoptRules []string `json:"adoptRules,omitzero" pulumi:"adoptRules,optional"`
	// PublicIPName names the NAT gateway's static public IP, default
	// peerpod-nat-gw-ip.
	PublicIPName string `json:"publicIpName,omitzero" pulumi:"publicIpName,optional" jsonschema:"minLength=1"`
	// Priorities are the priorities of the stack's inbound rules on the
	// cluster NSG, each from 100 to 4096, different from each other and
	// from every other inbound rule of the NSG.
	Priorities *Priorities `json:"nsgPriorities,omitzero" pulumi:"nsgPriorities,optional"`

	// InstanceSize is AZURE_INSTANCE_SIZE, the pod VMs' default size,
	// default Standard_B2als_v2. It must be one of InstanceSizes:
	// cloud-api-adaptor refuses a size that is not listed.
	InstanceSize string `json:"instanceSize,omitzero" pulumi:"instanceSize,optional" jsonschema:"minLength=1"`
	// InstanceSizes is AZURE_INSTANCE_SIZES, the sizes pods may ask for,
	// default Standard_B2als_v2, Standard_D2as_v5, Standard_D4as_v5,
	// Standard_D2ads_v5 (DefaultInstanceSizes, the docs' list).
	InstanceSizes []string `json:"instanceSizes,omitzero" pulumi:"instanceSizes,optional"`
	// PodVMResourceGroup is AZURE_RESOURCE_GROUP, the resource group of
	// the pod VMs, their disks and network interfaces, and of the image
	// the operator's image job builds. With identity workload it defaults
	// to <resourceGroup>-podvms, a group the stack creates (in the
	// cluster's region, tagged managed-by peerpods) so that the workload
	// identity's roles cover nothing of the cluster's own (on ARO the
	// cluster's group is locked); it must then differ from ResourceGroup
	// and NetworkResourceGroup. In the other modes it defaults to
	// ResourceGroup, where nothing is created for it; another name is
	// created as with workload identity. Destroy deletes a group the stack
	// created, with whatever is still in it.
	PodVMResourceGroup string `json:"podvmResourceGroup,omitzero" pulumi:"podvmResourceGroup,optional"`
	// ImageBuildRoles grants the workload identity, on PodVMResourceGroup,
	// what the operator's image job needs to build the pod VM image there
	// (Storage Account Contributor and Compute Gallery Artifacts
	// Publisher). Default true without ImageID; set it to false once the
	// image is built to remove both assignments (CAA keeps reading the
	// image through its own role). Workload identity only; an error with
	// ImageID.
	ImageBuildRoles *bool `json:"imageBuildRoles,omitzero" pulumi:"imageBuildRoles,optional"`
	// ImageID is AZURE_IMAGE_ID, the pod VM image: an image resource ID
	// (/subscriptions/..., /CommunityGalleries/... or
	// /SharedGalleries/...). Empty (the default) leaves the key to the
	// operator's image job, which builds the image.
	ImageID string `json:"imageId,omitzero" pulumi:"imageId,optional"`

	// Settings are the common peer-pods settings; what is nil or zero
	// takes the default (Settings.WithDefaults).
	Settings *common.Settings `json:"-" pulumi:"settings,optional"`
	// Identity is how cloud-api-adaptor gets its Azure credentials
	// (peerpods:identity): contract.IdentityCCO (the default) leaves them to
	// the operator and the Cloud Credential Operator,
	// contract.IdentityStatic writes ClientID, ClientSecret and TenantID
	// into peer-pods-secret, contract.IdentityWorkload creates a managed
	// identity that trusts the cluster's service account tokens.
	Identity contract.Identity `json:"-" pulumi:"identity,optional"`
	// OIDCIssuer is the cluster's service account issuer (Authentication
	// cluster spec.serviceAccountIssuer), which the workload identity's
	// federated credential trusts. Workload identity only, where it is
	// required; with peerpods:kubeconfig it is read from the cluster.
	OIDCIssuer string `json:"oidcIssuer,omitzero" pulumi:"oidcIssuer,optional"`
	// IdentityName names the user-assigned managed identity of workload
	// identity (workload only, created in ResourceGroup), default
	// osc-<resourceGroup>, the name the operator team's CI gives it. Its
	// roles, each justified in RoleAssignments, are custom roles the
	// stack defines with only the actions cloud-api-adaptor calls: on
	// PodVMResourceGroup its VMs, disks and network interfaces (public IPs
	// only with USE_PUBLIC_IP "true" in peerpods:extra); on the pod VMs'
	// subnet and on the cluster NSG only joining them; on the
	// subscription only listing the region's VM sizes (ARM authorises
	// that list there alone); on AZURE_IMAGE_ID, when it lies outside
	// PodVMResourceGroup, only reading it. ImageBuildRoles adds the
	// operator's image job's two built-in roles on PodVMResourceGroup.
	IdentityName string `json:"identityName,omitzero" pulumi:"identityName,optional" jsonschema:"minLength=1"`
	// ClientID, ClientSecret and TenantID are the service principal
	// cloud-api-adaptor uses in static mode (an error in the others); nil
	// leaves a key out. SubscriptionID defaults to the resource group's
	// subscription (AZURE_SUBSCRIPTION_ID in static mode, SUBSCRIPTIONID of
	// the operator in workload mode). All are made secret.
	ClientID       pulumi.StringInput `json:"-" pulumi:"clientId,optional" provider:"secret"`
	ClientSecret   pulumi.StringInput `json:"-" pulumi:"clientSecret,optional" provider:"secret"`
	TenantID       pulumi.StringInput `json:"-" pulumi:"tenantId,optional" provider:"secret"`
	SubscriptionID pulumi.StringInput `json:"-" pulumi:"subscriptionId,optional" provider:"secret"`
	// SSHPrivateKey is a key pair the user supplies for ssh-key-secret;
	// nil generates one with the TLS provider.
	SSHPrivateKey pulumi.StringInput `json:"-" pulumi:"sshPrivateKey,optional" provider:"secret"`
}

// PeerVNet is the dedicated peer-pod network of OutboundPeerVNet.
type PeerVNet struct {
	// Name of the VNet, default peerpod-vnet; created in ResourceGroup.
	Name string `json:"name,omitzero" pulumi:"name,optional" jsonschema:"minLength=1"`
	// AddressPrefix of the VNet, default 192.168.0.0/16. It must not
	// overlap the cluster VNet (ClusterVNetPrefixes, and the prefixes
	// found) nor OtherPrefixes; touching ranges are fine.
	AddressPrefix string `json:"addressPrefix,omitzero" pulumi:"addressPrefix,optional" jsonschema:"minLength=1"`
	// SubnetName names the VNet's subnet of the pod VMs (AZURE_SUBNET_ID),
	// default peerpod-subnet.
	SubnetName string `json:"subnetName,omitzero" pulumi:"subnetName,optional" jsonschema:"minLength=1"`
	// SubnetPrefix is the subnet's prefix, within AddressPrefix; default
	// the whole VNet (AddressPrefix). It is a source of the NSG rules, so
	// it may cover at most one /8's worth of addresses.
	SubnetPrefix string `json:"subnetPrefix,omitzero" pulumi:"subnetPrefix,optional" jsonschema:"minLength=1"`
	// ClusterToPeerName names the peering from the cluster VNet to the
	// peer-pod VNet, default peerpod-azure-vnet-to-peerpod-vnet.
	ClusterToPeerName string `json:"clusterToPeerName,omitzero" pulumi:"clusterToPeerName,optional" jsonschema:"minLength=1"`
	// PeerToClusterName names the peering from the peer-pod VNet to the
	// cluster VNet, default peerpod-peerpod-vnet-to-azure-vnet.
	PeerToClusterName string `json:"peerToClusterName,omitzero" pulumi:"peerToClusterName,optional" jsonschema:"minLength=1"`
}

// Priorities are the priorities of the NSG rules this stack creates.
type Priorities struct {
	// KataAgent is the priority of rule Allow-Kata-Agent-Internal (TCP
	// 15150, the kata agent), default 112.
	KataAgent int `json:"kataAgent,omitzero" pulumi:"kataAgent,optional" jsonschema:"minimum=1"`
	// TunnelTCP is the priority of rule Allow-VXLAN-Internal (the tunnel
	// port, TCP), default 111.
	TunnelTCP int `json:"tunnelTcp,omitzero" pulumi:"tunnelTcp,optional" jsonschema:"minimum=1"`
	// TunnelUDP is the priority of rule Allow-VXLAN-Internal-UDP (the
	// tunnel port, UDP), default 110.
	TunnelUDP int `json:"tunnelUdp,omitzero" pulumi:"tunnelUdp,optional" jsonschema:"minimum=1"`
}

// Defaults, as in the product documentation.
const (
	DefaultNATGatewayName    = "peerpod-nat-gw"
	DefaultPublicIPName      = "peerpod-nat-gw-ip"
	DefaultPeerVNetName      = "peerpod-vnet"
	DefaultPeerVNetPrefix    = "192.168.0.0/16"
	DefaultPeerSubnetName    = "peerpod-subnet"
	DefaultClusterToPeerName = "peerpod-azure-vnet-to-peerpod-vnet"
	DefaultPeerToClusterName = "peerpod-peerpod-vnet-to-azure-vnet"
	DefaultClusterVNetPrefix = "10.0.0.0/14"
	DefaultInstanceSize      = "Standard_B2als_v2"
	DefaultKataAgentPriority = 112
	DefaultTunnelTCPPriority = 111
	DefaultTunnelUDPPriority = 110
	minPriority, maxPriority = 100, 4096
	kataAgentRuleName        = "Allow-Kata-Agent-Internal"
	tunnelRuleName           = "Allow-VXLAN-Internal"
	tunnelUDPRuleNameSuffix  = "-UDP"
)

// DefaultInstanceSizes is the default AZURE_INSTANCE_SIZES.
var DefaultInstanceSizes = []string{"Standard_B2als_v2", "Standard_D2as_v5", "Standard_D4as_v5", "Standard_D2ads_v5"}

// Descriptions of valid values, after Azure's naming rules
// (learn.microsoft.com azure-resource-manager/management/resource-name-rules;
// the patterns are in package contract).
const (
	whatRG    = "a resource group name, such as mycluster-x7k2p-rg (1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.')"
	whatVNet  = "a virtual network name (2-64 ASCII letters, digits, '_', '.' or '-', starting with a letter or digit, ending with a letter, digit or '_')"
	whatName  = "an Azure network resource name (1-80 ASCII letters, digits, '_', '.' or '-', starting with a letter or digit, ending with a letter, digit or '_')"
	whatSize  = "a VM size such as Standard_B2als_v2"
	whatImage = "an image resource ID (/subscriptions/..., /CommunityGalleries/... or /SharedGalleries/...), or empty to let the operator build one"
)

// WithDefaults returns a copy of a with the defaults filled in.
func (a Args) WithDefaults() Args {
	a.Settings = a.Settings.WithDefaults(contract.Azure)
	a.Identity = contract.IdentityOr(contract.Azure, a.Identity)
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&a.IdentityName, identityNamePrefix+a.ResourceGroup)
	if a.Identity == contract.IdentityWorkload {
		def(&a.PodVMResourceGroup, a.ResourceGroup+podVMGroupSuffix)
	}
	def(&a.PodVMResourceGroup, a.ResourceGroup)
	def(&a.NetworkResourceGroup, a.ResourceGroup)
	def(&a.Outbound, OutboundWorkerSubnet)
	def(&a.NATGatewayName, DefaultNATGatewayName)
	def(&a.PublicIPName, DefaultPublicIPName)
	def(&a.InstanceSize, DefaultInstanceSize)
	vnet, prio := PeerVNet{}, Priorities{}
	if a.PeerVNet != nil {
		vnet = *a.PeerVNet
	}
	if a.Priorities != nil {
		prio = *a.Priorities
	}
	a.PeerVNet, a.Priorities = &vnet, &prio
	def(&a.PeerVNet.Name, DefaultPeerVNetName)
	def(&a.PeerVNet.AddressPrefix, DefaultPeerVNetPrefix)
	def(&a.PeerVNet.SubnetName, DefaultPeerSubnetName)
	def(&a.PeerVNet.SubnetPrefix, a.PeerVNet.AddressPrefix)
	def(&a.PeerVNet.ClusterToPeerName, DefaultClusterToPeerName)
	def(&a.PeerVNet.PeerToClusterName, DefaultPeerToClusterName)
	if a.InstanceSizes == nil {
		a.InstanceSizes = slices.Clone(DefaultInstanceSizes)
	}
	if a.ClusterVNetPrefixes == nil {
		a.ClusterVNetPrefixes = []string{DefaultClusterVNetPrefix}
	}
	if a.Priorities.KataAgent == 0 {
		a.Priorities.KataAgent = DefaultKataAgentPriority
	}
	if a.Priorities.TunnelTCP == 0 {
		a.Priorities.TunnelTCP = DefaultTunnelTCPPriority
	}
	if a.Priorities.TunnelUDP == 0 {
		a.Priorities.TunnelUDP = DefaultTunnelUDPPriority
	}
	return a
}

// Validate checks the arguments (after WithDefaults) and reports every
// problem in one error, settings named "azure.<name>".
func (a Args) Validate() error {
	var p problems.List
	p.Add(a.Settings.ValidateFor(contract.Azure))
	p.Add(check.Pattern("azure.resourceGroup", a.ResourceGroup, contract.AzureResourceGroupPattern, whatRG))
	if a.NetworkResourceGroup != a.ResourceGroup {
		p.Add(check.Pattern("azure.networkResourceGroup", a.NetworkResourceGroup, contract.AzureResourceGroupPattern, whatRG))
	}
	p.Add(a.checkPodVMGroup())
	if a.VNetName != "" {
		p.Add(check.Pattern("azure.vnetName", a.VNetName, contract.AzureVNetNamePattern, whatVNet))
	}
	for _, f := range []field{{"azure.workerSubnetName", a.WorkerSubnetName}, {"azure.nsgName", a.NSGName}} {
		if f.value != "" {
			p.Add(check.Pattern(f.setting, f.value, contract.AzureNetworkNamePattern, whatName))
		}
	}
	if a.AdoptNATGateway != "" && a.Outbound != OutboundWorkerSubnet {
		p.Add(problems.Invalid(settingAdoptNAT, "is set in "+string(a.Outbound)+" mode, whose pod VMs use the peer subnet's own gateway", "remove azure.adoptNatGateway, or use outbound worker-subnet"))
	}
	for _, f := range []field{{"azure.natGatewayName", a.NATGatewayName}, {"azure.publicIpName", a.PublicIPName}} {
		p.Add(check.Pattern(f.setting, f.value, contract.AzureNetworkNamePattern, whatName))
	}
	p.Add(check.Pattern("azure.instanceSize", a.InstanceSize, contract.AzureVMSizePattern, whatSize))
	p.Add(check.Each("azure.instanceSizes", a.InstanceSizes, contract.AzureVMSizePattern, whatSize))
	if contract.AzureVMSizePattern.MatchString(a.InstanceSize) {
		p.Add(check.Listed("azure.instanceSize", a.InstanceSize, "azure.instanceSizes", a.InstanceSizes))
	}
	if a.ImageID != "" {
		p.Add(check.Pattern("azure.imageId", a.ImageID, contract.AzureImageIDPattern, whatImage))
	}
	p.Add(netrules.CheckPriorities(a.priorities(), minPriority, maxPriority))
	p.Add(a.checkIdentity())

	clusterPrefixes, err := netrules.ParsePrefixes("azure.clusterVnetPrefixes", a.ClusterVNetPrefixes)
	p.Add(err)
	others, err := netrules.ParsePrefixes("azure.otherPrefixes", a.OtherPrefixes)
	p.Add(err)

	switch a.Outbound {
	case OutboundWorkerSubnet:
	case OutboundPeerVNet:
		p.Add(check.Pattern("azure.peerVnet.name", a.PeerVNet.Name, contract.AzureVNetNamePattern, whatVNet))
		for _, f := range []field{
			{"azure.peerVnet.subnetName", a.PeerVNet.SubnetName},
			{"azure.peerVnet.clusterToPeerName", a.PeerVNet.ClusterToPeerName}, {"azure.peerVnet.peerToClusterName", a.PeerVNet.PeerToClusterName},
		} {
			p.Add(check.Pattern(f.setting, f.value, contract.AzureNetworkNamePattern, whatName))
		}
		if a.VNetName != "" && a.VNetName == a.PeerVNet.Name && a.NetworkResourceGroup == a.ResourceGroup {
			p.Add(problems.Invalid("azure.peerVnet.name", fmt.Sprintf("is %q, the cluster VNet's name", a.VNetName), "give the peer-pod VNet its own name"))
		}
		var declared []netrules.NamedPrefix
		for i, c := range clusterPrefixes {
			declared = append(declared, netrules.NamedPrefix{Name: fmt.Sprintf("azure.clusterVnetPrefixes[%d]", i), Prefix: c})
		}
		for i, o := range others {
			declared = append(declared, netrules.NamedPrefix{Name: fmt.Sprintf("azure.otherPrefixes[%d]", i), Prefix: o})
		}
		p.Add(a.checkPeerPrefixes(declared))
	default:
		p.Add(problems.Invalid("azure.outbound", fmt.Sprintf("is %q, which is not an outbound mode", a.Outbound),
			fmt.Sprintf("use %q (NAT gateway on the worker subnet) or %q (a peered peer-pod VNet)", OutboundWorkerSubnet, OutboundPeerVNet)))
	}
	return p.Err()
}

// Fixes of NSG source ranges that let too many addresses in.
const (
	fixPeerSources   = "use a smaller azure.peerVnet.subnetPrefix, such as the default 192.168.0.0/16, and check that azure.workerSubnetName names the workers' own subnet"
	fixWorkerSources = "name the workers' own subnet with azure.workerSubnetName: the NSG rules let its every address in"
)

// field is a setting and its value.
type field struct{ setting, value string }

// checkPeerPrefixes checks the peer-pod VNet and subnet prefixes against
// each other and against others.
func (a Args) checkPeerPrefixes(others []netrules.NamedPrefix) error {
	vnet, err := check.ParsePrefix("azure.peerVnet.addressPrefix", a.PeerVNet.AddressPrefix)
	if err != nil {
		return err
	}
	subnet, err := check.ParsePrefix("azure.peerVnet.subnetPrefix", a.PeerVNet.SubnetPrefix)
	if err != nil {
		return err
	}
	var p problems.List
	p.Add(netrules.CheckWithin("azure.peerVnet.subnetPrefix", subnet, vnet, "azure.peerVnet.addressPrefix"))
	p.Add(netrules.CheckDisjoint("azure.peerVnet.addressPrefix", vnet, others))
	// The NSG rules let the subnet in: alone it must pass the exposure
	// check already (with the worker subnet: checkSources).
	p.Add(netrules.CheckSources("azure.peerVnet.subnetPrefix",
		[]netrules.NamedPrefix{{Name: "azure.peerVnet.subnetPrefix", Prefix: subnet}}, fixPeerSources, a.Settings.PublicAllowed()))
	return p.Err()
}

// priorities lists the priorities of the rules the settings create.
func (a Args) priorities() []netrules.Priority {
	var out []netrules.Priority
	for _, r := range a.rules() {
		out = append(out, netrules.Priority{Setting: r.setting, Value: r.priority})
	}
	return out
}

// nsgRule is one NSG rule to create.
type nsgRule struct {
	name     string
	port     netrules.Port
	priority int
	setting  string
}

// Settings of the adoption lists.
const (
	settingAdoptNAT   = "azure.adoptNatGateway"
	settingAdoptRules = "azure.adoptRules"
)

// rules are the NSG rules to create, one per port and protocol.
func (a Args) rules() []nsgRule {
	var out []nsgRule
	for _, port := range a.Settings.Ports() {
		r := nsgRule{port: port}
		switch {
		case port.Role == netrules.RoleKataAgent:
			r.name, r.priority, r.setting = kataAgentRuleName, a.Priorities.KataAgent, "azure.nsgPriorities.kataAgent"
		case port.Protocol == netrules.TCP:
			r.name, r.priority, r.setting = tunnelRuleName, a.Priorities.TunnelTCP, "azure.nsgPriorities.tunnelTcp"
		default:
			r.name, r.priority, r.setting = tunnelRuleName+tunnelUDPRuleNameSuffix, a.Priorities.TunnelUDP, "azure.nsgPriorities.tunnelUdp"
		}
		out = append(out, r)
	}
	return out
}

// peerPrefixes returns the parsed peer VNet and subnet prefixes of valid
// args.
func (a Args) peerPrefixes() (vnet, subnet netip.Prefix) {
	return netip.MustParsePrefix(a.PeerVNet.AddressPrefix), netip.MustParsePrefix(a.PeerVNet.SubnetPrefix)
}

// discovered are the names of n that discovery decided (the settings the
// user did not give), by setting name.
func (a Args) discovered(n Network) map[string]string {
	m := map[string]string{}
	for _, v := range []struct{ setting, given, found string }{
		{"azure.vnetName", a.VNetName, n.VNetName},
		{"azure.workerSubnetName", a.WorkerSubnetName, n.WorkerSubnetName},
		{"azure.nsgName", a.NSGName, n.NSGName},
	} {
		if v.given == "" {
			m[v.setting] = v.found
		}
	}
	return m
}
