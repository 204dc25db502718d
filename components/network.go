package components

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// NamedPrefix is a CIDR prefix and the setting (or discovered object) it
// comes from, so that an overlap error can name both sides.
type NamedPrefix struct {
	Name   string
	Prefix netip.Prefix
}

// CheckDisjoint checks that p overlaps none of others. Touching prefixes
// (10.0.0.0/14 and 10.4.0.0/16) do not overlap.
func CheckDisjoint(setting string, p netip.Prefix, others []NamedPrefix) error {
	for _, o := range others {
		if p.Overlaps(o.Prefix) {
			return Invalid(setting, fmt.Sprintf("is %s, which overlaps %s (%s)", p, o.Prefix, o.Name),
				fmt.Sprintf("choose an address range outside %s, such as 192.168.0.0/16 when the cluster uses 10.0.0.0/14", o.Prefix))
		}
	}
	return nil
}

// CheckWithin checks that inner lies inside outer.
func CheckWithin(setting string, inner, outer netip.Prefix, outerName string) error {
	if inner.Bits() < outer.Bits() || !outer.Contains(inner.Addr()) {
		return Invalid(setting, fmt.Sprintf("is %s, which is not inside %s (%s)", inner, outer, outerName),
			fmt.Sprintf("use a prefix inside %s, or all of it", outer))
	}
	return nil
}

// CheckNotOpen refuses a prefix that covers every address (0.0.0.0/0 or
// ::/0): peer-pods ports are internal.
func CheckNotOpen(setting string, p netip.Prefix) error {
	if p.Bits() == 0 {
		return Invalid(setting, fmt.Sprintf("has %s, which opens the peer-pods ports to every address", p),
			"list only the ranges the workers and pod VMs use, such as the cluster's machine network")
	}
	return nil
}

// ParsePrefixes parses a list of prefixes with ParsePrefix, naming each
// element in errors.
func ParsePrefixes(setting string, values []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(values))
	for i, v := range values {
		p, err := ParsePrefix(fmt.Sprintf("%s[%d]", setting, i), v)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// PortsByProtocol groups port numbers by protocol, each list sorted and
// without repeats, protocols in the order they first appear.
func PortsByProtocol(ports []Port) ([]Protocol, map[Protocol][]int) {
	var order []Protocol
	by := map[Protocol][]int{}
	for _, p := range ports {
		if _, ok := by[p.Protocol]; !ok {
			order = append(order, p.Protocol)
		}
		if !containsInt(by[p.Protocol], p.Number) {
			by[p.Protocol] = append(by[p.Protocol], p.Number)
		}
	}
	for _, nums := range by {
		sort.Ints(nums)
	}
	return order, by
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// Priority is a firewall rule priority this stack assigns, named for
// errors.
type Priority struct {
	Setting string
	Value   int
}

// CheckPriorities checks that every priority is within [min, max] and that
// no two are equal.
func CheckPriorities(priorities []Priority, min, max int) error {
	var p Problems
	seen := map[int]string{}
	for _, pr := range priorities {
		if pr.Value < min || pr.Value > max {
			p.Add(Invalid(pr.Setting, fmt.Sprintf("is %d, outside %d-%d", pr.Value, min, max), fmt.Sprintf("use a priority from %d to %d", min, max)))
			continue
		}
		if other, ok := seen[pr.Value]; ok {
			p.Add(Invalid(pr.Setting, fmt.Sprintf("is %d, the same as %s", pr.Value, other), "give every rule its own priority"))
			continue
		}
		seen[pr.Value] = pr.Setting
	}
	return p.Err()
}

// EqualFoldID compares two cloud resource IDs, which Azure treats without
// regard to case.
func EqualFoldID(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "/"), strings.TrimSuffix(b, "/"))
}
