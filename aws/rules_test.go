package aws_test

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	"reflect"
	"testing"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// installerRules are a worker group's rules as OpenShift's installer
// writes them, in part: 9000-9999 TCP and UDP from the workers themselves,
// and rules that allow 15150 but not from the group itself.
func installerRules(sg string) []awsmock.GroupRule {
	return []awsmock.GroupRule{
		{Group: sg, IngressRule: aws.IngressRule{ID: "sgr-0000000000000000a", Protocol: "tcp", FromPort: 9000, ToPort: 9999, Source: sg}},
		{Group: sg, IngressRule: aws.IngressRule{ID: "sgr-0000000000000000b", Protocol: "tcp", FromPort: 10250, ToPort: 10259, Source: sg}},
		// From the control plane, and from a CIDR: not from the group.
		{Group: sg, IngressRule: aws.IngressRule{ID: "sgr-0000000000000000c", Protocol: "-1", FromPort: -1, ToPort: -1, Source: "sg-0ccccccccccccccc0"}},
		{Group: sg, IngressRule: aws.IngressRule{ID: "sgr-0000000000000000d", Protocol: "tcp", FromPort: 0, ToPort: 65535}},
		// UDP as its IANA number.
		{Group: sg, IngressRule: aws.IngressRule{ID: "sgr-0000000000000000e", Protocol: "17", FromPort: 9000, ToPort: 9999, Source: sg}},
	}
}

// A rule that already allows the port from the group itself is used as it
// is: AWS refuses a duplicate, and the installer opens 9000-9999 between
// workers.
func TestAdoptsCoveringIngressRules(t *testing.T) {
	c := newCloud()
	c.rules = installerRules(sg1)
	r := run(t, c, explicitArgs(""), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, expectedRules(sg1)[:1]) // only the kata agent's
	want := []struct {
		name, id string
		adopted  bool
	}{
		{"peerpods-" + sg1 + "-kata-agent-tcp", "peerpods-" + sg1 + "-kata-agent-tcp-id", false},
		{"peerpods-" + sg1 + "-tunnel-tcp", "sgr-0000000000000000a", true},
		{"peerpods-" + sg1 + "-tunnel-udp", "sgr-0000000000000000e", true},
	}
	if len(r.pp.Rules) != len(want) {
		t.Fatalf("rules %+v", r.pp.Rules)
	}
	for i, w := range want {
		got := r.pp.Rules[i]
		id, _ := pulumitest.Await(t, got.ID)
		if got.Name != w.name || string(id.(pulumi.ID)) != w.id || got.Adopted != w.adopted || got.Target != sg1 {
			t.Errorf("rule %d: %s %v adopted %v, want %+v", i, got.Name, id, got.Adopted, w)
		}
	}
	ids, _ := pulumitest.Await(t, r.pp.RuleIDs)
	if !reflect.DeepEqual(ids, []string{want[0].id, want[1].id, want[2].id}) {
		t.Errorf("rule IDs %v", ids)
	}
	if len(r.pp.Values.Ready) != 1 {
		t.Errorf("the values wait for %d resources, want the one rule created", len(r.pp.Values.Ready))
	}
	// Each rule of the group was read, in ID order.
	var read []string
	for _, i := range r.m.Invokes() {
		if i.Token == awsmock.TokenSecurityGroupRule {
			read = append(read, i.Args["securityGroupRuleId"].StringValue())
		}
	}
	if !reflect.DeepEqual(read, []string{"sgr-0000000000000000a", "sgr-0000000000000000b", "sgr-0000000000000000c", "sgr-0000000000000000d", "sgr-0000000000000000e"}) {
		t.Errorf("rules read %v", read)
	}
}

// An all-traffic rule from the group covers every port; among rules that
// cover a port, the one with the lowest ID is chosen, whatever order AWS
// lists them in.
func TestAdoptsAllTrafficRuleStably(t *testing.T) {
	c := newCloud()
	c.rules = []awsmock.GroupRule{
		{Group: sg1, IngressRule: aws.IngressRule{ID: "sgr-0000000000000000f", Protocol: "-1", FromPort: -1, ToPort: -1, Source: sg1}},
		{Group: sg1, IngressRule: aws.IngressRule{ID: "sgr-00000000000000001", Protocol: "-1", FromPort: -1, ToPort: -1, Source: sg1}},
	}
	r := run(t, c, explicitArgs(""), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, nil)
	for _, rl := range r.pp.Rules {
		id, _ := pulumitest.Await(t, rl.ID)
		if !rl.Adopted || id.(pulumi.ID) != "sgr-00000000000000001" {
			t.Errorf("rule %s: %v adopted %v", rl.Name, id, rl.Adopted)
		}
	}
}

// The rule the stack made at an earlier up covers its port now: the stack
// keeps managing it. A rule another peerpods stack made is never adopted.
func TestOwnRulesAreNotAdopted(t *testing.T) {
	c := newCloud()
	name := "peerpods-" + sg1 + "-kata-agent-tcp"
	c.rules = []awsmock.GroupRule{
		{Group: sg1, IngressRule: aws.IngressRule{ID: "sgr-00000000000000001", Protocol: "tcp", FromPort: 15150, ToPort: 15150, Source: sg1,
			Tags: map[string]string{"Name": name, common.ManagedByTag: common.ManagedBy}}},
		{Group: sg1, IngressRule: aws.IngressRule{ID: "sgr-00000000000000002", Protocol: "-1", FromPort: -1, ToPort: -1, Source: sg1,
			Tags: map[string]string{"Name": "other-" + sg1 + "-tunnel-tcp", common.ManagedByTag: common.ManagedBy}}},
		{Group: sg1, IngressRule: aws.IngressRule{ID: "sgr-00000000000000003", Protocol: "tcp", FromPort: 9000, ToPort: 9999, Source: sg1}},
	}
	r := run(t, c, explicitArgs(""), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	// The kata agent's rule stays the stack's; the tunnel TCP port is the
	// installer's; nothing allows UDP but another stack's rule.
	checkRules(t, r, []rule{expectedRules(sg1)[0], expectedRules(sg1)[2]})
	if !r.pp.Rules[1].Adopted || r.pp.Rules[0].Adopted || r.pp.Rules[2].Adopted {
		t.Errorf("rules %+v", r.pp.Rules)
	}
}

func TestIngressRuleAllows(t *testing.T) {
	const sg = "sg-0123456789abcdef0"
	tcp := netrules.Port{Number: 9000, Protocol: "tcp"}
	udp := netrules.Port{Number: 9000, Protocol: "udp"}
	cases := []struct {
		rule aws.IngressRule
		port netrules.Port
		want bool
	}{
		{aws.IngressRule{Protocol: "tcp", FromPort: 9000, ToPort: 9000, Source: sg}, tcp, true},
		{aws.IngressRule{Protocol: "tcp", FromPort: 8000, ToPort: 8999, Source: sg}, tcp, false},
		{aws.IngressRule{Protocol: "tcp", FromPort: 9001, ToPort: 9999, Source: sg}, tcp, false},
		{aws.IngressRule{Protocol: "6", FromPort: 0, ToPort: 65535, Source: sg}, tcp, true},
		{aws.IngressRule{Protocol: "tcp", FromPort: 0, ToPort: 65535, Source: sg}, udp, false},
		{aws.IngressRule{Protocol: "-1", FromPort: -1, ToPort: -1, Source: sg}, udp, true},
		{aws.IngressRule{Protocol: "-1", FromPort: -1, ToPort: -1, Source: "sg-0fffffffffffffff0"}, udp, false},
		{aws.IngressRule{Protocol: "tcp", FromPort: 0, ToPort: 65535}, tcp, false},
		{aws.IngressRule{Protocol: "icmp", FromPort: -1, ToPort: -1, Source: sg}, tcp, false},
	}
	for i, c := range cases {
		if got := c.rule.Allows(sg, c.port); got != c.want {
			t.Errorf("%d: %+v allows %s: %v, want %v", i, c.rule, c.port, got, c.want)
		}
	}
}

// A group whose rules cannot be read fails before anything is registered.
func TestUnreadableRulesRegisterNothing(t *testing.T) {
	c := newCloud()
	c.rules = []awsmock.GroupRule{{Group: sg1, IngressRule: aws.IngressRule{ID: "sgr-00000000000000001", Protocol: "tcp"}}}
	ids := awsmock.Ingress(c.rules)[awsmock.TokenSecurityGroupRules]
	c.calls = map[string]pulumitest.CallFunc{
		awsmock.TokenSecurityGroupRules: ids,
		awsmock.TokenSecurityGroupRule:  awsmock.Ingress(nil)[awsmock.TokenSecurityGroupRule],
	}
	r := run(t, c, explicitArgs(""), true)
	pulumitest.RequireInputError(t, r.err, "aws.securityGroupIds", "ec2:DescribeSecurityGroupRules")
	if got := r.m.Summary(); len(got) != 1 {
		t.Errorf("registered %v", got)
	}
}
