package aws

import (
	"fmt"
	"slices"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/values"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CheckRules reads, with invokes only, the ingress rules the stack
// declared (its rules output) in the region of cm (the stack's
// peer-pods-cm): each must still exist in its security group and allow
// each of its ports from the group itself, the source the stack gives
// (workers and pod VMs share the group). An adopted rule is checked the
// same way.
func CheckRules(ctx *pulumi.Context, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error) {
	prov, err := awsp.NewProvider(ctx, "check", &awsp.ProviderArgs{Region: pulumi.StringPtr(cm[contract.KeyAWSRegion])})
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, r := range rules {
		if !slices.Contains(groups, r.Target) {
			groups = append(groups, r.Target)
		}
	}
	ingress, err := ExistingIngress(ctx, groups, pulumi.Provider(prov))
	if err != nil {
		return nil, err
	}
	out := make([]values.RuleFinding, 0, len(rules))
	for _, r := range rules {
		f := values.RuleFinding{Rule: r}
		i := slices.IndexFunc(ingress[r.Target], func(x IngressRule) bool { return x.ID == r.ID })
		if i < 0 {
			f.Problem = fmt.Sprintf("no longer exists in security group %s (deleted by hand?)", r.Target)
			f.Fix = "peerpods up --stack S creates it again"
			if r.Adopted {
				f.Fix = "it was adopted (aws.adoptRules): restore it, or remove it from aws.adoptRules and run peerpods up --stack S to create the stack's own"
			}
		} else {
			for _, p := range r.Ports {
				if !ingress[r.Target][i].Allows(r.Target, p) {
					got := ingress[r.Target][i]
					f.Problem = fmt.Sprintf("no longer allows %s from %s: it allows %s %d-%d from %q (changed by hand?)", p, r.Target, got.Protocol, got.FromPort, got.ToPort, got.Source)
					f.Fix = "peerpods up --stack S puts the stack's rule back (peerpods refresh --stack S --expect-no-changes shows the drift)"
					break
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}
