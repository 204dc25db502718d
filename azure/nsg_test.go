package azure_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
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
// NAT gateway (outbound type NatGateway, or an admin's) keeps it when
// azure.adoptNatGateway names it, and the pod VMs share it: no gateway,
// IP or association is created, and the outputs say which gateway is
// used.
func TestWorkerSubnetReusesItsNATGateway(t *testing.T) {
	c := newCloud()
	theirs := rgID + "/providers/Microsoft.Network/natGateways/mycluster-x7k2p-natgw"
	c.subnetNAT = theirs
	args := baseArgs(azure.OutboundWorkerSubnet)
	args.AdoptNATGateway = "mycluster-x7k2p-natgw"
	r := deploy(t, c, args, "native", "classic", "tls")
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
	checkAttachment(t, r, "mycluster-x7k2p-natgw", theirs, subnet, subnetID, true, []any{workerNet})
	if len(r.pp.Values.Ready) != 3 {
		t.Errorf("ready %d, want the three rules", len(r.pp.Values.Ready))
	}
}

// TestWorkerSubnetGatewayNeedsAdoption: a gateway on the worker subnet
// that the stack did not make stops the run before anything is registered,
// naming azure.adoptNatGateway and the gateway; one tagged as a peerpods
// stack's (the stack's own before azure.natGatewayName changed) lets the
// stack declare its gateway, whose association to the subnet goes before
// the new one is made (a subnet has one gateway); an adoption naming
// another gateway is refused.
func TestWorkerSubnetGatewayNeedsAdoption(t *testing.T) {
	theirs := rgID + "/providers/Microsoft.Network/natGateways/mycluster-x7k2p-natgw"
	c := newCloud()
	c.subnetNAT = theirs
	r := deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	pulumitest.RequireInputError(t, r.err, "azure.adoptNatGateway", "set azure.adoptNatGateway to mycluster-x7k2p-natgw")
	if got := r.m.Summary(); len(got) != 3 { // the providers
		t.Errorf("registered %v", got)
	}

	args := baseArgs(azure.OutboundWorkerSubnet)
	args.AdoptNATGateway = "other-gw"
	r = deploy(t, c, args, "native", "classic", "tls")
	pulumitest.RequireInputError(t, r.err, "azure.adoptNatGateway", "name the gateway the worker subnet uses")

	c.subnetNAT = rgID + "/providers/Microsoft.Network/natGateways/old-name"
	c.subnetNATTags = map[string]any{common.ManagedByTag: common.ManagedBy}
	r = deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, workerSubnetGraph) {
		t.Fatalf("graph %v\nwant %v", got, workerSubnetGraph)
	}
	if a := r.m.Get(t, tAssoc, "peerpods-worker-subnet-nat"); !a.DeleteBeforeReplace {
		t.Error("the association is not deleted before it is replaced")
	}
	if reused, _ := pulumitest.Await(t, r.pp.NATGatewayReused); reused != false {
		t.Error("reported as reused")
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

// TestDocsNamedRulesAdopted: rules by the docs' names (the stack's) that
// someone else made stop the run unless azure.adoptRules lists them;
// listed, and letting the ports through from the VNet, each is imported
// into the stack's rule of its name (never rewritten, retained on
// destroy), and the rules output lists them as adopted.
func TestDocsNamedRulesAdopted(t *testing.T) {
	c := newCloud()
	c.nsgRules = append(c.nsgRules,
		nsgRule("Allow-Kata-Agent-Internal", 112, "Allow", "Tcp", "15150", "VirtualNetwork", "VirtualNetwork", ""),
		nsgRule("Allow-VXLAN-Internal", 111, "Allow", "Tcp", "9000", "10.0.0.0/14", "*", "opened by hand"),
		nsgRule("Allow-VXLAN-Internal-UDP", 110, "Allow", "Udp", "8000-9999", "VirtualNetwork", "10.0.128.0/17", ""),
	)
	r := deploy(t, c, baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err == nil || strings.Count(r.err.Error(), "azure.adoptRules does not list rule") != 3 {
		t.Fatalf("want the three rules refused, got %v", r.err)
	}
	args := baseArgs(azure.OutboundWorkerSubnet)
	args.AdoptRules = []string{"allow-kata-agent-internal", "Allow-VXLAN-Internal", "Allow-VXLAN-Internal-UDP"}
	r = deploy(t, c, args, "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, workerSubnetGraph) {
		t.Fatalf("graph %v\nwant %v", got, workerSubnetGraph)
	}
	for _, g := range r.m.OfType(tRule) {
		name := inputs(g)["securityRuleName"].(string)
		if g.ImportID != nsgID+"/securityRules/"+name || !g.Retain || !slices.Contains(g.IgnoreChanges, "sourceAddressPrefixes") {
			t.Errorf("%s: import %q retain %t ignore %v", g.Name, g.ImportID, g.Retain, g.IgnoreChanges)
		}
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
		if got.Name != w.name || !got.Adopted || got.Target != nsgName || len(got.Ports) != 1 || got.Ports[0].String() != w.port || id == nil {
			t.Errorf("rule %d: %+v (id %v)", i, got, id)
		}
	}
	// The association and the three imports are waited for.
	if len(r.pp.Values.Ready) != 4 {
		t.Errorf("ready %d", len(r.pp.Values.Ready))
	}
	out, _ := pulumitest.Await(t, values.RulesOutput(r.pp.Rules).ToArrayOutput())
	if first := out.([]any)[0].(map[string]any); first["adopted"] != true {
		t.Errorf("rules output %v", first)
	}
}

// TestOneWideRuleAdopted: one adopted rule that lets both ports through
// for every protocol from the VirtualNetwork tag (as `az network nsg rule
// create --destination-port-ranges 15150 9000 --source-address-prefixes
// VirtualNetwork` makes it) stands for all three, once in the output.
// Not listed in azure.adoptRules, it is left alone and the stack makes its
// own rules.
func TestOneWideRuleAdopted(t *testing.T) {
	for _, outbound := range []string{azure.OutboundWorkerSubnet, azure.OutboundPeerVNet} {
		c := newCloud()
		c.nsgRules = append(c.nsgRules, nsgRule("allow-peer-pods", 1000, "Allow", "*", "15150 9000", "VirtualNetwork", "*", ""))
		r := deploy(t, c, baseArgs(outbound), "native", "classic", "tls")
		if r.err != nil || len(r.m.OfType(tRule)) != 3 {
			t.Fatalf("%s: not adopted: %v %v", outbound, r.err, r.m.Summary())
		}
		args := baseArgs(outbound)
		args.AdoptRules = []string{"allow-peer-pods"}
		r = deploy(t, c, args, "native", "classic", "tls")
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
// never adopted: listed in azure.adoptRules it is refused, and unlisted
// the stack creates its own rules. A rule a peerpods stack made (by its
// description) is never adopted either.
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
			last := tc.rules[len(tc.rules)-1].(map[string]any)["name"].(string)
			args := baseArgs(tc.outbound)
			args.AdoptRules = []string{last}
			r = deploy(t, c, args, "native", "classic", "tls")
			if r.err == nil || !strings.Contains(r.err.Error(), "azure.adoptRules[0] is \""+last+"\"") {
				t.Errorf("adopting %s: %v", last, r.err)
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
	args := baseArgs(azure.OutboundWorkerSubnet)
	args.AdoptRules = []string{"asg"}
	r := deploy(t, c, args, "native", "classic", "tls")
	pulumitest.RequireInputError(t, r.err, "azure.adoptRules[0]", "the stack would not use the rule")
}

// TestAdoptedRuleFreesItsPriority: an adopted docs-named rule at the
// stack's priority is the rule itself, no clash; a rule the stack creates
// still needs a free priority.
func TestAdoptedRuleFreesItsPriority(t *testing.T) {
	c := newCloud()
	c.nsgRules = append(c.nsgRules,
		nsgRule("Allow-Kata-Agent-Internal", 111, "Allow", "Tcp", "15150", "VirtualNetwork", "VirtualNetwork", ""))
	args := baseArgs(azure.OutboundWorkerSubnet)
	args.AdoptRules = []string{"Allow-Kata-Agent-Internal"}
	r := deploy(t, c, args, "native", "classic", "tls")
	if r.err == nil || !strings.Contains(r.err.Error(), "azure.nsgPriorities.tunnelTcp is 111, already used by rule Allow-Kata-Agent-Internal") {
		t.Fatalf("want the tunnel rule's priority refused, got %v", r.err)
	}
	if got := r.m.Summary(); len(got) != 3 { // the providers
		t.Errorf("registered %v", got)
	}
}

// TestRuleAdoptedForOnePort: an adopted rule that lets only the UDP tunnel
// through is used for that port; the stack creates the two TCP rules.
func TestRuleAdoptedForOnePort(t *testing.T) {
	c := newCloud()
	c.nsgRules = append(c.nsgRules, nsgRule("udp", 1000, "Allow", "Udp", "*", "10.0.0.0/8", "*", ""))
	args := baseArgs(azure.OutboundWorkerSubnet)
	args.AdoptRules = []string{"udp"}
	r := deploy(t, c, args, "native", "classic", "tls")
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

// TestChildrenFollowARename: every resource under the component is named
// after it, so that a component renamed with pulumi.Aliases moves them all
// (the engine derives a child's alias from its parent's only for a child
// whose name starts with the parent's: pulumi/pkg/v3
// resource/deploy/step_generator.go, inheritedChildAlias).
func TestChildrenFollowARename(t *testing.T) {
	for _, outbound := range []string{azure.OutboundWorkerSubnet, azure.OutboundPeerVNet} {
		r := deploy(t, newCloud(), baseArgs(outbound), "native", "classic", "tls")
		if r.err != nil {
			t.Fatal(r.err)
		}
		comp := r.m.Get(t, azure.PeerPodsType, "peerpods")
		under := map[string]bool{comp.URN: true}
		for _, g := range r.m.Resources() { // registered parents first
			if !under[g.Parent] {
				continue
			}
			under[g.URN] = true
			if !strings.HasPrefix(g.Name, "peerpods-") {
				t.Errorf("%s: %s %s is not named after the component", outbound, g.Type, g.Name)
			}
		}
		if len(under) < 6 {
			t.Errorf("%s: %d resources under the component", outbound, len(under))
		}
	}
}

// TestOpenRuleNotAdopted: a rule that lets the ports in from any source
// (*, Any, a public prefix that covers the subnets) is refused for adoption, naming the rule
// and source, unless peerpods:allowPublicRanges accepts that exposure.
func TestOpenRuleNotAdopted(t *testing.T) {
	for _, src := range []string{"*", "Any", "0.0.0.0/1"} {
		c := newCloud()
		c.nsgRules = append(c.nsgRules, nsgRule("open", 1000, "Allow", "*", "*", src, "*", ""))
		args := baseArgs(azure.OutboundWorkerSubnet)
		args.AdoptRules = []string{"open"}
		r := deploy(t, c, args, "native", "classic", "tls")
		if r.err == nil || !strings.Contains(r.err.Error(), "azure.adoptRules[0] (rule open, source "+src) || !strings.Contains(r.err.Error(), "public address space") {
			t.Errorf("source %s: %v", src, r.err)
		}
		args.Settings.AllowPublicRanges = []string{"0.0.0.0/0"}
		if r := deploy(t, c, args, "native", "classic", "tls"); r.err != nil {
			t.Errorf("source %s, allowed: %v", src, r.err)
		}
	}
}
