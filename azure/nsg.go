package azure

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ourDescription starts the description of every NSG rule this stack
// creates; a rule whose description starts so is the stack's own (from an
// earlier run), any other was made by someone else.
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

// Ours reports whether the stack created r (on an earlier run).
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
	for _, p := range r.Ports {
		if p == "*" {
			return true
		}
		lo, hi, ok := strings.Cut(p, "-")
		if !ok {
			hi = lo
		}
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 == nil && err2 == nil && l <= port.Number && port.Number <= h {
			return true
		}
	}
	return false
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
	// adopt is the existing rule that already lets the port through, used
	// as it is; nil when the stack creates (or keeps managing) its own.
	adopt *ExistingRule
}

// planRules decides, for each rule of args, whether an existing rule of
// the NSG already allows its port between the prefixes (and is not denied
// before), and is adopted, or the stack creates its own. The stack's own
// rule from an earlier run is kept, not traded for one found later. A
// rule by the stack's name that the stack did not make, and that does
// not allow the port, cannot be adopted nor overwritten: that is an
// error.
func (a Args) planRules(n Network) ([]ruleAction, error) {
	prefixes := make([]netip.Prefix, 0, len(a.nsgSources(n)))
	for _, s := range a.nsgSources(n) {
		prefixes = append(prefixes, s.Prefix)
	}
	var p problems.List
	var out []ruleAction
	for _, r := range a.rules() {
		act := ruleAction{nsgRule: r}
		var named *ExistingRule
		for i, e := range n.NSGRules {
			if strings.EqualFold(e.Name, r.name) {
				named = &n.NSGRules[i]
			}
		}
		effective := func(e ExistingRule) bool {
			return !e.Ours() && e.covers(r.port, prefixes, prefixes) && !shadowed(e, n.NSGRules, r.port, prefixes, prefixes)
		}
		switch {
		case named != nil && named.Ours():
			// the stack's own: keep managing it
		case named != nil && effective(*named):
			act.adopt = named
		case named != nil:
			p.Add(problems.Invalid("azure.nsgName", fmt.Sprintf("names NSG %s, which already has a rule %s that this stack did not create and that does not let %s through from and to %s",
				n.NSGName, named.Name, r.port, joinPrefixes(prefixes)),
				fmt.Sprintf("let that rule allow %s (inbound, source and destination %s or VirtualNetwork), or delete it so that the stack creates its own", r.port, joinPrefixes(prefixes))))
		default:
			for i, e := range n.NSGRules {
				if effective(e) && (act.adopt == nil || e.Priority < act.adopt.Priority) {
					act.adopt = &n.NSGRules[i]
				}
			}
		}
		out = append(out, act)
	}
	return out, p.Err()
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// pulumiID is an existing resource's ID as an output.
func pulumiID(id string) pulumi.IDOutput { return pulumi.ID(id).ToIDOutput() }
