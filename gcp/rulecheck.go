package gcp

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/values"
	gcpp "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp/compute"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// CheckRules reads back the firewall rules the stack declared (its rules
// output) in cm's GCP_PROJECT_ID. pulumi-gcp v7.38.0 has no invoke reading
// a firewall rule (compute has getNetwork, getSubnetwork, ... but no
// getFirewall), so each is read as a resource (compute.GetFirewall, by its
// ID): the engine runs such a read in a preview too (pulumi/pulumi pkg/v3
// v3.250.0 resource/deploy/step.go, ReadStep.Apply: "Unlike most steps,
// Read steps run during previews"), and it changes nothing in the cloud.
// A rule that is gone fails the whole program there ("resource '<id>'
// does not exist"): that error is returned, and stacks.CheckRules reports
// the rule with Gone and reads the others again.
//
// Each rule must be enabled, ingress, allow each of its ports, take in
// its declared source ranges and destination ranges (a rule without
// destination ranges covers the whole network), and name no target tags
// or service accounts: pod VMs have neither (Args.TargetTags).
func CheckRules(ctx *pulumi.Context, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error) {
	project := cm[contract.KeyGCPProjectID]
	if project == "" {
		return nil, fmt.Errorf("the stack's configMap output has no %s: nothing tells which project to read; fix: run peerpods up --stack %s first", contract.KeyGCPProjectID, ctx.Stack())
	}
	prov, err := gcpp.NewProvider(ctx, "check", &gcpp.ProviderArgs{Project: pulumi.String(project)})
	if err != nil {
		return nil, err
	}
	out := make([]values.RuleFinding, 0, len(rules))
	for _, r := range rules {
		fw, err := compute.GetFirewall(ctx, "check-"+r.Name, pulumi.ID(r.ID), nil, pulumi.Provider(prov))
		if err != nil {
			return nil, err
		}
		got, err := readFirewall(ctx, fw)
		if err != nil {
			return nil, fmt.Errorf("reading firewall rule %s (%s): %w", r.Name, r.ID, err)
		}
		f, err := got.finding(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Gone is the finding of a declared firewall rule that no longer exists.
func Gone(r values.DeclaredRule) values.RuleFinding {
	f := values.RuleFinding{Rule: r, Problem: fmt.Sprintf("no longer exists in network %s (deleted by hand?)", r.Target), Fix: values.FixGone}
	if r.Adopted {
		f.Fix = "it was adopted (gcp.adoptFirewall): restore it, or remove gcp.adoptFirewall and run peerpods up --stack S to create the stack's own"
	}
	return f
}

// firewall is a firewall rule as read back.
type firewall struct {
	name, direction            string
	disabled                   bool
	allows                     []compute.FirewallAllow
	sources, destinations      []string
	targetTags, targetAccounts []string
}

// readFirewall waits for the read rule's fields.
func readFirewall(ctx *pulumi.Context, fw *compute.Firewall) (firewall, error) {
	all, err := internals.UnsafeAwaitOutput(ctx.Context(), pulumi.All(fw.Name, fw.Direction, fw.Disabled, fw.Allows,
		fw.SourceRanges, fw.DestinationRanges, fw.TargetTags, fw.TargetServiceAccounts))
	if err != nil {
		return firewall{}, err
	}
	v, _ := all.Value.([]any)
	if len(v) != 8 {
		return firewall{}, fmt.Errorf("the read gave %v", all.Value)
	}
	f := firewall{}
	f.name, _ = v[0].(string)
	f.direction, _ = v[1].(string)
	if d, ok := v[2].(*bool); ok && d != nil {
		f.disabled = *d
	}
	f.allows, _ = v[3].([]compute.FirewallAllow)
	f.sources, _ = v[4].([]string)
	f.destinations, _ = v[5].([]string)
	f.targetTags, _ = v[6].([]string)
	f.targetAccounts, _ = v[7].([]string)
	return f, nil
}

// allowsPort reports whether one of the rule's allow entries lets p in
// (protocol "all" and no ports mean every one).
func (f firewall) allowsPort(p netrules.Port) bool {
	return slices.ContainsFunc(f.allows, func(a compute.FirewallAllow) bool {
		proto := strings.ToLower(a.Protocol)
		return (proto == "all" || proto == string(p.Protocol)) && (len(a.Ports) == 0 || netrules.InPortRanges(p.Number, a.Ports))
	})
}

// finding compares the rule read back with the declared r: every
// difference, in one problem.
func (f firewall) finding(r values.DeclaredRule) (values.RuleFinding, error) {
	out := values.RuleFinding{Rule: r}
	var diffs []string
	if f.disabled {
		diffs = append(diffs, "it is disabled")
	}
	if !strings.EqualFold(f.direction, "INGRESS") {
		diffs = append(diffs, fmt.Sprintf("its direction is %s, not INGRESS", f.direction))
	}
	for _, p := range r.Ports {
		if !f.allowsPort(p) {
			diffs = append(diffs, fmt.Sprintf("it no longer allows %s (it allows %s)", p, allowsString(f.allows)))
		}
	}
	wantSrc, err := r.Prefixes(r.Sources)
	if err != nil {
		return out, err
	}
	if missing := netrules.Uncovered(wantSrc, parsed(f.sources)); len(missing) > 0 {
		diffs = append(diffs, fmt.Sprintf("its source ranges [%s] no longer take in %s", strings.Join(f.sources, ", "), netrules.JoinPrefixes(missing)))
	}
	wantDst, err := r.Prefixes(r.Destinations)
	if err != nil {
		return out, err
	}
	switch {
	case len(wantDst) > 0 && len(f.destinations) == 0:
		diffs = append(diffs, fmt.Sprintf("it has no destination ranges, so it covers every instance of network %s, not only %s", r.Target, netrules.JoinPrefixes(wantDst)))
	case len(f.destinations) > 0:
		if missing := netrules.Uncovered(wantDst, parsed(f.destinations)); len(missing) > 0 {
			diffs = append(diffs, fmt.Sprintf("its destination ranges [%s] no longer take in %s", strings.Join(f.destinations, ", "), netrules.JoinPrefixes(missing)))
		}
	}
	if len(f.targetTags) > 0 || len(f.targetAccounts) > 0 {
		diffs = append(diffs, fmt.Sprintf("it applies only to instances with target tags [%s] or service accounts [%s], which cloud-api-adaptor's pod VMs do not have",
			strings.Join(f.targetTags, ", "), strings.Join(f.targetAccounts, ", ")))
	}
	if len(diffs) == 0 {
		return out, nil
	}
	out.Problem = strings.Join(diffs, "; ") + " (changed by hand?)"
	out.Fix = values.FixChanged
	if r.Adopted {
		out.Fix = fmt.Sprintf("it was adopted (gcp.adoptFirewall): put it back (gcloud compute firewall-rules update %s), or remove gcp.adoptFirewall and run peerpods up --stack S to create the stack's own", f.name)
	}
	return out, nil
}

// parsed are the ranges of a rule read back that parse (a single address
// as its /32 or /128).
func parsed(ranges []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ranges {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

// allowsString renders allow entries as "tcp:15150,9000 udp:9000".
func allowsString(allows []compute.FirewallAllow) string {
	if len(allows) == 0 {
		return "nothing"
	}
	parts := make([]string, len(allows))
	for i, a := range allows {
		parts[i] = a.Protocol
		if len(a.Ports) > 0 {
			parts[i] += ":" + strings.Join(a.Ports, ",")
		}
	}
	return strings.Join(parts, " ")
}
