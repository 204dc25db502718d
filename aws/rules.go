package aws

import (
	"fmt"
	"slices"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IngressRule is an ingress rule a worker security group already has, as
// DescribeSecurityGroupRules reports it.
type IngressRule struct {
	// ID is the rule's ID (sgr-...).
	ID string
	// Protocol is tcp, udp, an IANA number, or -1 for every protocol.
	Protocol string
	// FromPort and ToPort bound the ports (-1 with protocol -1).
	FromPort, ToPort int
	// Source is the security group the traffic may come from; empty for a
	// CIDR or prefix-list source.
	Source string
	// Tags are the rule's tags.
	Tags map[string]string
}

// Allows reports whether r lets port in from the group sg itself.
func (r IngressRule) Allows(sg string, port netrules.Port) bool {
	if r.Source != sg {
		return false
	}
	switch r.Protocol {
	case "-1", "all":
		return true
	case string(port.Protocol), ianaNumber[string(port.Protocol)]:
		return r.FromPort <= port.Number && port.Number <= r.ToPort
	}
	return false
}

// ianaNumber is the IANA protocol number AWS may report instead of the
// name.
var ianaNumber = map[string]string{"tcp": "6", "udp": "17"}

// managedBy reports whether the stack made r as the rule named name: a
// rule it keeps managing rather than adopting.
func (r IngressRule) managedBy(name string) bool {
	return r.Tags[common.ManagedByTag] == common.ManagedBy && r.Tags["Name"] == name
}

// ExistingIngress reads the ingress rules of each group, sorted by rule
// ID so that the choice among rules that allow the same port is stable.
func ExistingIngress(ctx *pulumi.Context, groups []string, via pulumi.InvokeOption) (map[string][]IngressRule, error) {
	out := make(map[string][]IngressRule, len(groups))
	for _, sg := range groups {
		list, err := vpc.GetSecurityGroupRules(ctx, &vpc.GetSecurityGroupRulesArgs{
			Filters: []vpc.GetSecurityGroupRulesFilter{{Name: "group-id", Values: []string{sg}}},
		}, via)
		if err != nil {
			return nil, problems.LookupFailed("aws.securityGroupIds", "the rules of security group "+sg, err,
				"check the group ID and that the AWS credentials may call ec2:DescribeSecurityGroupRules")
		}
		for _, id := range slices.Sorted(slices.Values(list.Ids)) {
			r, err := vpc.GetSecurityGroupRule(ctx, &vpc.GetSecurityGroupRuleArgs{SecurityGroupRuleId: &id}, via)
			if err != nil {
				return nil, problems.LookupFailed("aws.securityGroupIds", fmt.Sprintf("rule %s of security group %s", id, sg), err,
					"check that the AWS credentials may call ec2:DescribeSecurityGroupRules")
			}
			if r.IsEgress {
				continue
			}
			out[sg] = append(out[sg], IngressRule{
				ID: id, Protocol: r.IpProtocol, FromPort: r.FromPort, ToPort: r.ToPort,
				Source: r.ReferencedSecurityGroupId, Tags: r.Tags,
			})
		}
	}
	return out, nil
}

// adoptable returns the rule of rules that already lets port in from sg
// itself, which the stack uses instead of creating the rule named name
// (AWS refuses a duplicate with InvalidPermission.Duplicate; OpenShift's
// installer already opens such ranges between workers). It returns false
// when the stack made that rule itself at an earlier up: it keeps managing
// it, so that the plan does not flip between runs. A rule tagged as made by
// this project under another name is never adopted: the stack that made it
// (or this one, under an old name) may delete it.
func adoptable(rules []IngressRule, sg string, port netrules.Port, name string) (IngressRule, bool) {
	for _, r := range rules {
		if r.managedBy(name) {
			return IngressRule{}, false
		}
	}
	for _, r := range rules {
		if r.Allows(sg, port) && r.Tags[common.ManagedByTag] != common.ManagedBy {
			return r, true
		}
	}
	return IngressRule{}, false
}
