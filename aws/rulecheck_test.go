package aws_test

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestCheckRules: the stack's rules as the cloud shows them (on the
// mocks): one intact, one deleted by hand (an adopted one, with its own
// fix), one whose port or source was changed by hand.
func TestCheckRules(t *testing.T) {
	const sg = "sg-0123456789abcdef0"
	agent := netrules.Port{Number: netrules.KataAgentPort, Protocol: netrules.TCP}
	tunnel := netrules.Port{Number: 9000, Protocol: netrules.UDP}
	rule := func(id, proto string, port int, source string) awsmock.GroupRule {
		return awsmock.GroupRule{Group: sg, IngressRule: aws.IngressRule{ID: id, Protocol: proto, FromPort: port, ToPort: port, Source: source}}
	}
	calls := map[string]pulumitest.CallFunc{}
	for k, v := range awsmock.Ingress([]awsmock.GroupRule{
		rule("sgr-agent", "tcp", netrules.KataAgentPort, sg),
		rule("sgr-tunnel", "udp", 9001, sg),
		rule("sgr-other", "tcp", 9000, "sg-elsewhere"),
	}) {
		calls[k] = v
	}
	declared := []values.DeclaredRule{
		{Name: "agent", ID: "sgr-agent", Target: sg, Ports: []netrules.Port{agent}},
		{Name: "tunnel", ID: "sgr-tunnel", Target: sg, Ports: []netrules.Port{tunnel}},
		{Name: "gone", ID: "sgr-gone", Target: sg, Ports: []netrules.Port{agent}},
		{Name: "adopted", ID: "sgr-adopted", Target: sg, Ports: []netrules.Port{agent}, Adopted: true},
		{Name: "source", ID: "sgr-other", Target: sg, Ports: []netrules.Port{{Number: 9000, Protocol: netrules.TCP}}},
	}
	var got []values.RuleFinding
	err := pulumitest.Run(&pulumitest.Mocks{Calls: calls}, pulumitest.Config{}, func(ctx *pulumi.Context) (err error) {
		got, err = aws.CheckRules(ctx, map[string]string{contract.KeyAWSRegion: "us-east-2"}, declared)
		return err
	})
	if err != nil || len(got) != len(declared) {
		t.Fatalf("%v %+v", err, got)
	}
	want := []string{"",
		"no longer allows 9000/udp from " + sg + ": it allows udp 9001-9001",
		"no longer exists in security group " + sg,
		"no longer exists",
		`no longer allows 9000/tcp from ` + sg + `: it allows tcp 9000-9000 from "sg-elsewhere"`}
	for i, f := range got {
		if (want[i] == "") != (f.Problem == "") || !strings.Contains(f.Problem, want[i]) {
			t.Errorf("%s: problem %q, want %q", f.Rule.Name, f.Problem, want[i])
		}
	}
	if !strings.Contains(got[3].Fix, "aws.adoptRules") || !strings.Contains(got[2].Fix, "peerpods up") {
		t.Errorf("fixes: %q, %q", got[2].Fix, got[3].Fix)
	}
}
