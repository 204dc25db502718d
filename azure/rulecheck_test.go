package azure_test

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestCheckRules: the stack's NSG rules and NAT gateways as the cloud
// shows them (on the mocks): one rule intact, one deleted by hand (and an
// adopted one, with its own fix), one whose port and one whose source was
// changed, one shadowed by a deny rule added before it; a gateway still
// on its subnet, one detached, one replaced by another gateway.
func TestCheckRules(t *testing.T) {
	const (
		rg    = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/cluster-rg"
		nsg   = rg + "/providers/Microsoft.Network/networkSecurityGroups/cluster-nsg"
		vnet  = rg + "/providers/Microsoft.Network/virtualNetworks/cluster-vnet"
		gw    = rg + "/providers/Microsoft.Network/natGateways/peerpods-nat"
		other = rg + "/providers/Microsoft.Network/natGateways/someone-elses"
	)
	workers := []string{"10.0.128.0/17"}
	rule := func(name string, priority int, access, proto, port, source string) map[string]any {
		return map[string]any{"name": name, "id": nsg + "/securityRules/" + name, "priority": priority, "direction": "Inbound", "access": access,
			"protocol": proto, "destinationPortRange": port, "sourceAddressPrefix": source, "destinationAddressPrefixes": []any{"10.0.128.0/17"}}
	}
	pm := resource.NewPropertyMapFromMap
	nsgReads := 0
	m := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{
		"azure-native:network:getNetworkSecurityGroup": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			nsgReads++
			if args["resourceGroupName"].StringValue() != "cluster-rg" || args["networkSecurityGroupName"].StringValue() != "cluster-nsg" {
				t.Errorf("getNetworkSecurityGroup %v", args)
			}
			return pm(map[string]any{"id": nsg, "securityRules": []any{
				rule("peerpods-kata-agent-tcp", 1000, "Allow", "Tcp", "15150", "10.0.128.0/17"),
				rule("peerpods-tunnel-udp", 1001, "Allow", "Udp", "9001", "10.0.128.0/17"),
				rule("peerpods-tunnel-tcp", 1002, "Allow", "Tcp", "9000", "10.0.0.0/24"),
				rule("deny-ssh-ish", 900, "Deny", "*", "9100-9200", "*"),
				rule("peerpods-other-tcp", 1003, "Allow", "Tcp", "9150", "VirtualNetwork"),
			}}), nil
		},
		"azure-native:network:getSubnet": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			switch args["subnetName"].StringValue() {
			case "worker-subnet":
				return pm(map[string]any{"natGateway": map[string]any{"id": strings.ToUpper(gw)}}), nil
			case "detached":
				return pm(map[string]any{}), nil
			}
			return pm(map[string]any{"natGateway": map[string]any{"id": other}}), nil
		},
	}}
	agent := netrules.Port{Number: netrules.KataAgentPort, Protocol: netrules.TCP}
	declared := func(name string, port netrules.Port, adopted bool) values.DeclaredRule {
		return values.DeclaredRule{Name: name, ID: nsg + "/securityRules/" + name, Target: "cluster-nsg", Ports: []netrules.Port{port},
			Adopted: adopted, Sources: workers, Destinations: workers}
	}
	nat := func(subnet string, adopted bool) values.DeclaredRule {
		return values.DeclaredRule{Name: "NAT gateway peerpods-nat", ID: gw, Target: "subnet " + subnet, AttachedTo: vnet + "/subnets/" + subnet, Adopted: adopted}
	}
	rules := []values.DeclaredRule{
		declared("peerpods-kata-agent-tcp", agent, false),
		declared("peerpods-gone-tcp", agent, false),
		declared("adopted-gone", agent, true),
		declared("peerpods-tunnel-udp", netrules.Port{Number: 9000, Protocol: netrules.UDP}, false),
		declared("peerpods-tunnel-tcp", netrules.Port{Number: 9000, Protocol: netrules.TCP}, false),
		declared("peerpods-other-tcp", netrules.Port{Number: 9150, Protocol: netrules.TCP}, true),
		nat("worker-subnet", false),
		nat("detached", false),
		nat("taken", true),
	}
	var got []values.RuleFinding
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) (err error) {
		got, err = azure.CheckRules(ctx, map[string]string{contract.KeyAzureNSGID: nsg}, rules)
		return err
	})
	if err != nil || len(got) != len(rules) {
		t.Fatalf("%v %+v", err, got)
	}
	want := []struct{ problem, fix string }{
		{"", ""},
		{"no longer exists in NSG cluster-nsg", values.FixGone},
		{"no longer exists", "azure.adoptRules"},
		{"no longer lets 9000/udp in from 10.0.128.0/17 to 10.0.128.0/17: it is Inbound Allow Udp, ports 9001, from 10.0.128.0/17 to 10.0.128.0/17", values.FixChanged},
		{"no longer lets 9000/tcp in from 10.0.128.0/17 to 10.0.128.0/17: it is Inbound Allow Tcp, ports 9000, from 10.0.0.0/24", values.FixChanged},
		{"lets 9150/tcp in, but an inbound deny rule of NSG cluster-nsg with a lower priority number than its 1003 drops it", "let it allow 9150/tcp again"},
		{"", ""},
		{"is no longer attached: subnet detached has no NAT gateway", values.FixChanged},
		{"is no longer attached: subnet taken uses NAT gateway " + other, "az network vnet subnet update --ids " + vnet + "/subnets/taken --nat-gateway " + gw},
	}
	for i, f := range got {
		w := want[i]
		if (w.problem == "") != (f.Problem == "") || !strings.Contains(f.Problem, w.problem) || !strings.Contains(f.Fix, w.fix) {
			t.Errorf("%s: problem %q fix %q, want %q, %q", f.Rule, f.Problem, f.Fix, w.problem, w.fix)
		}
	}
	if nsgReads != 1 {
		t.Errorf("the NSG was read %d times, want once", nsgReads)
	}
	if err := pulumitest.Run(&pulumitest.Mocks{}, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		_, err := azure.CheckRules(ctx, map[string]string{}, rules)
		return err
	}); err == nil || !strings.Contains(err.Error(), contract.KeyAzureNSGID) {
		t.Errorf("no NSG in the configMap: %v", err)
	}
}
