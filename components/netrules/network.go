package netrules

import (
	"fmt"
	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/problems"
	"math/big"
	"net/netip"
	"slices"
	"sort"
	"strconv"
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
			return problems.Invalid(setting, fmt.Sprintf("is %s, which overlaps %s (%s)", p, o.Prefix, o.Name),
				fmt.Sprintf("choose an address range outside %s, such as 192.168.0.0/16 when the cluster uses 10.0.0.0/14", o.Prefix))
		}
	}
	return nil
}

// CheckWithin checks that inner lies inside outer.
func CheckWithin(setting string, inner, outer netip.Prefix, outerName string) error {
	if inner.Bits() < outer.Bits() || !outer.Contains(inner.Addr()) {
		return problems.Invalid(setting, fmt.Sprintf("is %s, which is not inside %s (%s)", inner, outer, outerName),
			fmt.Sprintf("use a prefix inside %s, or all of it", outer))
	}
	return nil
}

// ParsePrefixes parses a list of prefixes with ParsePrefix, naming each
// element in errors.
func ParsePrefixes(setting string, values []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(values))
	for i, v := range values {
		p, err := check.ParsePrefix(fmt.Sprintf("%s[%d]", setting, i), v)
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
	var p problems.List
	seen := map[int]string{}
	for _, pr := range priorities {
		if pr.Value < min || pr.Value > max {
			p.Add(problems.Invalid(pr.Setting, fmt.Sprintf("is %d, outside %d-%d", pr.Value, min, max), fmt.Sprintf("use a priority from %d to %d", min, max)))
			continue
		}
		if other, ok := seen[pr.Value]; ok {
			p.Add(problems.Invalid(pr.Setting, fmt.Sprintf("is %d, the same as %s", pr.Value, other), "give every rule its own priority"))
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

// Exposure limits: the most addresses of each family that the source
// ranges of one rule opening the peer-pods ports may cover together. One
// /8's worth of IPv4 (2^24 addresses: the private 10.0.0.0/8 fits) and
// the same share of IPv6 (2^120 addresses, a /8).
const (
	MaxExposedBitsIPv4 = 24
	MaxExposedBitsIPv6 = 120
)

// ipFamily is an address family with its exposure limit.
type ipFamily struct {
	name    string // "IPv4" or "IPv6"
	bits    int    // address length
	maxBits int    // exposure limit, as host bits
}

var (
	familyIPv4 = ipFamily{"IPv4", 32, MaxExposedBitsIPv4}
	familyIPv6 = ipFamily{"IPv6", 128, MaxExposedBitsIPv6}
)

func familyOf(p netip.Prefix) ipFamily {
	if p.Addr().Is4() {
		return familyIPv4
	}
	return familyIPv6
}

// limit is the family's exposure limit as an address count.
func (f ipFamily) limit() *big.Int { return pow2(f.maxBits) }

// all is the number of addresses of the family.
func (f ipFamily) all() *big.Int { return pow2(f.bits) }

func pow2(n int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(n)) }

// addrRange is the closed interval of addresses [first, last].
type addrRange struct{ first, last netip.Addr }

// rangeOf is the interval of addresses p covers.
func rangeOf(p netip.Prefix) addrRange {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	last, _ := netip.AddrFromSlice(b)
	return addrRange{p.Addr(), last}
}

func addrInt(a netip.Addr) *big.Int { return new(big.Int).SetBytes(a.AsSlice()) }

// size is the number of addresses of r.
func (r addrRange) size() *big.Int {
	n := new(big.Int).Sub(addrInt(r.last), addrInt(r.first))
	return n.Add(n, big.NewInt(1))
}

// mergeRanges returns the union of prefixes of one family as sorted,
// disjoint, non-adjacent address intervals, and the number of addresses
// they cover.
func mergeRanges(prefixes []netip.Prefix) ([]addrRange, *big.Int) {
	rs := make([]addrRange, len(prefixes))
	for i, p := range prefixes {
		rs[i] = rangeOf(p)
	}
	slices.SortFunc(rs, func(a, b addrRange) int {
		if c := a.first.Compare(b.first); c != 0 {
			return c
		}
		return b.last.Compare(a.last)
	})
	var merged []addrRange
	for _, r := range rs {
		if n := len(merged); n > 0 {
			prev := &merged[n-1]
			// Overlapping or adjacent: prev.last+1 >= r.first. The last
			// address of the family has no next one: everything after it
			// overlaps.
			next := prev.last.Next()
			if !next.IsValid() || next.Compare(r.first) >= 0 {
				if r.last.Compare(prev.last) > 0 {
					prev.last = r.last
				}
				continue
			}
		}
		merged = append(merged, r)
	}
	total := new(big.Int)
	for _, r := range merged {
		total.Add(total, r.size())
	}
	return merged, total
}

// formatCount renders an address count: exact for small counts, as a
// power of two or a bound for large ones.
func formatCount(n *big.Int) string {
	k := n.BitLen() - 1
	power := new(big.Int).Lsh(big.NewInt(1), uint(max(k, 0))).Cmp(n) == 0
	switch {
	case power && k <= 32:
		return fmt.Sprintf("%s (2^%d)", n, k)
	case power:
		return fmt.Sprintf("2^%d", k)
	case n.BitLen() <= 40:
		return n.String()
	}
	return fmt.Sprintf("more than 2^%d", k)
}

// coverage says how much of the family total is: every address, or a
// count.
func (f ipFamily) coverage(total *big.Int) string {
	if total.Cmp(f.all()) == 0 {
		return fmt.Sprintf("every %s address", f.name)
	}
	return fmt.Sprintf("%s %s addresses", formatCount(total), f.name)
}

// privateRanges are the address blocks no Internet host uses: RFC 1918,
// RFC 6598 (carrier-grade NAT, which the e2e and some on-premises networks
// use) and IPv6 unique local addresses (RFC 4193).
var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("fc00::/7"),
}

// Unmapped returns p with an IPv4-mapped IPv6 address (::ffff:a.b.c.d/n,
// n >= 96) as the IPv4 prefix it is: such a prefix reaches IPv4 hosts.
func Unmapped(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked()
	}
	return p.Masked()
}

// IsPrivate reports whether every address of p is in a private block
// (privateRanges), an IPv4-mapped prefix judged as IPv4.
func IsPrivate(p netip.Prefix) bool { return withinAny(Unmapped(p), privateRanges) }

// withinAny reports whether every address of p lies in one of blocks
// (IPv4-mapped blocks judged as IPv4).
func withinAny(p netip.Prefix, blocks []netip.Prefix) bool {
	return slices.ContainsFunc(blocks, func(b netip.Prefix) bool {
		b = Unmapped(b)
		return b.Addr().Is4() == p.Addr().Is4() && b.Bits() <= p.Bits() && b.Contains(p.Addr())
	})
}

// CheckPrivate refuses the ranges that are not private address space
// (IsPrivate), unless one of allowed (the user's peerpods:allowPublicRanges)
// contains them: a public range would let hosts on the Internet reach the
// kata agent and the tunnel. Each error names the range's setting.
func CheckPrivate(ranges []NamedPrefix, allowed []netip.Prefix) error {
	var p problems.List
	for _, r := range ranges {
		u := Unmapped(r.Prefix)
		if IsPrivate(u) || withinAny(u, allowed) {
			continue
		}
		what := fmt.Sprintf("has %s, which is public address space: hosts on the Internet could reach the peer-pods ports", r.Prefix)
		if u != r.Prefix.Masked() {
			what = fmt.Sprintf("has %s (the IPv4 %s), which is public address space: hosts on the Internet could reach the peer-pods ports", r.Prefix, u)
		}
		p.Add(problems.Invalid(r.Name, what,
			"list private ranges only (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7), or name this range in peerpods:allowPublicRanges if it must be reachable"))
	}
	return p.Err()
}

// CheckSources checks the source ranges of a rule that opens the peer-pods
// ports: their size (CheckExposure), then, once that holds, that each is
// private or allowed (CheckPrivate); one problem per range.
func CheckSources(setting string, ranges []NamedPrefix, fix string, allowed []netip.Prefix) error {
	if err := CheckExposure(setting, ranges, fix); err != nil {
		return err
	}
	return CheckPrivate(ranges, allowed)
}

// CheckExposure checks the source ranges of a rule that opens the
// peer-pods ports, judged on their union, per address family:
//
//   - a range that repeats another, or that another one contains, is
//     refused (it is named, with the range that covers it);
//   - the union of the ranges of a family must cover at most one /8's
//     worth of addresses (MaxExposedBitsIPv4, MaxExposedBitsIPv6), so
//     that neither 0.0.0.0/0 nor 0.0.0.0/1 with 128.0.0.0/1 passes. When
//     a family has one range, the error names that range's setting;
//     otherwise it names setting, the whole list, and every range in it.
//
// Each range's Name is the setting (or discovered object) it comes from;
// fix says what to list instead, and is completed with the limit.
func CheckExposure(setting string, ranges []NamedPrefix, fix string) error {
	var p problems.List
	// An IPv4-mapped IPv6 range reaches IPv4 hosts: judged as IPv4.
	ranges = slices.Clone(ranges)
	for i := range ranges {
		ranges[i].Prefix = Unmapped(ranges[i].Prefix)
	}
	// Duplicates and contained ranges: each reported once, against the
	// first range covering it; the union is not changed by them.
	kept := make([]NamedPrefix, 0, len(ranges))
	for i, r := range ranges {
		if covered, by := coveredBy(i, ranges); covered {
			o, f := ranges[by], familyOf(r.Prefix)
			switch {
			case o.Prefix.Masked() == r.Prefix.Masked():
				p.Add(problems.Invalid(r.Name, fmt.Sprintf("has %s, which %s already lists", r.Prefix, o.Name), "list each range once: remove this one"))
			case f.bits-o.Prefix.Bits() > f.maxBits:
				// The larger range is refused below; what it contains
				// is not the problem.
			default:
				p.Add(problems.Invalid(r.Name, fmt.Sprintf("has %s, which %s (%s) already contains", r.Prefix, o.Name, o.Prefix),
					fmt.Sprintf("remove it: %s already lets its addresses in", o.Prefix)))
			}
			continue
		}
		kept = append(kept, r)
	}
	for _, f := range []ipFamily{familyIPv4, familyIPv6} {
		var named []NamedPrefix
		var prefixes []netip.Prefix
		for _, r := range kept {
			if familyOf(r.Prefix) == f {
				named = append(named, r)
				prefixes = append(prefixes, r.Prefix)
			}
		}
		if len(prefixes) == 0 {
			continue
		}
		_, total := mergeRanges(prefixes)
		if total.Cmp(f.limit()) <= 0 {
			continue
		}
		limit := fmt.Sprintf("%s; together the ranges may cover at most %s %s addresses, one /8's worth", fix, formatCount(f.limit()), f.name)
		if len(named) == 1 {
			p.Add(problems.Invalid(named[0].Name, fmt.Sprintf("has %s, which opens the peer-pods ports to %s", named[0].Prefix, f.coverage(total)), limit))
			continue
		}
		list := make([]string, len(named))
		for i, n := range named {
			list[i] = fmt.Sprintf("%s (%s)", n.Prefix, n.Name)
		}
		p.Add(problems.Invalid(setting, fmt.Sprintf("has %s, which together open the peer-pods ports to %s", joinAnd(list), f.coverage(total)), limit))
	}
	return p.Err()
}

// coveredBy reports whether ranges[i] repeats an earlier range or lies
// inside another, larger one, and which.
func coveredBy(i int, ranges []NamedPrefix) (bool, int) {
	r := ranges[i].Prefix.Masked()
	for j, o := range ranges {
		op := o.Prefix.Masked()
		if j == i || op.Addr().Is4() != r.Addr().Is4() {
			continue
		}
		if op == r && j < i || op.Bits() < r.Bits() && op.Contains(r.Addr()) {
			return true, j
		}
	}
	return false, 0
}

// joinAnd joins items as "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// Uncovered returns the prefixes of want that no prefix of have contains
// (IPv4-mapped prefixes judged as IPv4): the ranges a rule read back from
// the cloud no longer lets in.
func Uncovered(want, have []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, w := range want {
		if !withinAny(Unmapped(w), have) {
			out = append(out, w)
		}
	}
	return out
}

// InPortRanges reports whether port number n is in one of ranges, each
// "*" (every port), a number or "low-high": how Azure NSG rules and GCP
// firewall rules spell their ports.
func InPortRanges(n int, ranges []string) bool {
	for _, r := range ranges {
		r = strings.TrimSpace(r)
		if r == "*" {
			return true
		}
		lo, hi, ok := strings.Cut(r, "-")
		if !ok {
			hi = lo
		}
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 == nil && err2 == nil && l <= n && n <= h {
			return true
		}
	}
	return false
}

// JoinPrefixes renders prefixes as "a, b".
func JoinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
