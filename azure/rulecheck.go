package azure

import (
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CheckRules reads, with invokes only, what the stack declared (its rules
// output), in the subscription of cm's AZURE_NSG_ID: each NSG rule must
// still be in its NSG (network.LookupNetworkSecurityGroup, one read per
// NSG) and let each of its ports in from and to its declared prefixes,
// with no inbound deny rule before it dropping them (ExistingRule.covers,
// shadowed: what planRules asks of an adopted rule); each NAT gateway
// must still be the gateway of the pod VMs' subnet
// (network.LookupSubnet: its natGateway is the gateway's ID). One
// finding per rule and per gateway.
func CheckRules(ctx *pulumi.Context, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error) {
	sub := subscriptionOf(cm[contract.KeyAzureNSGID])
	if sub == "" {
		return nil, fmt.Errorf("the stack's configMap output has no %s naming an NSG (%q): nothing tells which subscription to read; fix: run peerpods up --stack %s first", contract.KeyAzureNSGID, cm[contract.KeyAzureNSGID], ctx.Stack())
	}
	prov, err := azurenative.NewProvider(ctx, "check", &azurenative.ProviderArgs{SubscriptionId: pulumi.StringPtr(sub)})
	if err != nil {
		return nil, err
	}
	opt := pulumi.Provider(prov)
	nsgs := map[string][]ExistingRule{} // NSG ID -> its rules
	out := make([]values.RuleFinding, 0, len(rules))
	for _, r := range rules {
		var f values.RuleFinding
		if r.AttachedTo != "" {
			f, err = checkAttachment(ctx, r, opt)
		} else {
			f, err = checkRule(ctx, r, nsgs, opt)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// nsgOf is the ARM ID of the NSG of a rule's ID
// (.../networkSecurityGroups/<nsg>/securityRules/<rule>).
func nsgOf(ruleID string) string {
	i := strings.LastIndex(strings.ToLower(ruleID), "/securityrules/")
	if i < 0 {
		return ""
	}
	return ruleID[:i]
}

// checkRule is the finding of an NSG rule; nsgs caches the NSGs read.
func checkRule(ctx *pulumi.Context, r values.DeclaredRule, nsgs map[string][]ExistingRule, opt pulumi.InvokeOption) (values.RuleFinding, error) {
	f := values.RuleFinding{Rule: r}
	nsgID := nsgOf(r.ID)
	if nsgID == "" {
		return f, fmt.Errorf("the rules output: %s has the ID %q, not an NSG rule's", r.Name, r.ID)
	}
	key := strings.ToLower(nsgID)
	all, read := nsgs[key]
	if !read {
		nsg, err := network.LookupNetworkSecurityGroup(ctx, &network.LookupNetworkSecurityGroupArgs{
			ResourceGroupName: idSegment(nsgID, "resourceGroups"), NetworkSecurityGroupName: idName(nsgID)}, opt)
		if err != nil {
			return f, fmt.Errorf("reading NSG %s: %w", nsgID, err)
		}
		all = existingRules(nsg.SecurityRules)
		nsgs[key] = all
	}
	sources, err := r.Prefixes(r.Sources)
	if err != nil {
		return f, err
	}
	destinations, err := r.Prefixes(r.Destinations)
	if err != nil {
		return f, err
	}
	i := slices.IndexFunc(all, func(e ExistingRule) bool { return netrules.EqualFoldID(e.ID, r.ID) })
	if i < 0 {
		f.Problem = fmt.Sprintf("no longer exists in NSG %s (deleted by hand?)", r.Target)
		f.Fix = values.FixGone
		if r.Adopted {
			f.Fix = "it was adopted (" + settingAdoptRules + "): restore it, or remove it from " + settingAdoptRules + " and run peerpods up --stack S to create the stack's own"
		}
		return f, nil
	}
	e := all[i]
	for _, p := range r.Ports {
		switch {
		case !e.covers(p, sources, destinations):
			f.Problem = fmt.Sprintf("no longer lets %s in from %s to %s: it is %s %s %s, ports %s, from %s to %s (changed by hand?)",
				p, netrules.JoinPrefixes(sources), netrules.JoinPrefixes(destinations), e.Direction, e.Access, e.Protocol,
				strings.Join(e.Ports, ","), strings.Join(e.Sources, ","), strings.Join(e.Destinations, ","))
			if e.WithGroups {
				f.Problem += "; it names application security groups, whose members are not read"
			}
		case shadowed(e, all, p, sources, destinations):
			f.Problem = fmt.Sprintf("lets %s in, but an inbound deny rule of NSG %s with a lower priority number than its %d drops it (added by hand?)", p, r.Target, e.Priority)
		default:
			continue
		}
		f.Fix = values.FixChanged
		if r.Adopted {
			f.Fix = "it was adopted (" + settingAdoptRules + "): let it allow " + p.String() + " again, or remove it from " + settingAdoptRules + " and run peerpods up --stack S to create the stack's own"
		}
		break
	}
	return f, nil
}

// checkAttachment is the finding of a NAT gateway that must be the
// gateway of the subnet r.AttachedTo.
func checkAttachment(ctx *pulumi.Context, r values.DeclaredRule, opt pulumi.InvokeOption) (values.RuleFinding, error) {
	f := values.RuleFinding{Rule: r}
	m := subnetID.FindStringSubmatch(r.AttachedTo)
	if m == nil {
		return f, fmt.Errorf("the rules output: %s is attached to %q, not a subnet's ID", r.Name, r.AttachedTo)
	}
	subnet, err := network.LookupSubnet(ctx, &network.LookupSubnetArgs{ResourceGroupName: m[2], VirtualNetworkName: m[3], SubnetName: m[4]}, opt)
	if err != nil {
		return f, fmt.Errorf("reading subnet %s: %w", r.AttachedTo, err)
	}
	if subnet.NatGateway != nil && netrules.EqualFoldID(subnet.NatGateway.Id, r.ID) {
		return f, nil
	}
	has := "has no NAT gateway"
	if subnet.NatGateway != nil && subnet.NatGateway.Id != "" {
		has = "uses NAT gateway " + subnet.NatGateway.Id
	}
	f.Problem = fmt.Sprintf("is no longer attached: subnet %s %s, so the pod VMs there lose their outbound route (detached by hand?)", m[4], has)
	f.Fix = values.FixChanged
	if r.Adopted {
		f.Fix = fmt.Sprintf("it was adopted (%s): attach it again (az network vnet subnet update --ids %s --nat-gateway %s), or remove %s and run peerpods up --stack S to create the stack's own", settingAdoptNAT, r.AttachedTo, r.ID, settingAdoptNAT)
	}
	return f, nil
}
