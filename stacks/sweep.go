package stacks

import (
	"fmt"

	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Sweeper is implemented by a cloud whose pod-VM leftovers (what
// cloud-api-adaptor created and did not delete) Pulumi invokes can find.
// peerpods sweep and destroy run it in a read-only program.
type Sweeper interface {
	// Leftovers registers the cloud's provider (explicit, from cm) and
	// finds, with invokes only, the objects cloud-api-adaptor created in
	// the network the stack handed it: cm is the stack's peer-pods-cm
	// (its configMap output), what cloud-api-adaptor was started with.
	// Only objects named or tagged as cloud-api-adaptor does are
	// returned, each with the cloud CLI command that removes it.
	Leftovers(ctx *pulumi.Context, cm map[string]string) ([]leftovers.Item, error)
}

// RuleChecker is a Cloud that can read back, with invokes only, the
// network rules a stack declared (its rules output), for peerpods check.
type RuleChecker interface {
	// CheckRules registers the cloud's provider (explicit, from cm, the
	// stack's peer-pods-cm) and reports, per rule, whether it still
	// exists and allows its ports from the source the stack gives.
	CheckRules(ctx *pulumi.Context, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error)
}

// GoneReporter is a RuleChecker that reads rules as resources (a resource
// Get, where the cloud's provider has no invoke reading them: GCP's
// firewall rules). The engine fails the whole program when such a rule
// is gone (values.GoneRule); Gone is that rule's finding.
type GoneReporter interface {
	// Gone is the finding of r, which no longer exists.
	Gone(r values.DeclaredRule) values.RuleFinding
}

// CheckRules runs c's CheckRules on rules in a read-only program (run
// runs one) and returns one finding per rule, in the rules' order. When
// c is a GoneReporter and the program fails because one of the rules is
// gone, that rule's finding is Gone's and the others are read again, in
// a new program.
func CheckRules(c RuleChecker, run func(pulumi.RunFunc) error, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error) {
	byRule := map[int]values.RuleFinding{}
	left := make([]int, len(rules)) // indexes of the rules still to read
	for i := range left {
		left[i] = i
	}
	for len(left) > 0 {
		some := make([]values.DeclaredRule, len(left))
		for i, j := range left {
			some[i] = rules[j]
		}
		var found []values.RuleFinding
		err := run(func(ctx *pulumi.Context) (err error) {
			found, err = c.CheckRules(ctx, cm, some)
			return err
		})
		g, reports := c.(GoneReporter)
		i := values.GoneRule(err, some)
		if err != nil && (!reports || i < 0) {
			return nil, err
		}
		if err != nil {
			byRule[left[i]] = g.Gone(some[i])
			left = append(left[:i:i], left[i+1:]...)
			continue
		}
		if len(found) != len(some) {
			return nil, fmt.Errorf("%d findings for %d rules", len(found), len(some))
		}
		for k, j := range left {
			byRule[j] = found[k]
		}
		break
	}
	out := make([]values.RuleFinding, len(rules))
	for j := range rules {
		out[j] = byRule[j]
	}
	return out, nil
}
