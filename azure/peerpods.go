package azure

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/sshkey"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	classicnet "github.com/pulumi/pulumi-azure/sdk/v6/go/azure/network"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PeerPodsType is the type token of PeerPods.
const PeerPodsType = "peerpods:azure:PeerPods"

// PeerPods is the Azure side of peer pods: outbound NAT for the pod VMs,
// NSG rules for the kata agent and the tunnel, an SSH key pair, and the
// Azure peer-pods values.
type PeerPods struct {
	pulumi.ResourceState

	// Network is the cluster network as discovered.
	Network Network
	// Result holds the values and the rules created (AWS: one ingress
	// rule per group, port and protocol; Azure: the NSG rules; GCP: the
	// firewall rule).
	values.Result

	// Cloud, ConfigMap, Secret and SSHKeySecret are the values as
	// outputs (values.Outputs).
	Cloud        pulumi.StringOutput    `pulumi:"cloud"`
	ConfigMap    pulumi.StringMapOutput `pulumi:"configMap"`
	Secret       pulumi.StringMapOutput `pulumi:"secret" provider:"secret"`
	SSHKeySecret pulumi.StringMapOutput `pulumi:"sshKeySecret" provider:"secret"`
	// NATGatewayID is the ID of the NAT gateway the pod VMs reach the
	// internet through: the stack's, or the one the worker subnet already
	// had (NATGatewayReused).
	NATGatewayID pulumi.StringOutput `pulumi:"natGatewayId"`
	// NATGatewayReused is true when the worker subnet already had a NAT
	// gateway (the installer's outbound type NatGateway, or an admin's):
	// the pod VMs share it, and the stack creates no gateway, IP or
	// association.
	NATGatewayReused pulumi.BoolOutput `pulumi:"natGatewayReused"`
	// OutboundIP is the public IP of the stack's NAT gateway; null when
	// the worker subnet's own gateway is reused.
	OutboundIP pulumi.StringPtrOutput `pulumi:"outboundIp"`
	// PodSubnetID is AZURE_SUBNET_ID, the subnet the pod VMs use.
	PodSubnetID pulumi.StringOutput `pulumi:"podSubnetId"`
	// ClientID, TenantID and SubscriptionID are the workload identity the
	// operator is to be given (its CLIENTID, TENANTID and SUBSCRIPTIONID);
	// null unless identity is workload.
	ClientID       pulumi.StringPtrOutput `pulumi:"clientId"`
	TenantID       pulumi.StringPtrOutput `pulumi:"tenantId"`
	SubscriptionID pulumi.StringPtrOutput `pulumi:"subscriptionId"`

	// Identity is the managed identity of workload mode, nil in the
	// others.
	Identity *WorkloadIdentity
}

// NewPeerPods validates args, discovers the cluster network and creates the
// Azure side of peer pods. Providers come from opts: azure-native always,
// the classic azure provider for the worker-subnet mode, for discovery and
// for the workload identity, the TLS provider when no SSH key is supplied.
// What the cluster already has is used as it is: a NAT gateway on the
// worker subnet, NSG rules that already let the peer-pods ports through.
// Nothing is registered when args are invalid or the network does not fit
// them.
func NewPeerPods(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*PeerPods, error) {
	args = args.WithDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	keyArgs := sshkey.SSHKeyPairArgs{PrivateKey: args.SSHPrivateKey}
	if err := keyArgs.Check(opts); err != nil {
		return nil, err
	}
	var provs Providers
	var err error
	if provs.Native, err = providers.RequireProvider("azure-native", "azure-native", opts); err != nil {
		return nil, err
	}
	if args.NeedsClassicProvider() {
		if provs.Classic, err = providers.RequireProvider("azure", "azure (classic, for discovery, the NAT association and the workload identity)", opts); err != nil {
			return nil, err
		}
	}
	n, err := Discover(ctx, args, provs)
	if err != nil {
		return nil, err
	}
	plan, err := args.checkNetwork(n)
	if err != nil {
		return nil, err
	}

	c := &PeerPods{Network: n}
	c.Discovered = args.discovered(n)
	if err := ctx.RegisterComponentResource(PeerPodsType, name, c, opts...); err != nil {
		return nil, err
	}
	nativeOpts := func(more ...pulumi.ResourceOption) []pulumi.ResourceOption {
		return append([]pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provs.Native)}, more...)
	}
	tags := pulumi.StringMap{common.ManagedByTag: pulumi.String(common.ManagedBy)}
	var ready []pulumi.Resource

	key, err := sshkey.NewSSHKeyPair(ctx, name+"-ssh", keyArgs, c, opts...)
	if err != nil {
		return nil, err
	}

	// The pod VMs' own resource group (AZURE_RESOURCE_GROUP), in the
	// cluster's region; the identity's roles there come after it.
	var roleDeps []pulumi.Resource
	if args.createsPodVMGroup() {
		group, err := resources.NewResourceGroup(ctx, name+"-podvms", &resources.ResourceGroupArgs{
			ResourceGroupName: pulumi.String(args.PodVMResourceGroup),
			Location:          pulumi.String(n.Region),
			Tags:              tags,
		}, nativeOpts()...)
		if err != nil {
			return nil, err
		}
		roleDeps = append(roleDeps, group)
		ready = append(ready, group)
	}

	// The worker subnet's own NAT gateway, adopted (azure.adoptNatGateway:
	// the installer's with outbound type NatGateway, or an admin's),
	// already gives the pod VMs on that subnet their egress
	// (checkNetwork refuses one that is not adopted).
	reuse := args.reusesGateway(n)
	var natgw *network.NatGateway
	if reuse {
		c.NATGatewayID = pulumi.String(n.WorkerSubnetNATGatewayID).ToStringOutput()
		c.OutboundIP = null()
		if err := ctx.Log.Info(fmt.Sprintf("worker subnet %s already has NAT gateway %s: the pod VMs use it, no NAT gateway is created", n.WorkerSubnetName, n.WorkerSubnetNATGatewayID), &pulumi.LogArgs{Resource: c}); err != nil {
			return nil, err
		}
	} else {
		ip, err := network.NewPublicIPAddress(ctx, name+"-nat-ip", &network.PublicIPAddressArgs{
			PublicIpAddressName:      pulumi.String(args.PublicIPName),
			ResourceGroupName:        pulumi.String(args.ResourceGroup),
			Location:                 pulumi.String(n.Region),
			Sku:                      &network.PublicIPAddressSkuArgs{Name: pulumi.String("Standard"), Tier: pulumi.String("Regional")},
			PublicIPAllocationMethod: pulumi.String("Static"),
			PublicIPAddressVersion:   pulumi.String("IPv4"),
			Tags:                     tags,
		}, nativeOpts()...)
		if err != nil {
			return nil, err
		}
		natgw, err = network.NewNatGateway(ctx, name+"-nat-gw", &network.NatGatewayArgs{
			NatGatewayName:    pulumi.String(args.NATGatewayName),
			ResourceGroupName: pulumi.String(args.ResourceGroup),
			Location:          pulumi.String(n.Region),
			Sku:               &network.NatGatewaySkuArgs{Name: pulumi.String("Standard")},
			PublicIpAddresses: network.SubResourceArray{&network.SubResourceArgs{Id: ip.ID().ToStringOutput()}},
			Tags:              tags,
		}, nativeOpts()...)
		if err != nil {
			return nil, err
		}
		c.NATGatewayID = natgw.ID().ToStringOutput()
		c.OutboundIP = ip.IpAddress
	}

	// The prefixes the NSG rules allow between: the pod VMs' subnet and the
	// workers' (the same subnet in worker-subnet mode).
	var declared []string // as the rules output lists them, for peerpods check
	for _, s := range args.nsgSources(n) {
		declared = append(declared, s.Prefix.String())
	}
	prefixes := pulumi.ToStringArray(declared)
	var podSubnetID pulumi.StringOutput
	switch args.Outbound {
	case OutboundWorkerSubnet:
		podSubnetID = pulumi.String(n.WorkerSubnetID).ToStringOutput()
		if reuse {
			break
		}
		// The worker subnet belongs to the OpenShift installer: the
		// association resource attaches the NAT gateway to it and detaches
		// it on delete, without managing (or rewriting) the subnet itself.
		// azure-native has no association resource; the classic provider's
		// is the one resource that owns exactly this link.
		// A subnet has one gateway: when the gateway is replaced (a new
		// azure.natGatewayName), the link to the old one goes first.
		assoc, err := classicnet.NewSubnetNatGatewayAssociation(ctx, name+"-worker-subnet-nat", &classicnet.SubnetNatGatewayAssociationArgs{
			SubnetId:     pulumi.String(n.WorkerSubnetID),
			NatGatewayId: natgw.ID().ToStringOutput(),
		}, pulumi.Parent(c), pulumi.Provider(provs.Classic), pulumi.DependsOn([]pulumi.Resource{natgw}), pulumi.DeleteBeforeReplace(true))
		if err != nil {
			return nil, err
		}
		ready = append(ready, assoc)
	case OutboundPeerVNet:
		vnetPrefix, subnetPrefix := args.peerPrefixes()
		vnet, err := network.NewVirtualNetwork(ctx, name+"-peer-vnet", &network.VirtualNetworkArgs{
			VirtualNetworkName: pulumi.String(args.PeerVNet.Name),
			ResourceGroupName:  pulumi.String(args.ResourceGroup),
			Location:           pulumi.String(n.Region),
			AddressSpace:       &network.AddressSpaceArgs{AddressPrefixes: pulumi.StringArray{pulumi.String(vnetPrefix.String())}},
			Tags:               tags,
		}, nativeOpts()...)
		if err != nil {
			return nil, err
		}
		subnet, err := network.NewSubnet(ctx, name+"-peer-subnet", &network.SubnetArgs{
			SubnetName:         pulumi.String(args.PeerVNet.SubnetName),
			VirtualNetworkName: pulumi.String(args.PeerVNet.Name),
			ResourceGroupName:  pulumi.String(args.ResourceGroup),
			AddressPrefix:      pulumi.String(subnetPrefix.String()),
			NatGateway:         &network.SubResourceArgs{Id: natgw.ID().ToStringOutput()},
		}, nativeOpts(pulumi.DependsOn([]pulumi.Resource{vnet, natgw}))...)
		if err != nil {
			return nil, err
		}
		// Peerings go after the subnet (one operation at a time on a VNet)
		// and, on destroy, before the VNet.
		toPeer, err := network.NewVirtualNetworkPeering(ctx, name+"-cluster-to-peer", &network.VirtualNetworkPeeringArgs{
			VirtualNetworkPeeringName: pulumi.String(args.PeerVNet.ClusterToPeerName),
			VirtualNetworkName:        pulumi.String(n.VNetName),
			ResourceGroupName:         pulumi.String(args.NetworkResourceGroup),
			RemoteVirtualNetwork:      &network.SubResourceArgs{Id: vnet.ID().ToStringOutput()},
			AllowVirtualNetworkAccess: pulumi.Bool(true),
			AllowForwardedTraffic:     pulumi.Bool(true),
		}, nativeOpts(pulumi.DependsOn([]pulumi.Resource{vnet, subnet}))...)
		if err != nil {
			return nil, err
		}
		toCluster, err := network.NewVirtualNetworkPeering(ctx, name+"-peer-to-cluster", &network.VirtualNetworkPeeringArgs{
			VirtualNetworkPeeringName: pulumi.String(args.PeerVNet.PeerToClusterName),
			VirtualNetworkName:        pulumi.String(args.PeerVNet.Name),
			ResourceGroupName:         pulumi.String(args.ResourceGroup),
			RemoteVirtualNetwork:      &network.SubResourceArgs{Id: pulumi.String(n.VNetID)},
			AllowVirtualNetworkAccess: pulumi.Bool(true),
			AllowForwardedTraffic:     pulumi.Bool(true),
		}, nativeOpts(pulumi.DependsOn([]pulumi.Resource{vnet, subnet, toPeer}))...)
		if err != nil {
			return nil, err
		}
		ready = append(ready, subnet, toPeer, toCluster)
		roleDeps = append(roleDeps, subnet)
		podSubnetID = subnet.ID().ToStringOutput()
	}
	// The NAT gateway must stay on the pod VMs' subnet: the "rules" output
	// lists the link, for peerpods check (CheckRules).
	gwID, gwName, subnetName := pulumiID(n.WorkerSubnetNATGatewayID), idName(n.WorkerSubnetNATGatewayID), n.WorkerSubnetName
	if !reuse {
		gwID, gwName = natgw.ID(), args.NATGatewayName
	}
	if args.Outbound == OutboundPeerVNet {
		subnetName = args.PeerVNet.SubnetName
	}
	c.Attachments = []values.Rule{{Name: "NAT gateway " + gwName, ID: gwID, Target: "subnet " + subnetName, AttachedTo: podSubnetID, Adopted: reuse}}

	adopted := map[string]int{} // existing rule ID -> index in c.Rules
	for _, act := range plan {
		if e := act.adopt; e != nil {
			if i, ok := adopted[e.ID]; ok {
				c.Rules[i].Ports = append(c.Rules[i].Ports, act.port)
				continue
			}
			adopted[e.ID] = len(c.Rules)
			c.Rules = append(c.Rules, values.Rule{Name: e.Name, ID: pulumiID(e.ID), Target: n.NSGName, Ports: []netrules.Port{act.port}, Adopted: true,
				Sources: declared, Destinations: declared})
			if err := ctx.Log.Info(fmt.Sprintf("NSG %s: rule %s already lets %s through; it is used as it is, %s is not created", n.NSGName, e.Name, act.port, act.name), &pulumi.LogArgs{Resource: c}); err != nil {
				return nil, err
			}
			continue
		}
		r := act.nsgRule
		ruleOpts := nativeOpts()
		if act.importID != "" {
			// Adopted: imported as it is, never rewritten, kept on destroy.
			ruleOpts = nativeOpts(pulumi.Import(pulumi.ID(act.importID)), pulumi.RetainOnDelete(true), pulumi.IgnoreChanges(adoptedRuleFields))
		}
		rule, err := network.NewSecurityRule(ctx, name+"-"+strings.ToLower(r.name), &network.SecurityRuleArgs{
			SecurityRuleName:           pulumi.String(r.name),
			NetworkSecurityGroupName:   pulumi.String(n.NSGName),
			ResourceGroupName:          pulumi.String(args.ResourceGroup),
			Priority:                   pulumi.Int(r.priority),
			Direction:                  pulumi.String("Inbound"),
			Access:                     pulumi.String("Allow"),
			Protocol:                   pulumi.String(protocolName(r.port.Protocol)),
			SourcePortRange:            pulumi.String("*"),
			DestinationPortRange:       pulumi.String(strconv.Itoa(r.port.Number)),
			SourceAddressPrefixes:      prefixes,
			DestinationAddressPrefixes: prefixes,
			Description:                pulumi.String(fmt.Sprintf("%s%s %s", ourDescription, r.port.Role, r.port)),
		}, ruleOpts...)
		if err != nil {
			return nil, err
		}
		ready = append(ready, rule)
		c.Rules = append(c.Rules, values.Rule{Name: r.name, ID: rule.ID(), Target: n.NSGName, Ports: []netrules.Port{r.port}, Adopted: act.importID != "",
			Sources: declared, Destinations: declared})
	}

	c.ClientID, c.TenantID, c.SubscriptionID = null(), null(), null()
	if args.Identity == contract.IdentityWorkload {
		if c.Identity, err = newWorkloadIdentity(ctx, name, args, n, roleDeps, pulumi.Parent(c), pulumi.Provider(provs.Classic)); err != nil {
			return nil, err
		}
		// The operator is to start its flow once CAA's token is trusted
		// and the roles are granted.
		ready = append(ready, c.Identity.Credential)
		for _, r := range c.Identity.Roles {
			ready = append(ready, r)
		}
		c.ClientID = c.Identity.Identity.ClientId.ToStringPtrOutput()
		c.TenantID = c.Identity.Identity.TenantId.ToStringPtrOutput()
		c.SubscriptionID = args.subscription(n).ToStringOutput().ToStringPtrOutput()
	}

	c.Values = args.values(n, podSubnetID, key, c.Identity)
	c.Values.Ready = ready
	o := c.Values.Outputs()
	c.Cloud, c.ConfigMap, c.Secret, c.SSHKeySecret = o.Cloud, o.ConfigMap, o.Secret, o.SSHKeySecret
	c.NATGatewayReused = pulumi.Bool(reuse).ToBoolOutput()
	c.PodSubnetID = podSubnetID
	c.CloudOutputs = pulumi.Map{"outboundIp": c.OutboundIP, "natGatewayId": c.NATGatewayID, "natGatewayReused": c.NATGatewayReused}
	if c.Identity != nil {
		c.CloudOutputs["clientId"], c.CloudOutputs["tenantId"], c.CloudOutputs["subscriptionId"] = c.ClientID, c.TenantID, c.SubscriptionID
	}
	if err := ctx.RegisterResourceOutputs(c, o.With(pulumi.Map{
		"natGatewayId":     c.NATGatewayID,
		"natGatewayReused": c.NATGatewayReused,
		"outboundIp":       c.OutboundIP,
		"podSubnetId":      c.PodSubnetID,
		"clientId":         c.ClientID,
		"tenantId":         c.TenantID,
		"subscriptionId":   c.SubscriptionID,
	})); err != nil {
		return nil, err
	}
	return c, nil
}

// NeedsClassicProvider reports whether the classic azure provider is needed:
// for the NAT association of the worker-subnet mode, to list the resource
// group when the VNet or NSG is not named, and for the managed identity of
// workload mode.
func (a Args) NeedsClassicProvider() bool {
	a = a.WithDefaults()
	return a.Outbound == OutboundWorkerSubnet || a.VNetName == "" || a.NSGName == "" || a.Identity == contract.IdentityWorkload
}

// adoptedRuleFields are the fields of an adopted NSG rule that the stack
// neither compares on import nor ever rewrites: all it declares but the
// names that identify the rule.
var adoptedRuleFields = []string{"priority", "direction", "access", "protocol", "sourcePortRange", "destinationPortRange",
	"sourceAddressPrefixes", "destinationAddressPrefixes", "description"}

// reusesGateway reports whether the pod VMs use the worker subnet's NAT
// gateway as it is: in worker-subnet mode, when azure.adoptNatGateway
// names the gateway the subnet has.
func (a Args) reusesGateway(n Network) bool {
	id := n.WorkerSubnetNATGatewayID
	if a.Outbound != OutboundWorkerSubnet || id == "" || a.AdoptNATGateway == "" {
		return false
	}
	return netrules.EqualFoldID(id, a.AdoptNATGateway) || strings.EqualFold(idName(id), a.AdoptNATGateway)
}

// checkGateway reports a worker-subnet gateway the stack would take the
// subnet from without having made it, and an adoption that names another
// gateway than the subnet's.
func (a Args) checkGateway(n Network) error {
	if a.Outbound != OutboundWorkerSubnet {
		return nil
	}
	id := n.WorkerSubnetNATGatewayID
	switch {
	case a.AdoptNATGateway != "" && !a.reusesGateway(n):
		has := "has no NAT gateway"
		if id != "" {
			has = "uses NAT gateway " + id
		}
		return problems.Invalid(settingAdoptNAT, fmt.Sprintf("is %q, but worker subnet %s %s", a.AdoptNATGateway, n.WorkerSubnetName, has),
			"name the gateway the worker subnet uses, or remove azure.adoptNatGateway to let the stack create its own")
	case a.reusesGateway(n) || id == "" || netrules.EqualFoldID(id, natGatewayID(n.SubscriptionID, a)) || n.WorkerSubnetNATGatewayTagged:
		// the adopted gateway, none, the stack's own, or one a peerpods
		// stack made under another name (azure.natGatewayName changed):
		// the stack declares its own and the engine replaces the old one
		// if it is in the stack's state.
		return nil
	}
	return problems.Invalid(settingAdoptNAT, fmt.Sprintf("is not set, but worker subnet %s already uses NAT gateway %s, which this stack did not create (it does not carry the %s tag): the stack's gateway would take the subnet from it",
		n.WorkerSubnetName, id, common.ManagedByTag),
		fmt.Sprintf("set azure.adoptNatGateway to %s to let the pod VMs use it as it is (destroy then leaves it), or detach it from the subnet", idName(id)))
}

// checkNetwork checks what discovery found against args, before anything
// is registered, and plans the NSG rules: which existing ones are adopted,
// which the stack creates (planRules). A NAT gateway already on the worker
// subnet must be adopted (checkGateway).
func (a Args) checkNetwork(n Network) ([]ruleAction, error) {
	var p problems.List
	var peerErr error
	switch a.Outbound {
	case OutboundPeerVNet:
		var others []netrules.NamedPrefix
		for _, v := range n.VNetPrefixes {
			others = append(others, netrules.NamedPrefix{Name: "cluster VNet " + n.VNetName, Prefix: v})
		}
		others = append(others, a.declaredPrefixes()...)
		peerErr = a.checkPeerPrefixes(others)
		p.Add(peerErr)
	}
	if peerErr != nil {
		return nil, p.Err()
	}
	// an overlap would show again as a contained source range
	p.Add(a.checkSources(n))
	p.Add(a.checkGateway(n))
	plan, err := a.planRules(n)
	p.Add(err)
	for _, act := range plan {
		if act.adopt != nil || act.importID != "" {
			continue
		}
		for _, e := range n.NSGRules {
			if e.Priority == act.priority && strings.EqualFold(e.Direction, "Inbound") && !strings.EqualFold(e.Name, act.name) {
				p.Add(problems.Invalid(act.setting, fmt.Sprintf("is %d, already used by rule %s of NSG %s", act.priority, e.Name, n.NSGName),
					"choose a priority no inbound rule of the NSG uses"))
			}
		}
	}
	return plan, p.Err()
}

// nsgSources are the prefixes the NSG rules open the peer-pods ports
// between, each named by the setting it comes from: the peer-pod subnet in
// peer-vnet mode, and the worker subnet's (discovered, or named by
// azure.workerSubnetName).
func (a Args) nsgSources(n Network) []netrules.NamedPrefix {
	var out []netrules.NamedPrefix
	if a.Outbound == OutboundPeerVNet {
		_, subnet := a.peerPrefixes()
		out = append(out, netrules.NamedPrefix{Name: "azure.peerVnet.subnetPrefix", Prefix: subnet})
	}
	for _, p := range n.WorkerSubnetPrefixes {
		out = append(out, netrules.NamedPrefix{Name: "azure.workerSubnetName", Prefix: p})
	}
	return out
}

// checkSources checks the NSG rules' source prefixes with
// netrules.CheckSources: their union's size, and each private.
func (a Args) checkSources(n Network) error {
	setting, fix := "azure.workerSubnetName", fixWorkerSources
	if a.Outbound == OutboundPeerVNet {
		setting, fix = "azure.peerVnet.subnetPrefix", fixPeerSources
	}
	return netrules.CheckSources(setting, a.nsgSources(n), fix, a.Settings.PublicAllowed())
}

// declaredPrefixes are the prefixes of OtherPrefixes (the declared cluster
// prefixes are replaced by the discovered ones).
func (a Args) declaredPrefixes() []netrules.NamedPrefix {
	var out []netrules.NamedPrefix
	for i, v := range a.OtherPrefixes {
		p, _ := check.ParsePrefix("", v)
		out = append(out, netrules.NamedPrefix{Name: fmt.Sprintf("azure.otherPrefixes[%d]", i), Prefix: p})
	}
	return out
}

// protocolName is the NSG spelling of a protocol.
func protocolName(p netrules.Protocol) string {
	if p == netrules.UDP {
		return "Udp"
	}
	return "Tcp"
}

// subscription is the subscription of AZURE_SUBSCRIPTION_ID and of the
// operator's SUBSCRIPTIONID: the one given, else the resource group's.
func (a Args) subscription(n Network) pulumi.StringInput {
	if a.SubscriptionID != nil {
		return a.SubscriptionID
	}
	return pulumi.String(n.SubscriptionID)
}

// values are the Azure peer-pods values: peer-pods-secret only in static
// mode (the operator writes it in the others, AZURE_SUBSCRIPTION_ID
// included), the operator's environment in workload mode.
func (a Args) values(n Network, podSubnetID pulumi.StringOutput, key *sshkey.SSHKeyPair, w *WorkloadIdentity) values.Values {
	cm := values.PlainMap(a.Settings.ConfigMap(contract.Azure))
	cm[contract.KeyAzureRegion] = pulumi.String(n.Region)
	cm[contract.KeyAzureResourceGroup] = pulumi.String(a.PodVMResourceGroup)
	cm[contract.KeyAzureSubnetID] = podSubnetID
	cm[contract.KeyAzureNSGID] = pulumi.String(n.NSGID)
	cm[contract.KeyAzureInstanceSize] = pulumi.String(a.InstanceSize)
	cm[contract.KeyAzureInstanceSizes] = pulumi.String(strings.Join(a.InstanceSizes, ","))
	if a.ImageID != "" { // else the operator's image job owns the key
		cm[contract.KeyAzureImageID] = pulumi.String(a.ImageID)
	}

	v := values.Values{Cloud: contract.Azure, Identity: a.Identity, ConfigMap: cm, SSHKey: key.SecretData()}
	switch a.Identity {
	case contract.IdentityStatic:
		v.Secret = pulumi.StringMap{}
		var subscription pulumi.StringInput
		if a.SubscriptionID != nil || n.SubscriptionID != "" {
			subscription = a.subscription(n)
		}
		for k, in := range map[string]pulumi.StringInput{
			contract.KeyAzureClientID:       a.ClientID,
			contract.KeyAzureClientSecret:   a.ClientSecret,
			contract.KeyAzureTenantID:       a.TenantID,
			contract.KeyAzureSubscriptionID: subscription,
		} {
			if in != nil {
				v.Secret[k] = pulumi.ToSecret(in).(pulumi.StringOutput)
			}
		}
	case contract.IdentityWorkload:
		// contract.OperatorEnv(Azure): what checkAndSetupSTSWorkflow
		// reads to write AZURE_CLIENT_ID, AZURE_TENANT_ID and
		// AZURE_SUBSCRIPTION_ID.
		v.OperatorEnv = pulumi.StringMap{
			"CLIENTID":       w.Identity.ClientId,
			"TENANTID":       w.Identity.TenantId,
			"SUBSCRIPTIONID": a.subscription(n),
		}
	}
	return v
}

// null is an output that resolves to no value.
func null() pulumi.StringPtrOutput {
	return pulumi.String("").ToStringOutput().ApplyT(func(string) *string { return nil }).(pulumi.StringPtrOutput)
}
