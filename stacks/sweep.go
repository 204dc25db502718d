package stacks

import (
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
