package diffreport

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// Representative previews of each cloud, as engine events (the inputs the
// components declare, unknowns as the engine sends them), for the
// diagram's tests.

const unknownValue = plugin.UnknownStringValue

func awsRule(sg string, port int, proto string) map[string]any {
	return map[string]any{"securityGroupId": sg, "referencedSecurityGroupId": sg, "ipProtocol": proto,
		"fromPort": float64(port), "toPort": float64(port), "description": "peer pods"}
}

// previewAWSCreated: the first up of an AWS stack, one worker group.
func previewAWSCreated() []apitype.EngineEvent {
	typ := typeAWSIngress
	return []apitype.EngineEvent{
		step(apitype.OpCreate, "pulumi:pulumi:Stack", "peerpods-aws", nil, map[string]any{}, nil),
		step(apitype.OpCreate, typ, "pp-sg-0a1-kata-agent-tcp", nil, awsRule("sg-0a1", 15150, "tcp"), nil),
		step(apitype.OpCreate, typ, "pp-sg-0a1-tunnel-tcp", nil, awsRule("sg-0a1", 9000, "tcp"), nil),
		step(apitype.OpCreate, typ, "pp-sg-0a1-tunnel-udp", nil, awsRule("sg-0a1", 9000, "udp"), nil),
	}
}

// previewAWSRemoved: the tunnel closed for TCP (peerpods:tunnelProtocols
// [udp]) and the port moved from 9000 to 4789 on UDP, on two groups.
func previewAWSRemoved() []apitype.EngineEvent {
	typ := typeAWSIngress
	diff := map[string]apitype.PropertyDiff{"fromPort": {Kind: apitype.DiffUpdate, InputDiff: true}, "toPort": {Kind: apitype.DiffUpdate, InputDiff: true}}
	var evs []apitype.EngineEvent
	for _, sg := range []string{"sg-0a1", "sg-0b2"} {
		evs = append(evs,
			step(apitype.OpSame, typ, "pp-"+sg+"-kata-agent-tcp", awsRule(sg, 15150, "tcp"), awsRule(sg, 15150, "tcp"), nil),
			step(apitype.OpDelete, typ, "pp-"+sg+"-tunnel-tcp", awsRule(sg, 9000, "tcp"), nil, nil),
			step(apitype.OpUpdate, typ, "pp-"+sg+"-tunnel-udp", awsRule(sg, 9000, "udp"), awsRule(sg, 4789, "udp"), diff))
	}
	return evs
}

func nsgRule(name string, port int, proto string, prefixes []any) map[string]any {
	return map[string]any{"securityRuleName": name, "networkSecurityGroupName": "c1-nsg", "resourceGroupName": "c1-rg",
		"priority": float64(2000), "direction": "Inbound", "access": "Allow", "protocol": proto, "sourcePortRange": "*",
		"destinationPortRange": itoa(port), "sourceAddressPrefixes": prefixes, "destinationAddressPrefixes": prefixes}
}

func itoa(n int) string {
	return map[int]string{15150: "15150", 9000: "9000", 4789: "4789"}[n]
}

// previewAzurePeerVNet: the first up of an Azure stack in peer-vnet mode:
// NAT gateway with its IP, the peer VNet and subnet, both peerings, the
// NSG rules between the two subnets; the gateway's and the VNet's IDs
// unknown in the preview.
func previewAzurePeerVNet() []apitype.EngineEvent {
	prefixes := []any{"192.168.0.0/24", "10.0.128.0/17"}
	clusterVNet := "/subscriptions/s/resourceGroups/c1-rg/providers/Microsoft.Network/virtualNetworks/c1-vnet"
	return []apitype.EngineEvent{
		step(apitype.OpCreate, "azure-native:network:PublicIPAddress", "pp-nat-ip", nil, map[string]any{"publicIpAddressName": "pp-ip"}, nil),
		step(apitype.OpCreate, typeAzureNAT, "pp-nat-gw", nil, map[string]any{"natGatewayName": "pp-natgw",
			"publicIpAddresses": []any{map[string]any{"id": unknownValue}}}, nil),
		step(apitype.OpCreate, typeAzureVNet, "pp-peer-vnet", nil, map[string]any{"virtualNetworkName": "pp-vnet"}, nil),
		step(apitype.OpCreate, typeAzureSubnet, "pp-peer-subnet", nil, map[string]any{"subnetName": "pp-subnet",
			"virtualNetworkName": "pp-vnet", "addressPrefix": "192.168.0.0/24", "natGateway": map[string]any{"id": unknownValue}}, nil),
		step(apitype.OpCreate, typeAzurePeering, "pp-cluster-to-peer", nil, map[string]any{"virtualNetworkName": "c1-vnet",
			"remoteVirtualNetwork": map[string]any{"id": unknownValue}}, nil),
		step(apitype.OpCreate, typeAzurePeering, "pp-peer-to-cluster", nil, map[string]any{"virtualNetworkName": "pp-vnet",
			"remoteVirtualNetwork": map[string]any{"id": clusterVNet}}, nil),
		step(apitype.OpCreate, typeAzureRule, "pp-peerpods-kata-agent-tcp", nil, nsgRule("peerpods-kata-agent-tcp", 15150, "Tcp", prefixes), nil),
		step(apitype.OpCreate, typeAzureRule, "pp-peerpods-tunnel-tcp", nil, nsgRule("peerpods-tunnel-tcp", 9000, "Tcp", prefixes), nil),
		step(apitype.OpCreate, typeAzureRule, "pp-peerpods-tunnel-udp", nil, nsgRule("peerpods-tunnel-udp", 9000, "Udp", prefixes), nil),
	}
}

// previewAzureWorkerSubnet: worker-subnet mode, the NAT gateway renamed
// (replaced, its association too: the new gateway's ID unknown), the NSG
// rules kept.
func previewAzureWorkerSubnet() []apitype.EngineEvent {
	prefixes := []any{"10.0.128.0/17"}
	subnet := "/subscriptions/s/resourceGroups/c1-rg/providers/Microsoft.Network/virtualNetworks/c1-vnet/subnets/c1-worker-subnet"
	oldGW := "/subscriptions/s/resourceGroups/c1-rg/providers/Microsoft.Network/natGateways/pp-natgw"
	rule := nsgRule("peerpods-kata-agent-tcp", 15150, "Tcp", prefixes)
	gwDiff := map[string]apitype.PropertyDiff{"natGatewayName": {Kind: apitype.DiffUpdateReplace, InputDiff: true}}
	assocDiff := map[string]apitype.PropertyDiff{"natGatewayId": {Kind: apitype.DiffUpdateReplace, InputDiff: true}}
	return []apitype.EngineEvent{
		step(apitype.OpSame, typeAzureRule, "pp-peerpods-kata-agent-tcp", rule, rule, nil),
		step(apitype.OpCreateReplacement, typeAzureNAT, "pp-nat-gw", map[string]any{"natGatewayName": "pp-natgw"}, map[string]any{"natGatewayName": "pp-natgw-2"}, gwDiff),
		step(apitype.OpCreateReplacement, typeAzureAssoc, "pp-worker-subnet-nat",
			map[string]any{"subnetId": subnet, "natGatewayId": oldGW}, map[string]any{"subnetId": subnet, "natGatewayId": unknownValue}, assocDiff),
		step(apitype.OpReplace, typeAzureAssoc, "pp-worker-subnet-nat",
			map[string]any{"subnetId": subnet, "natGatewayId": oldGW}, map[string]any{"subnetId": subnet, "natGatewayId": unknownValue}, assocDiff),
		step(apitype.OpReplace, typeAzureNAT, "pp-nat-gw", map[string]any{"natGatewayName": "pp-natgw"}, map[string]any{"natGatewayName": "pp-natgw-2"}, gwDiff),
		step(apitype.OpDeleteReplaced, typeAzureAssoc, "pp-worker-subnet-nat", map[string]any{"subnetId": subnet, "natGatewayId": oldGW}, nil, nil),
		step(apitype.OpDeleteReplaced, typeAzureNAT, "pp-nat-gw", map[string]any{"natGatewayName": "pp-natgw"}, nil, nil),
	}
}

func firewall(ranges, tags []any) map[string]any {
	return map[string]any{"name": "c1-x7k2p-peerpods", "network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/c1-x7k2p-network",
		"direction": "INGRESS", "sourceRanges": ranges, "targetTags": tags, "allows": []any{
			map[string]any{"protocol": "tcp", "ports": []any{"15150", "9000"}},
			map[string]any{"protocol": "udp", "ports": []any{"9000"}},
		}}
}

// previewGCP: the firewall rule's source ranges widened by one range, its
// target tags set.
func previewGCP() []apitype.EngineEvent {
	diff := map[string]apitype.PropertyDiff{"sourceRanges[1]": {Kind: apitype.DiffAdd, InputDiff: true}, "targetTags": {Kind: apitype.DiffAdd, InputDiff: true}}
	return []apitype.EngineEvent{
		step(apitype.OpUpdate, typeGCPFirewall, "pp-firewall",
			firewall([]any{"10.0.0.0/16"}, nil), firewall([]any{"10.0.0.0/16", "10.1.0.0/16"}, []any{"c1-worker"}), diff),
	}
}

// previewLibvirt: the first up of a remote KVM host: the host access, the
// provider instance for its libvirtd, the pool and the volume. The
// passwords and keys are secrets (the engine sends them masked); the
// volume's pool is the pool's name output, unknown (as the real engine
// sends it: tests/sshkeys_e2e_test.go).
func previewLibvirt() []apitype.EngineEvent {
	prov := step(apitype.OpCreate, typeProvider, "pp-libvirt", nil, map[string]any{
		"uri": "qemu+ssh://kvmadmin@kvm1.example.com:2222/system?keyfile=/x", "privateKey": unknownValue, "hostKey": unknownValue}, nil)
	pool := step(apitype.OpCreate, typePool, "pp-pool", nil, map[string]any{"name": "peerpods", "path": "/var/lib/libvirt/peerpods"}, nil)
	pool.ResourcePreEvent.Metadata.Provider = prov.ResourcePreEvent.Metadata.URN + "::" + unknownValue
	vol := step(apitype.OpCreate, typeVolume, "pp-volume", nil, map[string]any{"pool": unknownValue, "name": "podvm-base.qcow2", "format": "qcow2"}, nil)
	vol.ResourcePreEvent.Metadata.Provider = pool.ResourcePreEvent.Metadata.Provider
	return []apitype.EngineEvent{
		step(apitype.OpCreate, typeKVMAccess, "pp-host", nil, map[string]any{"host": "kvm1.example.com", "port": float64(2222),
			"user": "kvmadmin", "password": Secret, "keyType": "ed25519"}, nil),
		prov, pool, vol,
	}
}

// previewHostile: names with every character Mermaid or Markdown reads.
func previewHostile() []apitype.EngineEvent {
	in := nsgRule("r", 15150, "Tcp", []any{"10.0.0.0/8"})
	in["networkSecurityGroupName"] = "nsg \"x\" #1; <b>bold</b> `tick` | pipe [a] {b} (c) end --> x &amp; %%"
	return []apitype.EngineEvent{step(apitype.OpCreate, typeAzureRule, "hostile", nil, in, nil)}
}

// previews are the representative previews, by name.
var previews = []struct {
	name   string
	events func() []apitype.EngineEvent
}{
	{"aws-created", previewAWSCreated},
	{"aws-removed", previewAWSRemoved},
	{"azure-peer-vnet", previewAzurePeerVNet},
	{"azure-worker-subnet", previewAzureWorkerSubnet},
	{"gcp", previewGCP},
	{"libvirt", previewLibvirt},
	{"hostile", previewHostile},
}
