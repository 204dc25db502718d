package azure_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"github.com/peerpods/provisioner/tests/testkit/mocks/azuremock"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	classic "github.com/pulumi/pulumi-azure/sdk/v6/go/azure"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"
)

const (
	sub       = "11111111-2222-3333-4444-555555555555"
	rg        = "mycluster-x7k2p-rg"
	rgID      = "/subscriptions/" + sub + "/resourceGroups/" + rg
	vnetName  = "mycluster-x7k2p-vnet"
	vnetID    = rgID + "/providers/Microsoft.Network/virtualNetworks/" + vnetName
	subnet    = "mycluster-x7k2p-worker-subnet"
	subnetID  = vnetID + "/subnets/" + subnet
	workerNet = "10.0.128.0/17"
	nsgName   = "mycluster-x7k2p-nsg"
	nsgID     = rgID + "/providers/Microsoft.Network/networkSecurityGroups/" + nsgName
	ourNATID  = rgID + "/providers/Microsoft.Network/natGateways/peerpod-nat-gw"

	tPublicIP = "azure-native:network:PublicIPAddress"
	tNATGW    = "azure-native:network:NatGateway"
	tAssoc    = "azure:network/subnetNatGatewayAssociation:SubnetNatGatewayAssociation"
	tVNet     = "azure-native:network:VirtualNetwork"
	tSubnet   = "azure-native:network:Subnet"
	tPeering  = "azure-native:network:VirtualNetworkPeering"
	tRule     = "azure-native:network:SecurityRule"
	tKey      = "tls:index/privateKey:PrivateKey"
	tIdentity = "azure:authorization/userAssignedIdentity:UserAssignedIdentity"
	tFedCred  = "azure:armmsi/federatedIdentityCredential:FederatedIdentityCredential"
	tRole     = "azure:authorization/assignment:Assignment"
)

// cloud is a fake Azure subscription answering the discovery invokes.
type cloud struct {
	vnets         []string // in the resource group
	nsgs          []string
	vnetPrefixes  []any
	subnets       []string
	subnetNAT     string         // NAT gateway on the worker subnet
	subnetNATTags map[string]any // its tags
	workerNets    []any          // the worker subnet's addressPrefixes; workerNet when nil
	nsgRules      []any
}

func newCloud() *cloud {
	return &cloud{
		vnets:        []string{vnetName},
		nsgs:         []string{nsgName},
		vnetPrefixes: []any{"10.0.0.0/14"},
		subnets:      []string{"mycluster-x7k2p-master-subnet", subnet},
		nsgRules:     []any{map[string]any{"name": "apiserver_in", "priority": 101, "direction": "Inbound"}},
	}
}

func (c *cloud) mocks() *pulumitest.Mocks {
	pm := resource.NewPropertyMapFromMap
	return &pulumitest.Mocks{Fakes: map[string]pulumitest.FakeFunc{
		tIdentity:                    azuremock.Mocks().Resources[tIdentity],
		azuremock.TypeRoleDefinition: azuremock.Mocks().Resources[azuremock.TypeRoleDefinition],
		azuremock.TypeResourceGroup:  azuremock.Mocks().Resources[azuremock.TypeResourceGroup],
	}, Calls: map[string]pulumitest.CallFunc{
		"azure-native:resources:getResourceGroup": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			if a["resourceGroupName"].StringValue() != rg {
				return nil, fmt.Errorf("ResourceGroupNotFound")
			}
			return pm(map[string]any{"id": rgID, "location": "eastus", "name": rg}), nil
		},
		"azure:core/getResources:getResources": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			names := c.nsgs
			if a["type"].StringValue() == "Microsoft.Network/virtualNetworks" {
				names = c.vnets
			}
			var res []any
			for _, n := range names {
				res = append(res, map[string]any{"name": n})
			}
			return pm(map[string]any{"resources": res}), nil
		},
		"azure-native:network:getVirtualNetwork": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			var subnets []any
			for _, s := range c.subnets {
				subnets = append(subnets, map[string]any{"name": s})
			}
			return pm(map[string]any{"id": vnetID, "name": vnetName, "addressSpace": map[string]any{"addressPrefixes": c.vnetPrefixes}, "subnets": subnets}), nil
		},
		"azure-native:network:getSubnet": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			out := map[string]any{"id": subnetID, "name": subnet, "addressPrefix": workerNet}
			if c.workerNets != nil {
				out = map[string]any{"id": subnetID, "name": subnet, "addressPrefixes": c.workerNets}
			}
			if c.subnetNAT != "" {
				out["natGateway"] = map[string]any{"id": c.subnetNAT}
			}
			return pm(out), nil
		},
		"azure-native:network:getNatGateway": func(a resource.PropertyMap) (resource.PropertyMap, error) {
			if !strings.HasSuffix(c.subnetNAT, "/"+a["natGatewayName"].StringValue()) || !strings.Contains(c.subnetNAT, "/resourceGroups/"+a["resourceGroupName"].StringValue()+"/") {
				return nil, fmt.Errorf("NotFound")
			}
			return pm(map[string]any{"id": c.subnetNAT, "tags": c.subnetNATTags}), nil
		},
		"azure-native:network:getNetworkSecurityGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"id": nsgID, "name": nsgName, "securityRules": c.nsgRules}), nil
		},
	}}
}

type run struct {
	m   *pulumitest.Mocks
	pp  *azure.PeerPods
	err error
}

// deploy runs NewPeerPods with the providers named in with (native,
// classic, tls).
func deploy(t *testing.T, c *cloud, args azure.Args, with ...string) run {
	t.Helper()
	m := c.mocks()
	var pp *azure.PeerPods
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var providers []pulumi.ProviderResource
		for _, w := range with {
			var p pulumi.ProviderResource
			var err error
			switch w {
			case "native":
				p, err = azurenative.NewProvider(ctx, "native", &azurenative.ProviderArgs{})
			case "classic":
				p, err = classic.NewProvider(ctx, "classic", &classic.ProviderArgs{})
			case "tls":
				p, err = tls.NewProvider(ctx, "tls", &tls.ProviderArgs{})
			}
			if err != nil {
				return err
			}
			providers = append(providers, p)
		}
		var err error
		pp, err = azure.NewPeerPods(ctx, "peerpods", args, pulumi.Providers(providers...))
		return err
	})
	return run{m, pp, err}
}

// baseArgs are the args of outbound in the default identity mode, cco.
func baseArgs(outbound string) azure.Args {
	return azure.Args{
		ResourceGroup: rg, Outbound: outbound, Settings: common.NewSettings(contract.Azure), PeerVNet: &azure.PeerVNet{}, Priorities: &azure.Priorities{},
	}
}

// staticArgs are the args of outbound with a service principal.
func staticArgs(outbound string) azure.Args {
	a := baseArgs(outbound)
	a.Identity = contract.IdentityStatic
	a.ClientID, a.ClientSecret, a.TenantID = pulumi.String("app-id"), pulumi.String("app-secret"), pulumi.String("tenant")
	return a
}

func inputs(r pulumitest.Resource) map[string]any { return r.Inputs.Mappable() }

func checkRules(t *testing.T, r run, prefixes []any) {
	t.Helper()
	comp := r.m.Get(t, azure.PeerPodsType, "peerpods")
	native := r.m.Get(t, "pulumi:providers:azure-native", "native")
	want := map[string][]any{
		"Allow-Kata-Agent-Internal": {112, "Tcp", "15150"},
		"Allow-VXLAN-Internal":      {111, "Tcp", "9000"},
		"Allow-VXLAN-Internal-UDP":  {110, "Udp", "9000"},
	}
	rules := r.m.OfType(tRule)
	if len(rules) != len(want) {
		t.Fatalf("%d NSG rules: %v", len(rules), r.m.Summary())
	}
	for _, rule := range rules {
		in := inputs(rule)
		w, ok := want[in["securityRuleName"].(string)]
		if !ok {
			t.Errorf("unexpected rule %v", in)
			continue
		}
		exp := map[string]any{
			"securityRuleName": in["securityRuleName"], "networkSecurityGroupName": nsgName, "resourceGroupName": rg,
			"priority": float64(w[0].(int)), "direction": "Inbound", "access": "Allow", "protocol": w[1],
			"sourcePortRange": "*", "destinationPortRange": w[2],
			"sourceAddressPrefixes": prefixes, "destinationAddressPrefixes": prefixes,
			"description": in["description"],
		}
		if !reflect.DeepEqual(in, exp) {
			t.Errorf("rule %v\nwant %v", in, exp)
		}
		if rule.Parent != comp.URN || rule.Provider != native.Ref() {
			t.Errorf("rule %s parent %s provider %s", rule.Name, rule.Parent, rule.Provider)
		}
	}
}

// checkAttachment checks the one attachment the stack declares, as the
// rules output lists it: the NAT gateway gw (name, ID) on the pod VMs'
// subnet (name, ID), adopted or not; and that every rule declares the
// prefixes of checkRules as its sources and destinations.
func checkAttachment(t *testing.T, r run, gw, gwID, subnet, subnetID string, adopted bool, prefixes []any) {
	t.Helper()
	out, _ := pulumitest.Await(t, values.RulesOutput(r.pp.Attachments).ToArrayOutput())
	want := []any{map[string]any{"name": "NAT gateway " + gw, "id": pulumi.ID(gwID), "target": "subnet " + subnet,
		"attachedTo": subnetID, "ports": []string{}, "adopted": adopted}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("attachments %#v\nwant %#v", out, want)
	}
	var strs []string
	for _, p := range prefixes {
		strs = append(strs, p.(string))
	}
	for _, rule := range r.pp.Rules {
		if !reflect.DeepEqual(rule.Sources, strs) || !reflect.DeepEqual(rule.Destinations, strs) {
			t.Errorf("rule %s declares sources %v, destinations %v, want %v", rule.Name, rule.Sources, rule.Destinations, strs)
		}
	}
}

func checkNAT(t *testing.T, r run) pulumitest.Resource {
	t.Helper()
	ip := inputs(r.m.Get(t, tPublicIP, "peerpods-nat-ip"))
	wantIP := map[string]any{
		"publicIpAddressName": "peerpod-nat-gw-ip", "resourceGroupName": rg, "location": "eastus",
		"sku": map[string]any{"name": "Standard", "tier": "Regional"}, "publicIPAllocationMethod": "Static",
		"publicIPAddressVersion": "IPv4", "tags": map[string]any{"managed-by": "peerpods"},
	}
	if !reflect.DeepEqual(ip, wantIP) {
		t.Errorf("public IP %v\nwant %v", ip, wantIP)
	}
	gw := r.m.Get(t, tNATGW, "peerpods-nat-gw")
	wantGW := map[string]any{
		"natGatewayName": "peerpod-nat-gw", "resourceGroupName": rg, "location": "eastus",
		"sku": map[string]any{"name": "Standard"}, "publicIpAddresses": []any{map[string]any{"id": "peerpods-nat-ip-id"}},
		"tags": map[string]any{"managed-by": "peerpods"},
	}
	if !reflect.DeepEqual(inputs(gw), wantGW) {
		t.Errorf("NAT gateway %v\nwant %v", inputs(gw), wantGW)
	}
	return gw
}

func configMap(t *testing.T, pp *azure.PeerPods) map[string]string {
	t.Helper()
	v, _ := pulumitest.Await(t, pp.ConfigMap)
	return v.(map[string]string)
}

// workerSubnetGraph is what the worker-subnet mode registers in the cco
// and static modes.
var workerSubnetGraph = []string{
	tNATGW + " peerpods-nat-gw",
	tPublicIP + " peerpods-nat-ip",
	tRule + " peerpods-allow-kata-agent-internal",
	tRule + " peerpods-allow-vxlan-internal",
	tRule + " peerpods-allow-vxlan-internal-udp",
	tAssoc + " peerpods-worker-subnet-nat",
	"peerpods:azure:PeerPods peerpods",
	"pulumi:providers:azure classic",
	"pulumi:providers:azure-native native",
	"pulumi:providers:tls tls",
	tKey + " peerpods-ssh",
}

// workerSubnetCM is the peer-pods-cm of the worker-subnet mode.
var workerSubnetCM = map[string]string{
	"CLOUD_PROVIDER": "azure", "VXLAN_PORT": "9000", "PROXY_TIMEOUT": "5m", "PEERPODS_LIMIT_PER_NODE": "10",
	"ROOT_VOLUME_SIZE": "6",
	"AZURE_REGION":     "eastus", "AZURE_RESOURCE_GROUP": rg, "AZURE_SUBNET_ID": subnetID, "AZURE_NSG_ID": nsgID,
	"AZURE_INSTANCE_SIZE": "Standard_B2als_v2", "AZURE_INSTANCE_SIZES": "Standard_B2als_v2,Standard_D2as_v5,Standard_D4as_v5,Standard_D2ads_v5",
}

func TestWorkerSubnet(t *testing.T) {
	r := deploy(t, newCloud(), staticArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{
		tNATGW + " peerpods-nat-gw",
		tPublicIP + " peerpods-nat-ip",
		tRule + " peerpods-allow-kata-agent-internal",
		tRule + " peerpods-allow-vxlan-internal",
		tRule + " peerpods-allow-vxlan-internal-udp",
		tAssoc + " peerpods-worker-subnet-nat",
		"peerpods:azure:PeerPods peerpods",
		"pulumi:providers:azure classic",
		"pulumi:providers:azure-native native",
		"pulumi:providers:tls tls",
		tKey + " peerpods-ssh",
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}
	gw := checkNAT(t, r)
	assoc := r.m.Get(t, tAssoc, "peerpods-worker-subnet-nat")
	if !reflect.DeepEqual(inputs(assoc), map[string]any{"subnetId": subnetID, "natGatewayId": "peerpods-nat-gw-id"}) {
		t.Errorf("association %v", inputs(assoc))
	}
	// Destroy detaches before it deletes: the association depends on the
	// NAT gateway, so the engine deletes it first.
	if !slices.Contains(assoc.Dependencies, gw.URN) {
		t.Errorf("association does not depend on the NAT gateway: %v", assoc.Dependencies)
	}
	if assoc.Provider != r.m.Get(t, "pulumi:providers:azure", "classic").Ref() {
		t.Errorf("association provider %s", assoc.Provider)
	}
	if len(r.m.OfType(tSubnet)) != 0 || len(r.m.OfType(tVNet)) != 0 {
		t.Error("the worker subnet or VNet was taken over")
	}
	checkRules(t, r, []any{workerNet})
	checkAttachment(t, r, "peerpod-nat-gw", "peerpods-nat-gw-id", subnet, subnetID, false, []any{workerNet})

	key := r.m.Get(t, tKey, "peerpods-ssh")
	if !reflect.DeepEqual(inputs(key), map[string]any{"algorithm": "RSA", "rsaBits": float64(4096)}) {
		t.Errorf("key %v", inputs(key))
	}
	if got := configMap(t, r.pp); !reflect.DeepEqual(got, workerSubnetCM) {
		t.Errorf("ConfigMap %v\nwant %v", got, workerSubnetCM)
	}
	sec, secret := pulumitest.Await(t, r.pp.Values.SecretOutput())
	wantSec := map[string]string{"AZURE_CLIENT_ID": "app-id", "AZURE_CLIENT_SECRET": "app-secret", "AZURE_TENANT_ID": "tenant", "AZURE_SUBSCRIPTION_ID": sub}
	if !secret || !reflect.DeepEqual(sec, wantSec) {
		t.Errorf("secret %v (secret %v)", sec, secret)
	}
	if _, secret := pulumitest.Await(t, r.pp.Values.SSHKeyOutput()); !secret {
		t.Error("ssh key data is not secret")
	}
	if err := r.pp.Values.CheckComplete(); err != nil {
		t.Errorf("values break the contract: %v", err)
	}
	if r.pp.Values.Identity != contract.IdentityStatic || r.pp.Values.OperatorEnv != nil {
		t.Errorf("identity %q, operator env %v", r.pp.Values.Identity, r.pp.Values.OperatorEnv)
	}
	// The handoff waits for the association and the rules.
	if len(r.pp.Values.Ready) != 4 || len(r.pp.Rules) != 3 || r.pp.Rules[0].Target != nsgName {
		t.Errorf("ready %d rules %+v", len(r.pp.Values.Ready), r.pp.Rules)
	}
}

func TestWorkerSubnetSecondRunKeepsOurNATGateway(t *testing.T) {
	c := newCloud()
	c.subnetNAT = strings.ToLower(ourNATID) // Azure does not keep case
	// The stack's own rule from the first run (its description says so),
	// at its own priority: kept, not adopted nor refused.
	c.nsgRules = append(c.nsgRules, nsgRule("Allow-Kata-Agent-Internal", 112, "Allow", "Tcp", "15150", workerNet, workerNet, "peer pods kata-agent 15150/tcp"))
	r := deploy(t, c, staticArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, workerSubnetGraph) {
		t.Errorf("graph %v\nwant %v", got, workerSubnetGraph)
	}
	if reused, _ := pulumitest.Await(t, r.pp.NATGatewayReused); reused != false {
		t.Error("the stack's own NAT gateway counts as reused")
	}
}

func TestPeerVNet(t *testing.T) {
	c := newCloud()
	c.vnets = append(c.vnets, "peerpod-vnet") // ours, from an earlier run
	r := deploy(t, c, staticArgs(azure.OutboundPeerVNet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{
		tNATGW + " peerpods-nat-gw",
		tPublicIP + " peerpods-nat-ip",
		tRule + " peerpods-allow-kata-agent-internal",
		tRule + " peerpods-allow-vxlan-internal",
		tRule + " peerpods-allow-vxlan-internal-udp",
		tSubnet + " peerpods-peer-subnet",
		tVNet + " peerpods-peer-vnet",
		tPeering + " peerpods-cluster-to-peer",
		tPeering + " peerpods-peer-to-cluster",
		"peerpods:azure:PeerPods peerpods",
		"pulumi:providers:azure classic",
		"pulumi:providers:azure-native native",
		"pulumi:providers:tls tls",
		tKey + " peerpods-ssh",
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}
	gw := checkNAT(t, r)
	vnet := r.m.Get(t, tVNet, "peerpods-peer-vnet")
	wantVNet := map[string]any{
		"virtualNetworkName": "peerpod-vnet", "resourceGroupName": rg, "location": "eastus",
		"addressSpace": map[string]any{"addressPrefixes": []any{"192.168.0.0/16"}}, "tags": map[string]any{"managed-by": "peerpods"},
		// defaults the SDK sends
		"enableDdosProtection": false, "enableVmProtection": false,
	}
	if !reflect.DeepEqual(inputs(vnet), wantVNet) {
		t.Errorf("VNet %v\nwant %v", inputs(vnet), wantVNet)
	}
	sn := r.m.Get(t, tSubnet, "peerpods-peer-subnet")
	wantSubnet := map[string]any{
		"subnetName": "peerpod-subnet", "virtualNetworkName": "peerpod-vnet", "resourceGroupName": rg,
		"addressPrefix": "192.168.0.0/16", "natGateway": map[string]any{"id": "peerpods-nat-gw-id"},
		// defaults the SDK sends
		"privateEndpointNetworkPolicies": "Disabled", "privateLinkServiceNetworkPolicies": "Enabled",
	}
	if !reflect.DeepEqual(inputs(sn), wantSubnet) {
		t.Errorf("subnet %v\nwant %v", inputs(sn), wantSubnet)
	}
	toPeer := r.m.Get(t, tPeering, "peerpods-cluster-to-peer")
	wantToPeer := map[string]any{
		"virtualNetworkPeeringName": "peerpod-azure-vnet-to-peerpod-vnet", "virtualNetworkName": vnetName, "resourceGroupName": rg,
		"remoteVirtualNetwork": map[string]any{"id": "peerpods-peer-vnet-id"}, "allowVirtualNetworkAccess": true, "allowForwardedTraffic": true,
	}
	if !reflect.DeepEqual(inputs(toPeer), wantToPeer) {
		t.Errorf("cluster-to-peer %v\nwant %v", inputs(toPeer), wantToPeer)
	}
	toCluster := r.m.Get(t, tPeering, "peerpods-peer-to-cluster")
	wantToCluster := map[string]any{
		"virtualNetworkPeeringName": "peerpod-peerpod-vnet-to-azure-vnet", "virtualNetworkName": "peerpod-vnet", "resourceGroupName": rg,
		"remoteVirtualNetwork": map[string]any{"id": vnetID}, "allowVirtualNetworkAccess": true, "allowForwardedTraffic": true,
	}
	if !reflect.DeepEqual(inputs(toCluster), wantToCluster) {
		t.Errorf("peer-to-cluster %v\nwant %v", inputs(toCluster), wantToCluster)
	}
	// Destroy order: peerings before the VNet and subnet; subnet before
	// the NAT gateway and the VNet.
	for _, dep := range []struct {
		r    pulumitest.Resource
		on   []pulumitest.Resource
		what string
	}{
		{sn, []pulumitest.Resource{vnet, gw}, "subnet"},
		{toPeer, []pulumitest.Resource{vnet, sn}, "cluster-to-peer"},
		{toCluster, []pulumitest.Resource{vnet, sn, toPeer}, "peer-to-cluster"},
	} {
		for _, on := range dep.on {
			if !slices.Contains(dep.r.Dependencies, on.URN) {
				t.Errorf("%s does not depend on %s", dep.what, on.Name)
			}
		}
	}
	checkRules(t, r, []any{"192.168.0.0/16", workerNet})
	checkAttachment(t, r, "peerpod-nat-gw", "peerpods-nat-gw-id", "peerpod-subnet", "peerpods-peer-subnet-id", false, []any{"192.168.0.0/16", workerNet})
	if got := configMap(t, r.pp)["AZURE_SUBNET_ID"]; got != "peerpods-peer-subnet-id" {
		t.Errorf("AZURE_SUBNET_ID %q, want the peer-pod subnet", got)
	}
	if len(r.pp.Values.Ready) != 6 {
		t.Errorf("ready %d", len(r.pp.Values.Ready))
	}
}

func TestPeerVNetNamedNeedsNoClassicProvider(t *testing.T) {
	args := baseArgs(azure.OutboundPeerVNet)
	args.VNetName, args.NSGName, args.WorkerSubnetName = vnetName, nsgName, subnet
	r := deploy(t, newCloud(), args, "native", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, inv := range r.m.Invokes() {
		if strings.HasPrefix(inv.Token, "azure:") {
			t.Errorf("classic invoke %s", inv.Token)
		}
	}
}

func TestSuppliedSSHKey(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	args := baseArgs(azure.OutboundWorkerSubnet)
	args.SSHPrivateKey = pulumi.String(string(pem.EncodeToMemory(block)))
	r := deploy(t, newCloud(), args, "native", "classic") // no TLS provider needed
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.m.OfType(tKey)) != 0 {
		t.Error("a key was generated although one was supplied")
	}
	data, secret := pulumitest.Await(t, r.pp.Values.SSHKeyOutput())
	m := data.(map[string]string)
	wantPub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	if !secret || m["id_rsa.pub"] != wantPub || !strings.Contains(m["id_rsa"], "OPENSSH PRIVATE KEY") {
		t.Errorf("ssh data %v secret %v", m["id_rsa.pub"], secret)
	}
}

func TestRefusedBeforeAnythingIsRegistered(t *testing.T) {
	cases := []struct {
		name  string
		cloud func(*cloud)
		args  func(*azure.Args)
		with  []string
		want  string
	}{
		{"priority taken in NSG", func(c *cloud) {
			c.nsgRules = append(c.nsgRules, map[string]any{"name": "custom", "priority": 111, "direction": "Inbound", "access": "Allow", "protocol": "Tcp", "destinationPortRange": "22"})
		}, nil, nil, "azure.nsgPriorities.tunnelTcp is 111, already used by rule custom"},
		{"outbound rule may share a priority", func(c *cloud) {
			c.nsgRules = append(c.nsgRules, map[string]any{"name": "custom", "priority": 111, "direction": "Outbound", "access": "Allow", "protocol": "Tcp", "destinationPortRange": "22"})
		}, nil, nil, ""},
		{"docs-named rule that does not let the port through", func(c *cloud) {
			c.nsgRules = append(c.nsgRules, nsgRule("Allow-Kata-Agent-Internal", 300, "Allow", "Tcp", "22", "VirtualNetwork", "VirtualNetwork", ""))
		}, nil, nil, "azure.adoptRules does not list rule Allow-Kata-Agent-Internal of NSG " + nsgName},
		{"adopted docs-named rule that does not let the port through", func(c *cloud) {
			c.nsgRules = append(c.nsgRules, nsgRule("Allow-Kata-Agent-Internal", 300, "Allow", "Tcp", "22", "VirtualNetwork", "VirtualNetwork", ""))
		}, func(a *azure.Args) { a.AdoptRules = []string{"Allow-Kata-Agent-Internal"} }, nil, "azure.adoptRules[0] is \"Allow-Kata-Agent-Internal\", which lets no peer-pods port through"},
		{"credentials in cco mode", nil, func(a *azure.Args) { a.ClientSecret = pulumi.String("app-secret") }, nil,
			"azureClientSecret is set, but identity is cco"},
		{"credentials in workload mode", nil, func(a *azure.Args) {
			a.Identity, a.OIDCIssuer, a.TenantID = contract.IdentityWorkload, issuer, pulumi.String("tenant")
		}, nil, "azureTenantId is set, but identity is workload"},
		{"workload without issuer", nil, func(a *azure.Args) { a.Identity = contract.IdentityWorkload }, nil,
			"azure.oidcIssuer is not set, and workload identity needs the cluster's OIDC issuer"},
		{"workload with the in-cluster default issuer", nil, func(a *azure.Args) {
			a.Identity, a.OIDCIssuer = contract.IdentityWorkload, "https://kubernetes.default.svc"
		}, nil, "the default of a cluster not installed for short-lived credentials"},
		{"workload with an http issuer", nil, func(a *azure.Args) {
			a.Identity, a.OIDCIssuer = contract.IdentityWorkload, "http://issuer.example.com"
		}, nil, "which is not an https issuer URL"},
		{"workload with a resource group that makes no identity name", nil, func(a *azure.Args) {
			a.Identity, a.OIDCIssuer, a.ResourceGroup = contract.IdentityWorkload, issuer, "rg.(1)"
		}, nil, "azure.identityName is \"osc-rg.(1)\""},
		{"unknown identity", nil, func(a *azure.Args) { a.Identity = "sts" }, nil, `identity is "sts", which is not an identity mode`},
		{"workload without the classic provider", nil, func(a *azure.Args) {
			a.Identity, a.OIDCIssuer, a.Outbound = contract.IdentityWorkload, issuer, azure.OutboundPeerVNet
			a.VNetName, a.NSGName = vnetName, nsgName
		}, []string{"native", "tls"}, "provider for azure (classic"},
		{"two VNets", func(c *cloud) { c.vnets = append(c.vnets, "other-vnet") }, nil, nil, "azure.vnetName cannot be discovered: resource group " + rg + " has 2 VNets"},
		{"two NSGs", func(c *cloud) { c.nsgs = append(c.nsgs, "other-nsg") }, nil, nil, "set azure.nsgName"},
		{"no worker subnet", func(c *cloud) { c.subnets = []string{"master-subnet"} }, nil, nil, "azure.workerSubnetName cannot be discovered"},
		{"unknown resource group", nil, func(a *azure.Args) { a.ResourceGroup = "nope" }, nil, "azure.resourceGroup leads to resource group nope, which cannot be read (ResourceGroupNotFound); fix: "},
		{"peer VNet overlaps the real cluster VNet", func(c *cloud) { c.vnetPrefixes = []any{"10.0.0.0/14", "192.168.0.0/20"} },
			func(a *azure.Args) { a.Outbound = azure.OutboundPeerVNet }, nil, "overlaps 192.168.0.0/20 (cluster VNet " + vnetName + ")"},
		{"worker subnet larger than a /8", func(c *cloud) { c.workerNets = []any{"10.0.0.0/7"} }, nil, nil,
			"azure.workerSubnetName has 10.0.0.0/7, which opens the peer-pods ports to 33554432 (2^25) IPv4 addresses; fix: name the workers' own subnet"},
		{"worker subnet prefixes more than a /8 together", func(c *cloud) { c.workerNets = []any{"10.0.0.0/8", "11.0.0.0/9"} }, nil, nil,
			"azure.workerSubnetName has 10.0.0.0/8 (azure.workerSubnetName) and 11.0.0.0/9 (azure.workerSubnetName), which together open the peer-pods ports to 25165824 IPv4 addresses"},
		{"worker subnet of a /8", func(c *cloud) { c.workerNets = []any{"10.0.0.0/8"} }, nil, nil, ""},
		{"peer subnet and worker subnet more than a /8 together", func(c *cloud) { c.workerNets = []any{"10.0.0.0/9"} },
			func(a *azure.Args) {
				a.Outbound, a.ClusterVNetPrefixes, a.PeerVNet.AddressPrefix = azure.OutboundPeerVNet, []string{"10.0.0.0/9"}, "11.0.0.0/8"
				a.Settings.AllowPublicRanges = []string{"11.0.0.0/8"}
			}, nil,
			"azure.peerVnet.subnetPrefix has 11.0.0.0/8 (azure.peerVnet.subnetPrefix) and 10.0.0.0/9 (azure.workerSubnetName), which together open the peer-pods ports to 25165824 IPv4 addresses; fix: use a smaller azure.peerVnet.subnetPrefix"},
		{"peer subnet and worker subnet within a /8 together", func(c *cloud) { c.workerNets = []any{"10.0.0.0/9"} },
			func(a *azure.Args) {
				a.Outbound, a.ClusterVNetPrefixes, a.PeerVNet.AddressPrefix = azure.OutboundPeerVNet, []string{"10.0.0.0/9"}, "11.0.0.0/9"
				a.Settings.AllowPublicRanges = []string{"11.0.0.0/9"}
			}, nil, ""},
		{"no native provider", nil, nil, []string{"classic", "tls"}, "provider for azure-native is not given"},
		{"no classic provider", nil, nil, []string{"native", "tls"}, "provider for azure (classic"},
		{"no TLS provider and no key", nil, nil, []string{"native", "classic"}, "provider for TLS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud()
			if tc.cloud != nil {
				tc.cloud(c)
			}
			args := baseArgs(azure.OutboundWorkerSubnet)
			if tc.args != nil {
				tc.args(&args)
			}
			with := tc.with
			if with == nil {
				with = []string{"native", "classic", "tls"}
			}
			r := deploy(t, c, args, with...)
			if tc.want == "" {
				if r.err != nil {
					t.Fatal(r.err)
				}
				return
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, r.err)
			}
			for _, res := range r.m.Resources() {
				if !strings.HasPrefix(res.Type, "pulumi:providers:") {
					t.Errorf("registered %s %s", res.Type, res.Name)
				}
			}
		})
	}
}
