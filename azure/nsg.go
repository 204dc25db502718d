package azure

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ourDescription starts the description of every NSG rule this stack
// creates. It is a hint anyone can edit: it only ever stops a run (a rule
// that has it is never adopted; one by the stack's name without it is
// reported), never makes the stack give up a rule of its own.
const ourDescription = "peer pods "

// ExistingRule is a rule already on the cluster NSG, as discovery read it.
type ExistingRule struct {
	// Name, ID, Priority and Description are the rule's.
	Name        string
	ID          string
	Priority    int
	Description string
	// Direction is Inbound or Outbound, Access Allow or Deny, Protocol
	// Tcp, Udp, Icmp, Esp, Ah or *.
	Direction string
	Access    string
	Protocol  string
	// Sources and Destinations are the address prefixes, addresses or
	// service tags (VirtualNetwork, *) of the rule, both the single and
	// the list form.
	Sources      []string
	Destinations []string
	// Ports are the destination port ranges: *, 9000 or 9000-9100.
	Ports []string
	// WithGroups is true when the rule also names application security
	// groups, whose members discovery does not read.
	WithGroups bool
}

// Ours reports whether r's description says a peerpods stack made it.
func (r ExistingRule) Ours() bool { return strings.HasPrefix(r.Description, ourDescription) }

// inbound reports whether r applies to inbound traffic with access.
func (r ExistingRule) inbound(access string) bool {
	return strings.EqualFold(r.Direction, "Inbound") && strings.EqualFold(r.Access, access)
}

// matches reports whether r applies to port.
func (r ExistingRule) matches(port netrules.Port) bool {
	if r.Protocol != "*" && !strings.EqualFold(r.Protocol, protocolName(port.Protocol)) {
		return false
	}
	return netrules.InPortRanges(port.Number, r.Ports)
}

// covers reports whether r allows port from every prefix of sources to
// every prefix of destinations.
func (r ExistingRule) covers(port netrules.Port, sources, destinations []netip.Prefix) bool {
	return r.inbound("Allow") && !r.WithGroups && r.matches(port) &&
		coversAll(r.Sources, sources) && coversAll(r.Destinations, destinations)
}

// coversAll reports whether the rule's address entries take in every one
// of prefixes: "*" and the VirtualNetwork service tag (the VNet's address
// space and its peered VNets' (learn.microsoft.com
// virtual-network/service-tags-overview) take in the worker subnet and
// the peered peer-pod subnet), a prefix or address the prefixes inside it.
func coversAll(entries []string, prefixes []netip.Prefix) bool {
	for _, want := range prefixes {
		if !slices.ContainsFunc(entries, func(e string) bool { return entryCovers(e, want) }) {
			return false
		}
	}
	return len(prefixes) > 0
}

func entryCovers(entry string, want netip.Prefix) bool {
	if entry == "*" || strings.EqualFold(entry, "Any") || strings.EqualFold(entry, "VirtualNetwork") {
		return true
	}
	p, ok := parseEntry(entry)
	return ok && p.Bits() <= want.Bits() && p.Contains(want.Addr())
}

// overlapsAny reports whether the rule's address entries may take in an
// address of prefixes: service tags other than Internet are assumed to.
func overlapsAny(entries []string, prefixes []netip.Prefix) bool {
	for _, e := range entries {
		if strings.EqualFold(e, "Internet") {
			continue
		}
		p, ok := parseEntry(e)
		if !ok {
			return true // *, VirtualNetwork or another tag
		}
		if slices.ContainsFunc(prefixes, p.Overlaps) {
			return true
		}
	}
	return false
}

// parseEntry parses an address entry: a prefix or a single address.
func parseEntry(e string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(e); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(e); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// shadowed reports whether an inbound Deny rule evaluated before r (a
// lower priority number) may drop traffic to port between the prefixes,
// so that r does not let it through.
func shadowed(r ExistingRule, all []ExistingRule, port netrules.Port, sources, destinations []netip.Prefix) bool {
	for _, d := range all {
		if d.inbound("Deny") && d.Priority < r.Priority && d.matches(port) &&
			(d.WithGroups || overlapsAny(d.Sources, sources) && overlapsAny(d.Destinations, destinations)) {
			return true
		}
	}
	return false
}

// ruleAction is what the stack does for one of its rules (nsgRule) on the
// NSG as found.
type ruleAction struct {
	nsgRule
	// adopt, when set, is an adopted rule by another name that already
	// lets the port through: the stack declares nothing for the port and
	// uses it as it is.
	adopt *ExistingRule
	// importID, when set, is the adopted rule by the stack's name: the
	// stack declares its rule with that ID imported (a no-op once the rule
	// is in the stack's state: pulumi/pkg/v3
	// resource/deploy/step_generator.go, isImport), retained on destroy
	// and never rewritten.
	importID string
}

// planRules decides, for each rule of args, what the stack declares. Its
// own rule is always declared, unless a rule listed in AdoptRules by
// another name lets the port through between the prefixes (and is not
// denied before): the engine knows from the stack's state whether a rule
// is the stack's own, which nothing on the NSG can tell. A rule by the
// stack's name that is neither adopted nor described as made by this
// project stops the run, and so does an adopted rule that the stack
// could not use.
func (a Args) planRules(n Network) ([]ruleAction, error) {
	prefixes := make([]netip.Prefix, 0, len(a.nsgSources(n)))
	for _, s := range a.nsgSources(n) {
		prefixes = append(prefixes, s.Prefix)
	}
	adopted := func(e ExistingRule) bool {
		return slices.ContainsFunc(a.AdoptRules, func(s string) bool { return strings.EqualFold(s, e.Name) })
	}
	effective := func(e ExistingRule, port netrules.Port) bool {
		return e.covers(port, prefixes, prefixes) && !shadowed(e, n.NSGRules, port, prefixes, prefixes)
	}
	var p problems.List
	p.Add(a.checkAdoptedRules(n, effective))
	var out []ruleAction
	for _, r := range a.rules() {
		act := ruleAction{nsgRule: r}
		var named *ExistingRule
		for i, e := range n.NSGRules {
			if strings.EqualFold(e.Name, r.name) {
				named = &n.NSGRules[i]
			}
		}
		switch {
		case named != nil && adopted(*named) && effective(*named, r.port):
			act.importID = named.ID
		case named != nil && adopted(*named):
			p.Add(problems.Invalid(settingAdoptRules, fmt.Sprintf("lists rule %s of NSG %s, which has the name of the stack's rule for %s but does not let it through from and to %s", named.Name, n.NSGName, r.port, netrules.JoinPrefixes(prefixes)),
				fmt.Sprintf("let that rule allow %s (inbound, source and destination %s or VirtualNetwork), or delete it and remove it from %s", r.port, netrules.JoinPrefixes(prefixes), settingAdoptRules)))
		case named != nil && named.Ours():
			// declared as the stack's: the engine keeps it if it is
		case named != nil:
			p.Add(problems.Invalid(settingAdoptRules, fmt.Sprintf("does not list rule %s of NSG %s, which has the name of the stack's rule for %s and which this stack did not make (its description does not start %q)",
				named.Name, n.NSGName, r.port, ourDescription),
				fmt.Sprintf("add %s to %s to use it as it is (if it lets %s through from and to %s; destroy then leaves it), or delete it so that the stack creates its own", named.Name, settingAdoptRules, r.port, netrules.JoinPrefixes(prefixes))))
		default:
			for i, e := range n.NSGRules {
				if adopted(e) && effective(e, r.port) && (act.adopt == nil || e.Priority < act.adopt.Priority) {
					act.adopt = &n.NSGRules[i]
				}
			}
		}
		out = append(out, act)
	}
	return out, p.Err()
}

// checkAdoptedRules reports the entries of AdoptRules the stack cannot
// adopt: no rule of the NSG, a rule described as made by this project (a
// stack's own: adopting it would let the stack give it up), or one that
// lets no peer-pods port through.
func (a Args) checkAdoptedRules(n Network, effective func(ExistingRule, netrules.Port) bool) error {
	var p problems.List
	for i, name := range a.AdoptRules {
		setting := fmt.Sprintf("%s[%d]", settingAdoptRules, i)
		j := slices.IndexFunc(n.NSGRules, func(e ExistingRule) bool { return strings.EqualFold(e.Name, name) })
		switch {
		case j < 0:
			p.Add(problems.Invalid(setting, fmt.Sprintf("is %q, which is not a rule of NSG %s", name, n.NSGName), "list rules of the cluster NSG only (az network nsg rule list), or remove the entry"))
		case n.NSGRules[j].Ours():
			p.Add(problems.Invalid(setting, fmt.Sprintf("is %q, whose description says a peerpods stack made it", name), "remove the entry: the stack that made the rule manages it"))
		case !slices.ContainsFunc(a.Settings.Ports(), func(port netrules.Port) bool { return effective(n.NSGRules[j], port) }):
			p.Add(problems.Invalid(setting, fmt.Sprintf("is %q, which lets no peer-pods port through between the subnets (or a deny rule before it drops it)", name), "remove the entry: the stack would not use the rule"))
		default:
			p.Add(a.checkOpen(setting, n.NSGRules[j]))
		}
	}
	return p.Err()
}

// pulumiID is an existing resource's ID as an output.
func pulumiID(id string) pulumi.IDOutput { return pulumi.ID(id).ToIDOutput() }

// checkOpen refuses to adopt a rule that lets the peer-pods ports in from
// public addresses: * (Any) and Internet count as 0.0.0.0/0, an
// address prefix must be private (netrules.CheckPrivate), unless
// peerpods:allowPublicRanges allows them. Other service tags
// (VirtualNetwork, AzureLoadBalancer) name the cloud's own addresses.
func (a Args) checkOpen(setting string, r ExistingRule) error {
	var sources []netrules.NamedPrefix
	name := fmt.Sprintf("%s (rule %s, source", setting, r.Name)
	for _, s := range r.Sources {
		switch {
		case s == "*" || strings.EqualFold(s, "Any") || strings.EqualFold(s, "Internet"):
			sources = append(sources, netrules.NamedPrefix{Name: name + " " + s + ", any address)", Prefix: netip.MustParsePrefix("0.0.0.0/0")})
		default:
			if p, ok := parseEntry(s); ok {
				sources = append(sources, netrules.NamedPrefix{Name: name + " " + s + ")", Prefix: p})
			}
		}
	}
	return netrules.CheckPrivate(sources, a.Settings.PublicAllowed())
}
