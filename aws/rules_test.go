package aws_test

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"reflect"
	"slices"
	"strings"
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

// Rules the stack did not make are never taken implicitly: with the
// installer's 9000-9999 rules the stack still declares its own rule for
// each port (AWS takes a rule inside a wider one); listed in
// aws.adoptRules, the wider rules stand in for the tunnel ports, used as
// they are.
func TestCoveringRulesAreAdoptedOnlyWhenListed(t *testing.T) {
	c := newCloud()
	c.rules = installerRules(sg1)
	r := run(t, c, explicitArgs(""), true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, expectedRules(sg1))
	for _, rl := range r.pp.Rules {
		if rl.Adopted {
			t.Errorf("rule %s adopted without aws.adoptRules", rl.Name)
		}
	}

	args := explicitArgs("")
	args.AdoptRules = []string{"sgr-0000000000000000a", "sgr-0000000000000000e"}
	r = run(t, c, args, true)
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

// docsRule is the kata agent's rule as the product documentation's
// aws ec2 authorize-security-group-ingress makes it: no tags.
func docsRule(tags map[string]string) awsmock.GroupRule {
	return awsmock.GroupRule{Group: sg1, IngressRule: aws.IngressRule{ID: "sgr-00000000000000001", Protocol: "tcp", FromPort: 15150, ToPort: 15150, Source: sg1, Tags: tags}}
}

// A rule made with the docs' command is identical to the stack's: it
// stops the run before anything is registered, naming aws.adoptRules and
// its ID; listed there, it is imported into the stack's rule (retained on
// destroy, its description and tags never rewritten) and reported as
// adopted.
func TestDocsMadeRuleIsRefusedThenImported(t *testing.T) {
	c := newCloud()
	c.rules = []awsmock.GroupRule{docsRule(nil)}
	r := run(t, c, explicitArgs(""), true)
	pulumitest.RequireInputError(t, r.err, "aws.adoptRules", "add sgr-00000000000000001 to aws.adoptRules")
	if got := r.m.Summary(); len(got) != 1 {
		t.Errorf("registered %v", got)
	}

	args := explicitArgs("")
	args.AdoptRules = []string{"sgr-00000000000000001"}
	r = run(t, c, args, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRules(t, r, expectedRules(sg1))
	for _, g := range r.m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		agent := g.Name == "peerpods-"+sg1+"-kata-agent-tcp"
		if agent != (g.ImportID == "sgr-00000000000000001") || agent != g.Retain {
			t.Errorf("%s: import %q retain %t", g.Name, g.ImportID, g.Retain)
		}
	}
	if !r.pp.Rules[0].Adopted || r.pp.Rules[1].Adopted || r.pp.Rules[2].Adopted {
		t.Errorf("rules %+v", r.pp.Rules)
	}
}

// The stack's own rule stays its own whatever its tags say: with this
// project's tag (under any name, edited or not) it is declared as the
// stack's, never imported or dropped (the engine keeps it as it is in the
// state); with the tag removed, the run stops rather than give the rule
// up, and even listed in aws.adoptRules it stays declared (an import of an
// ID the state already has is no import: pulumi/pkg/v3
// resource/deploy/step_generator.go, isImport), only retained.
func TestOwnRuleStaysDeclaredWhateverItsTags(t *testing.T) {
	for _, tags := range []map[string]string{
		{"Name": "peerpods-" + sg1 + "-kata-agent-tcp", common.ManagedByTag: common.ManagedBy},
		{"Name": "edited", common.ManagedByTag: common.ManagedBy},
	} {
		c := newCloud()
		c.rules = []awsmock.GroupRule{docsRule(tags)}
		r := run(t, c, explicitArgs(""), true)
		if r.err != nil {
			t.Fatal(r.err)
		}
		checkRules(t, r, expectedRules(sg1))
		for _, g := range r.m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
			if g.ImportID != "" || g.Retain {
				t.Errorf("tags %v: %s import %q retain %t", tags, g.Name, g.ImportID, g.Retain)
			}
		}
	}
	// Adopting a rule that carries the tag is refused: it is a stack's.
	c := newCloud()
	c.rules = []awsmock.GroupRule{docsRule(map[string]string{common.ManagedByTag: common.ManagedBy})}
	args := explicitArgs("")
	args.AdoptRules = []string{"sgr-00000000000000001"}
	r := run(t, c, args, true)
	pulumitest.RequireInputError(t, r.err, "aws.adoptRules[0]", "the stack that made the rule manages it")
}

// Adopted IDs are checked against what the groups have.
func TestAdoptRulesChecked(t *testing.T) {
	c := newCloud()
	c.rules = installerRules(sg1)
	for id, fix := range map[string]string{
		"sgr-0000000000000ffff": "list rules of the worker groups only",
		"sgr-0000000000000000b": "the stack would not use the rule", // 10250-10259
		"sgr-0000000000000000c": "the stack would not use the rule", // from another group
		"sgr-0000000000000000d": "the stack would not use the rule", // from a CIDR
		"sgr-0000000000000000a": "",                                 // 9000-9999 TCP
	} {
		args := explicitArgs("")
		args.AdoptRules = []string{id}
		r := run(t, c, args, true)
		if fix == "" {
			pulumitest.RequireInputError(t, r.err, "", "")
			continue
		}
		pulumitest.RequireInputError(t, r.err, "aws.adoptRules[0]", fix)
	}
	args := explicitArgs("")
	args.AdoptRules = []string{"rule-1"}
	pulumitest.RequireInputError(t, args.WithDefaults().Validate(), "aws.adoptRules[0]", "sgr-")
}

// Renaming the component with an alias moves its rules instead of
// creating duplicates AWS would refuse: the engine derives each child's
// alias from its parent's when the child's name starts with the parent's
// (pulumi/pkg/v3 resource/deploy/step_generator.go, generateAliases and
// inheritedChildAlias), so the component carries the alias and every
// child's name starts with the component's.
func TestRenamedComponentKeepsItsRules(t *testing.T) {
	c := newCloud()
	m := c.mocks()
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		p, err := awsp.NewProvider(ctx, "aws", &awsp.ProviderArgs{Region: pulumi.String("us-east-2")})
		if err != nil {
			return err
		}
		_, err = aws.NewPeerPods(ctx, "renamed", explicitArgs(""), pulumi.Provider(p),
			pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String("peerpods")}}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	comp := m.Get(t, aws.PeerPodsType, "renamed")
	if !slices.ContainsFunc(comp.Aliases, func(a string) bool { return a == "peerpods" || strings.HasSuffix(a, "::peerpods") }) {
		t.Errorf("component aliases %v", comp.Aliases)
	}
	for _, g := range m.Resources() {
		if g.Parent == comp.URN && !strings.HasPrefix(g.Name, "renamed-") {
			t.Errorf("child %s does not start with the component's name: a rename would not move it", g.Name)
		}
	}
	if n := len(m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")); n != 3 {
		t.Errorf("%d rules", n)
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
