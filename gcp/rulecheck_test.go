package gcp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/gcp"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// firewallType is the type token of compute.Firewall.
const firewallType = "gcp:compute/firewall:Firewall"

// fwID is the ID pulumi-gcp gives the firewall rule name.
func fwID(name string) string { return "projects/my-openshift-project/global/firewalls/" + name }

// firewalls answers reads of firewall rules by ID as the cloud holds them
// (a rule it lacks fails as the engine fails the read), and records the
// IDs read.
func firewalls(rules map[string]map[string]any, read *[]string) pulumitest.ReadFunc {
	return func(id string) (resource.PropertyMap, error) {
		*read = append(*read, id)
		r, ok := rules[id]
		if !ok {
			return nil, fmt.Errorf("resource '%s' does not exist", id)
		}
		return resource.NewPropertyMapFromMap(r), nil
	}
}

// rightRule is the firewall rule the stack declares: ingress, the
// peer-pods ports from and to the machine network.
func rightRule(name string) map[string]any {
	return map[string]any{"name": name, "direction": "INGRESS", "network": "mycluster-x7k2p-network",
		"allows":       []any{map[string]any{"protocol": "tcp", "ports": []any{"9000", "15150"}}, map[string]any{"protocol": "udp", "ports": []any{"9000"}}},
		"sourceRanges": []any{"10.0.0.0/16"}, "destinationRanges": []any{"10.0.0.0/16"}}
}

// declaredRule is name as the stack's rules output lists it.
func declaredRule(name string, adopted bool) values.DeclaredRule {
	return values.DeclaredRule{Name: name, ID: fwID(name), Target: "mycluster-x7k2p-network", Adopted: adopted,
		Ports:   netrules.Ports(netrules.DefaultTunnelPort, netrules.DefaultTunnelProtocols),
		Sources: []string{"10.0.0.0/16"}, Destinations: []string{"10.0.0.0/16"}}
}

// TestCheckRules: the stack's firewall rule as the cloud shows it (on the
// mocks, read with a resource Get): intact, its UDP port removed, its
// source changed, its destination ranges dropped (the whole network),
// target tags added, disabled; each finding names what differs.
func TestCheckRules(t *testing.T) {
	cloud := map[string]map[string]any{}
	change := func(name string, edit func(map[string]any)) {
		r := rightRule(name)
		edit(r)
		cloud[fwID(name)] = r
	}
	change("right", func(map[string]any) {})
	change("port-removed", func(r map[string]any) {
		r["allows"] = []any{map[string]any{"protocol": "tcp", "ports": []any{"9000", "15150"}}}
	})
	change("source-changed", func(r map[string]any) { r["sourceRanges"] = []any{"10.0.0.0/24"} })
	change("whole-network", func(r map[string]any) { delete(r, "destinationRanges") })
	change("tagged", func(r map[string]any) { r["targetTags"] = []any{"mycluster-x7k2p-worker"} })
	change("disabled", func(r map[string]any) { r["disabled"] = true })
	change("all-ports", func(r map[string]any) { r["allows"] = []any{map[string]any{"protocol": "all"}} })
	var read []string
	m := &pulumitest.Mocks{Reads: map[string]pulumitest.ReadFunc{firewallType: firewalls(cloud, &read)}}
	rules := []values.DeclaredRule{declaredRule("right", false), declaredRule("port-removed", false), declaredRule("source-changed", true),
		declaredRule("whole-network", false), declaredRule("tagged", false), declaredRule("disabled", false), declaredRule("all-ports", false)}
	var got []values.RuleFinding
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) (err error) {
		got, err = gcp.CheckRules(ctx, map[string]string{contract.KeyGCPProjectID: "my-openshift-project"}, rules)
		return err
	})
	if err != nil || len(got) != len(rules) {
		t.Fatalf("%v %+v", err, got)
	}
	want := []struct{ problem, fix string }{
		{"", ""},
		{"it no longer allows 9000/udp (it allows tcp:9000,15150)", values.FixChanged},
		{"its source ranges [10.0.0.0/24] no longer take in 10.0.0.0/16", "gcloud compute firewall-rules update source-changed"},
		{"it has no destination ranges, so it covers every instance of network mycluster-x7k2p-network, not only 10.0.0.0/16", values.FixChanged},
		{"it applies only to instances with target tags [mycluster-x7k2p-worker]", values.FixChanged},
		{"it is disabled", values.FixChanged},
		{"", ""},
	}
	for i, f := range got {
		w := want[i]
		if (w.problem == "") != (f.Problem == "") || !strings.Contains(f.Problem, w.problem) || !strings.Contains(f.Fix, w.fix) {
			t.Errorf("%s: problem %q fix %q, want %q, %q", f.Rule, f.Problem, f.Fix, w.problem, w.fix)
		}
	}
	if len(read) != len(rules) || read[0] != fwID("right") {
		t.Errorf("read %v", read)
	}
	for _, r := range m.OfType(firewallType) {
		if !strings.HasPrefix(r.Name, "check-") {
			t.Errorf("read as %s, which could be the stack's own resource name", r.Name)
		}
	}
}

// TestCheckRulesGone: a rule the cloud no longer has fails the read as
// the engine fails it; values.GoneRule finds the rule in that error and
// Gone is its finding (the adopted one with its own fix).
func TestCheckRulesGone(t *testing.T) {
	var read []string
	m := &pulumitest.Mocks{Reads: map[string]pulumitest.ReadFunc{firewallType: firewalls(nil, &read)}}
	rules := []values.DeclaredRule{declaredRule("gone", false)}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		_, err := gcp.CheckRules(ctx, map[string]string{contract.KeyGCPProjectID: "my-openshift-project"}, rules)
		return err
	})
	if values.GoneRule(err, rules) != 0 {
		t.Fatalf("the error does not name the rule gone: %v", err)
	}
	f := gcp.Gone(rules[0])
	if f.Problem != "no longer exists in network mycluster-x7k2p-network (deleted by hand?)" || f.Fix != values.FixGone {
		t.Errorf("%+v", f)
	}
	if f := gcp.Gone(declaredRule("docs", true)); !strings.Contains(f.Fix, "gcp.adoptFirewall") {
		t.Errorf("adopted: %+v", f)
	}
}
