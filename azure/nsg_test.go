package azure_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// nsgRule is an inbound rule of the mock NSG, as getNetworkSecurityGroup
// reports it; ports, sources and destinations are space-separated lists.
func nsgRule(name string, priority int, access, protocol, ports, sources, destinations, description string) map[string]any {
	list := func(s string) []any {
		var out []any
		for _, f := range strings.Fields(s) {
			out = append(out, f)
		}
		return out
	}
	r := map[string]any{
		"name": name, "id": nsgID + "/securityRules/" + name, "priority": priority, "direction": "Inbound", "access": access, "protocol": protocol,
		"destinationPortRanges": list(ports), "sourceAddressPrefixes": list(sources), "destinationAddressPrefixes": list(destinations),
	}
	if description != "" {
		r["description"] = description
	}
	return r
}

// TestWorkerSubnetReusesItsNATGateway: a worker subnet that already has a
// NAT gateway (outbound type NatGateway, or an admin's) keeps it, and the
// pod VMs share it: no gateway, IP or association is created, and the
// outputs say which gateway is used.
func TestWorkerSubnetReusesItsNATGateway(t *testing.T) {
	c := newCloud()
	theirs := rgID + "/providers/Microsoft.Network/natGateways/mycluster-x7k2p-natgw"
	c.subnetNAT = theirs
	r := deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := []string{
		tRule + " peerpods-allow-kata-agent-internal",
		tRule + " peerpods-allow-vxlan-internal",
		tRule + " peerpods-allow-vxlan-internal-udp",
		"peerpods:azure:PeerPods peerpods",
		"pulumi:providers:azure classic",
		"pulumi:providers:azure-native native",
		"pulumi:providers:tls tls",
		tKey + " peerpods-ssh",
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}
	if id, _ := pulumitest.Await(t, r.pp.NATGatewayID); id != theirs {
		t.Errorf("NAT gateway %v, want %s", id, theirs)
	}
	if reused, _ := pulumitest.Await(t, r.pp.NATGatewayReused); reused != true {
		t.Error("not reported as reused")
	}
	if ip, _ := pulumitest.Await(t, r.pp.OutboundIP); ip != nil && ip != (*string)(nil) {
		t.Errorf("outbound IP %v for a gateway the stack does not own", ip)
	}
	for _, k := range []string{"natGatewayId", "natGatewayReused", "outboundIp"} {
		if r.pp.CloudOutputs[k] == nil {
			t.Errorf("stack output %s missing", k)
		}
	}
	if got := configMap(t, r.pp)["AZURE_SUBNET_ID"]; got != subnetID {
		t.Errorf("AZURE_SUBNET_ID %q", got)
	}
	checkRules(t, r, []any{workerNet})
	if len(r.pp.Values.Ready) != 3 {
		t.Errorf("ready %d, want the three rules", len(r.pp.Values.Ready))
	}
}

// TestPeerVNetIgnoresTheWorkersNATGateway: in peer-vnet mode the pod VMs
// use the peer subnet's own gateway, whatever the workers use.
func TestPeerVNetIgnoresTheWorkersNATGateway(t *testing.T) {
	c := newCloud()
	c.subnetNAT = rgID + "/providers/Microsoft.Network/natGateways/theirs"
	r := deploy(t, c, baseArgs(azure.OutboundPeerVNet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.m.OfType(tNATGW)) != 1 {
		t.Errorf("graph %v", r.m.Summary())
	}
	if reused, _ := pulumitest.Await(t, r.pp.NATGatewayReused); reused != false {
		t.Error("reported as reused")
	}
}

// adoptedGraph is the worker-subnet graph without NSG rules.
var adoptedGraph = slices.DeleteFunc(slices.Clone(workerSubnetGraph), func(s string) bool { return strings.HasPrefix(s, tRule+" ") })

// TestDocsNamedRulesAdopted: rules by the docs' names that someone else
// made, and that let the ports through from the VNet, are used as they
// are: none is created (a second rule by the same name would overwrite
// it), and the rules output lists them as adopted with their IDs.
func TestDocsNamedRulesAdopted(t *testing.T) {
	c := newCloud()
	c.nsgRules = append(c.nsgRules,
		nsgRule("Allow-Kata-Agent-Internal", 112, "Allow", "Tcp", "15150", "VirtualNetwork", "VirtualNetwork", ""),
		nsgRule("Allow-VXLAN-Internal", 111, "Allow", "Tcp", "9000", "10.0.0.0/14", "*", "opened by hand"),
		nsgRule("Allow-VXLAN-Internal-UDP", 110, "Allow", "Udp", "8000-9999", "VirtualNetwork", "10.0.128.0/17", ""),
	)
	r := deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, adoptedGraph) {
		t.Fatalf("graph %v\nwant %v", got, adoptedGraph)
	}
	want := []struct{ name, port string }{
		{"Allow-Kata-Agent-Internal", "15150/tcp"}, {"Allow-VXLAN-Internal", "9000/tcp"}, {"Allow-VXLAN-Internal-UDP", "9000/udp"},
	}
	if len(r.pp.Rules) != len(want) {
		t.Fatalf("rules %+v", r.pp.Rules)
	}
	for i, w := range want {
		got := r.pp.Rules[i]
		id, _ := pulumitest.Await(t, got.ID)
		if got.Name != w.name || !got.Adopted || got.Target != nsgName || len(got.Ports) != 1 || got.Ports[0].String() != w.port || id != pulumi.ID(nsgID+"/securityRules/"+w.name) {
			t.Errorf("rule %d: %+v (id %v)", i, got, id)
		}
	}
	// Only the association is waited for: the adopted rules exist.
	if len(r.pp.Values.Ready) != 1 {
		t.Errorf("ready %d", len(r.pp.Values.Ready))
	}
	out, _ := pulumitest.Await(t, values.RulesOutput(r.pp.Rules).ToArrayOutput())
	if first := out.([]any)[0].(map[string]any); first["adopted"] != true {
		t.Errorf("rules output %v", first)
	}
}

// TestOneWideRuleAdopted: one rule that lets both ports through for every
// protocol from the VirtualNetwork tag (as `az network nsg rule create
// --destination-port-ranges 15150 9000 --source-address-prefixes
// VirtualNetwork` makes it) stands for all three, once in the output.
func TestOneWideRuleAdopted(t *testing.T) {
	for _, outbound := range []string{azure.OutboundWorkerSubnet, azure.OutboundPeerVNet} {
		c := newCloud()
		c.nsgRules = append(c.nsgRules, nsgRule("allow-peer-pods", 1000, "Allow", "*", "15150 9000", "VirtualNetwork", "*", ""))
		r := deploy(t, c, baseArgs(outbound), "native", "classic", "tls")
		if r.err != nil {
			t.Fatal(r.err)
		}
		if n := len(r.m.OfType(tRule)); n != 0 {
			t.Errorf("%s: %d rules created", outbound, n)
		}
		if len(r.pp.Rules) != 1 || r.pp.Rules[0].Name != "allow-peer-pods" || !r.pp.Rules[0].Adopted || len(r.pp.Rules[0].Ports) != 3 {
			t.Errorf("%s: rules %+v", outbound, r.pp.Rules)
		}
	}
}

// TestRulesNotAdopted: what does not let the traffic through for sure is
// not adopted, and the stack creates its own rules.
func TestRulesNotAdopted(t *testing.T) {
	cases := []struct {
		name     string
		outbound string
		rules    []any
	}{
		{"from the worker subnet only, in peer-vnet mode", azure.OutboundPeerVNet,
			[]any{nsgRule("workers", 1000, "Allow", "*", "*", workerNet, "*", "")}},
		{"another port", azure.OutboundWorkerSubnet, []any{nsgRule("ssh", 1000, "Allow", "Tcp", "22", "*", "*", "")}},
		{"icmp", azure.OutboundWorkerSubnet, []any{nsgRule("icmp", 1000, "Allow", "Icmp", "*", "*", "*", "")}},
		{"a smaller source", azure.OutboundWorkerSubnet, []any{nsgRule("part", 1000, "Allow", "*", "*", "10.0.128.0/24", "*", "")}},
		{"another service tag", azure.OutboundWorkerSubnet, []any{nsgRule("lb", 1000, "Allow", "*", "*", "AzureLoadBalancer", "*", "")}},
		{"denied before", azure.OutboundWorkerSubnet, []any{
			nsgRule("deny", 900, "Deny", "*", "*", "10.0.0.0/8", "*", ""),
			nsgRule("allow", 1000, "Allow", "*", "*", "VirtualNetwork", "*", ""),
		}},
		{"a deny rule", azure.OutboundWorkerSubnet, []any{nsgRule("deny", 1000, "Deny", "*", "*", "VirtualNetwork", "*", "")}},
		{"the stack's own rule of another name", azure.OutboundWorkerSubnet,
			[]any{nsgRule("Old-Rule", 1000, "Allow", "*", "*", "VirtualNetwork", "*", "peer pods tunnel 9000/tcp")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud()
			c.nsgRules = append(c.nsgRules, tc.rules...)
			r := deploy(t, c, baseArgs(tc.outbound), "native", "classic", "tls")
			if r.err != nil {
				t.Fatal(r.err)
			}
			if n := len(r.m.OfType(tRule)); n != 3 {
				t.Errorf("%d rules created: %v", n, r.pp.Rules)
			}
			for _, rule := range r.pp.Rules {
				if rule.Adopted {
					t.Errorf("adopted %s", rule.Name)
				}
			}
		})
	}
}

// TestRuleWithGroupsNotAdopted: a rule naming application security groups
// is not adopted (their members are not read).
func TestRuleWithGroupsNotAdopted(t *testing.T) {
	c := newCloud()
	rule := nsgRule("asg", 1000, "Allow", "*", "*", "VirtualNetwork", "*", "")
	rule["sourceApplicationSecurityGroups"] = []any{map[string]any{"id": rgID + "/providers/Microsoft.Network/applicationSecurityGroups/workers"}}
	c.nsgRules = append(c.nsgRules, rule)
	r := deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if n := len(r.m.OfType(tRule)); n != 3 {
		t.Errorf("%d rules created", n)
	}
}

// TestAdoptedRuleFreesItsPriority: a docs-named rule at the stack's
// priority is the rule itself, no clash; a rule the stack creates still
// needs a free priority.
func TestAdoptedRuleFreesItsPriority(t *testing.T) {
	c := newCloud()
	c.nsgRules = append(c.nsgRules,
		nsgRule("Allow-Kata-Agent-Internal", 111, "Allow", "Tcp", "15150", "VirtualNetwork", "VirtualNetwork", ""))
	r := deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err == nil || !strings.Contains(r.err.Error(), "azure.nsgPriorities.tunnelTcp is 111, already used by rule Allow-Kata-Agent-Internal") {
		t.Fatalf("want the tunnel rule's priority refused, got %v", r.err)
	}
	if got := r.m.Summary(); len(got) != 3 { // the providers
		t.Errorf("registered %v", got)
	}
}

// TestRuleAdoptedForOnePort: a rule that lets only the UDP tunnel through
// is adopted for that port; the stack creates the two TCP rules.
func TestRuleAdoptedForOnePort(t *testing.T) {
	c := newCloud()
	c.nsgRules = append(c.nsgRules, nsgRule("udp", 1000, "Allow", "Udp", "*", "*", "*", ""))
	r := deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	var created []string
	for _, rule := range r.m.OfType(tRule) {
		created = append(created, inputs(rule)["securityRuleName"].(string))
	}
	if slices.Sort(created); !reflect.DeepEqual(created, []string{"Allow-Kata-Agent-Internal", "Allow-VXLAN-Internal"}) {
		t.Errorf("created %v", created)
	}
	last := r.pp.Rules[len(r.pp.Rules)-1]
	if len(r.pp.Rules) != 3 || last.Name != "udp" || !last.Adopted || last.Ports[0].String() != "9000/udp" {
		t.Errorf("rules %+v", r.pp.Rules)
	}
}
