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

// taggedOurs reports whether r carries this project's managed-by tag. A
// tag is a hint anyone can edit: it only ever stops a run (a rule that
// has it is never adopted; one identical to the stack's without it is
// reported), never makes the stack give up a rule of its own.
func (r IngressRule) taggedOurs() bool {
	return r.Tags[common.ManagedByTag] == common.ManagedBy
}

// exactly reports whether r is the very rule the stack creates for port
// in group sg: the same protocol, the port alone, the group itself as the
// source. AWS keeps one such rule per group: a second is refused with
// InvalidPermission.Duplicate.
func (r IngressRule) exactly(sg string, port netrules.Port) bool {
	return r.Source == sg && r.FromPort == port.Number && r.ToPort == port.Number &&
		(r.Protocol == string(port.Protocol) || r.Protocol == ianaNumber[string(port.Protocol)])
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

// slot is what the stack declares for one port of one group.
type slot struct {
	// use, when set, is an adopted rule that lets the port in and is not
	// the one the stack would create: the stack declares nothing for the
	// port and uses it as it is.
	use *IngressRule
	// importID, when set, is the adopted rule identical to the stack's:
	// the stack declares its rule with that ID imported (a no-op once the
	// rule is in the stack's state: pulumi/pkg/v3
	// resource/deploy/step_generator.go, isImport) and retained on
	// destroy.
	importID string
}

// planSlot decides what the stack declares for port in group sg, given
// the group's rules and the rule IDs the stack may adopt (Args.AdoptRules).
// Its own rule is always declared, unless an adopted rule that is not
// identical to it (a wider one) lets the port in: the engine knows from
// the stack's state whether the rule is the stack's own, which nothing in
// AWS can tell. A rule identical to the stack's that is neither adopted
// nor tagged as made by this project stops the run: AWS would refuse the
// stack's as a duplicate.
func planSlot(rules []IngressRule, sg string, port netrules.Port, adopt []string) (slot, error) {
	for _, r := range rules {
		if !r.exactly(sg, port) {
			continue
		}
		switch {
		case slices.Contains(adopt, r.ID):
			return slot{importID: r.ID}, nil
		case r.taggedOurs():
			return slot{}, nil
		}
		return slot{}, problems.Invalid(settingAdoptRules, fmt.Sprintf("does not list %s, a rule of security group %s that already lets %s in from the group itself and that this stack did not make (it does not carry the %s tag), so AWS would refuse the stack's own as a duplicate", r.ID, sg, port, common.ManagedByTag),
			fmt.Sprintf("add %s to %s to use it as it is (the stack then never changes it, and destroy leaves it), or delete it so that the stack creates its own", r.ID, settingAdoptRules))
	}
	for i, r := range rules {
		if slices.Contains(adopt, r.ID) && r.Allows(sg, port) {
			return slot{use: &rules[i]}, nil
		}
	}
	return slot{}, nil
}

// checkAdopted reports the adopted rule IDs that cannot be adopted: not a
// rule of a worker group, a rule that lets no peer-pods port in from its
// group, or a rule tagged as made by this project (the stack's own, or
// another stack's: adopting it would let the stack give up its own).
func checkAdopted(adopt []string, ingress map[string][]IngressRule, ports []netrules.Port) error {
	var p problems.List
	for i, id := range adopt {
		setting := fmt.Sprintf("%s[%d]", settingAdoptRules, i)
		var found *IngressRule
		var group string
		for sg, rules := range ingress {
			for j, r := range rules {
				if r.ID == id {
					found, group = &ingress[sg][j], sg
				}
			}
		}
		switch {
		case found == nil:
			p.Add(problems.Invalid(setting, fmt.Sprintf("is %s, which is not an ingress rule of the worker security groups", id), "list rules of the worker groups only, or remove the entry"))
		case found.taggedOurs():
			p.Add(problems.Invalid(setting, fmt.Sprintf("is %s, which carries the %s tag: a rule a peerpods stack made", id, common.ManagedByTag), "remove the entry: the stack that made the rule manages it"))
		case !slices.ContainsFunc(ports, func(port netrules.Port) bool { return found.Allows(group, port) }):
			p.Add(problems.Invalid(setting, fmt.Sprintf("is %s, which lets no peer-pods port in from security group %s itself", id, group), "remove the entry: the stack would not use the rule"))
		}
	}
	return p.Err()
}
