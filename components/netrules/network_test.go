package netrules

import (
	"fmt"
	"github.com/peerpods/provisioner/components/problems"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestCheckDisjoint(t *testing.T) {
	cluster := []NamedPrefix{{"cluster", netip.MustParsePrefix("10.0.0.0/14")}, {"vpn", netip.MustParsePrefix("172.16.0.0/12")}}
	cases := []struct {
		prefix string
		want   string // "" when disjoint
	}{
		{"192.168.0.0/16", ""},
		{"10.4.0.0/16", ""},    // touches the cluster's end
		{"9.255.255.0/24", ""}, // touches the cluster's start
		{"172.32.0.0/16", ""},  // touches the VPN's end
		{"10.3.255.0/24", "overlaps 10.0.0.0/14 (cluster)"},
		{"10.0.0.0/8", "overlaps 10.0.0.0/14 (cluster)"},  // contains it
		{"10.1.0.0/16", "overlaps 10.0.0.0/14 (cluster)"}, // inside it
		{"172.20.0.0/16", "overlaps 172.16.0.0/12 (vpn)"},
	}
	for _, c := range cases {
		err := CheckDisjoint("peer", netip.MustParsePrefix(c.prefix), cluster)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: got %v, want %q", c.prefix, err, c.want)
		}
	}
}

func TestCheckWithin(t *testing.T) {
	vnet := netip.MustParsePrefix("192.168.0.0/16")
	for prefix, ok := range map[string]bool{
		"192.168.0.0/16": true, "192.168.4.0/24": true, "192.168.255.255/32": true,
		"192.169.0.0/24": false, "192.168.0.0/15": false, "10.0.0.0/24": false,
	} {
		err := CheckWithin("subnet", netip.MustParsePrefix(prefix), vnet, "vnet")
		if ok != (err == nil) {
			t.Errorf("%s: %v", prefix, err)
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	ps, err := ParsePrefixes("ranges", []string{"10.0.0.0/16", "0.0.0.0/0", "::/0", "fd00::/8"})
	if err != nil || len(ps) != 4 {
		t.Fatal(ps, err)
	}
	if _, err := ParsePrefixes("ranges", []string{"10.0.0.0/16", "10.0.0.5/16"}); err == nil || !strings.Contains(err.Error(), "ranges[1]") {
		t.Errorf("host bits: %v", err)
	}
}

// named names each range as the element of the list "ranges" it is.
func named(ranges ...string) []NamedPrefix {
	out := make([]NamedPrefix, len(ranges))
	for i, r := range ranges {
		out[i] = NamedPrefix{Name: fmt.Sprintf("ranges[%d]", i), Prefix: netip.MustParsePrefix(r)}
	}
	return out
}

func TestCheckExposure(t *testing.T) {
	const fix = "list the machine network"
	type want struct{ setting, problem string }
	cases := []struct {
		name   string
		ranges []string
		want   []want // nil when accepted
	}{
		{"none", nil, nil},
		{"machine network", []string{"10.0.0.0/16"}, nil},
		{"private 10/8 alone: exactly the limit", []string{"10.0.0.0/8"}, nil},
		{"IPv6 /8: exactly the limit", []string{"fd00::/8"}, nil},
		{"two /9 make one /8", []string{"10.0.0.0/9", "10.128.0.0/9"}, nil},
		{"the limit in each family", []string{"10.0.0.0/8", "fd00::/8"}, nil},
		{"disjoint small ranges", []string{"10.0.0.0/16", "192.168.0.0/16", "172.16.0.0/12", "fd00::/64"}, nil},
		{"every IPv4 address", []string{"0.0.0.0/0"},
			[]want{{"ranges[0]", "has 0.0.0.0/0, which opens the peer-pods ports to every IPv4 address"}}},
		{"every IPv6 address", []string{"10.0.0.0/16", "::/0"},
			[]want{{"ranges[1]", "has ::/0, which opens the peer-pods ports to every IPv6 address"}}},
		{"one range over the limit", []string{"10.0.0.0/7"},
			[]want{{"ranges[0]", "to 33554432 (2^25) IPv4 addresses"}}},
		{"IPv6 /7", []string{"fc00::/7"},
			[]want{{"ranges[0]", "to 2^121 IPv6 addresses"}}},
		{"IPv4 halves", []string{"0.0.0.0/1", "128.0.0.0/1"},
			[]want{{"ranges", "has 0.0.0.0/1 (ranges[0]) and 128.0.0.0/1 (ranges[1]), which together open the peer-pods ports to every IPv4 address"}}},
		{"IPv6 halves", []string{"::/1", "8000::/1"},
			[]want{{"ranges", "has ::/1 (ranges[0]) and 8000::/1 (ranges[1]), which together open the peer-pods ports to every IPv6 address"}}},
		{"a /8 and one address more", []string{"10.0.0.0/8", "11.0.0.0/32"},
			[]want{{"ranges", "together open the peer-pods ports to 16777217 IPv4 addresses"}}},
		{"three /9s", []string{"10.0.0.0/9", "10.128.0.0/9", "192.0.0.0/9"},
			[]want{{"ranges", "to 25165824 IPv4 addresses"}}},
		{"IPv6 /8 and a /9", []string{"fd00::/8", "fc00::/9"},
			[]want{{"ranges", "to more than 2^120 IPv6 addresses"}}},
		{"repeated range", []string{"10.0.0.0/16", "192.168.0.0/16", "10.0.0.0/16"},
			[]want{{"ranges[2]", "has 10.0.0.0/16, which ranges[0] already lists"}}},
		{"contained range", []string{"10.0.1.0/24", "10.0.0.0/16"},
			[]want{{"ranges[0]", "has 10.0.1.0/24, which ranges[1] (10.0.0.0/16) already contains"}}},
		{"contained IPv6 range", []string{"fd00::/8", "fd00:1::/64"},
			[]want{{"ranges[1]", "which ranges[0] (fd00::/8) already contains"}}},
		{"repeated open range: both problems, once each", []string{"0.0.0.0/0", "0.0.0.0/0"},
			[]want{{"ranges[1]", "already lists"}, {"ranges[0]", "every IPv4 address"}}},
		{"families judged apart", []string{"0.0.0.0/1", "::/1"},
			[]want{{"ranges[0]", "2^31"}, {"ranges[1]", "2^127"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ies := problems.InputErrors(CheckExposure("ranges", named(c.ranges...), fix))
			if len(ies) != len(c.want) {
				t.Fatalf("got %v, want %v", ies, c.want)
			}
			for i, w := range c.want {
				ie := ies[i]
				if ie.Setting != w.setting || !strings.Contains(ie.Problem, w.problem) || ie.Fix == "" {
					t.Errorf("got %s, want %s %s", ie, w.setting, w.problem)
				}
				if !strings.Contains(w.problem, "already") && (!strings.HasPrefix(ie.Fix, fix) || !strings.Contains(ie.Fix, "one /8's worth")) {
					t.Errorf("fix: %s", ie.Fix)
				}
			}
		})
	}
}

func TestMergeRanges(t *testing.T) {
	ps := []netip.Prefix{
		netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("10.0.0.0/24"), // adjacent
		netip.MustParsePrefix("10.0.0.128/25"), // inside
		netip.MustParsePrefix("255.255.255.255/32"), netip.MustParsePrefix("255.255.255.254/32"),
	}
	merged, total := mergeRanges(ps)
	want := []addrRange{
		{netip.MustParseAddr("10.0.0.0"), netip.MustParseAddr("10.0.1.255")},
		{netip.MustParseAddr("255.255.255.254"), netip.MustParseAddr("255.255.255.255")},
	}
	if !reflect.DeepEqual(merged, want) || total.Int64() != 514 {
		t.Errorf("merged %v total %v", merged, total)
	}
}

func TestPortsByProtocol(t *testing.T) {
	order, by := PortsByProtocol(Ports(DefaultTunnelPort, []Protocol{TCP, UDP}))
	if !reflect.DeepEqual(order, []Protocol{TCP, UDP}) || !reflect.DeepEqual(by, map[Protocol][]int{TCP: {9000, 15150}, UDP: {9000}}) {
		t.Errorf("%v %v", order, by)
	}
	_, by = PortsByProtocol([]Port{{RoleTunnel, 9000, TCP}, {RoleTunnel, 9000, TCP}})
	if !reflect.DeepEqual(by[TCP], []int{9000}) {
		t.Errorf("repeat: %v", by)
	}
}

func TestCheckPriorities(t *testing.T) {
	err := CheckPriorities([]Priority{{"a", 100}, {"b", 4096}, {"c", 100}, {"d", 99}, {"e", 5000}}, 100, 4096)
	ies := problems.InputErrors(err)
	if len(ies) != 3 || ies[0].Setting != "c" || !strings.Contains(ies[0].Problem, "the same as a") || ies[1].Setting != "d" || ies[2].Setting != "e" {
		t.Errorf("%v", err)
	}
	if err := CheckPriorities([]Priority{{"a", 110}, {"b", 111}}, 100, 4096); err != nil {
		t.Error(err)
	}
}

func TestEqualFoldID(t *testing.T) {
	if !EqualFoldID("/subscriptions/A/resourceGroups/RG/", "/subscriptions/a/resourcegroups/rg") {
		t.Error("case or trailing slash matters")
	}
	if EqualFoldID("/x/a", "/x/b") {
		t.Error("different IDs equal")
	}
}

func TestCheckPrivate(t *testing.T) {
	allowed := []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}
	for _, c := range []struct {
		in   string
		want string // "" when accepted
	}{
		{"10.0.0.0/16", ""},
		{"172.16.0.0/12", ""},
		{"192.168.1.0/24", ""},
		{"100.64.0.0/10", ""},
		{"fd00::/8", ""},
		{"::ffff:10.1.0.0/112", ""}, // IPv4-mapped: judged as 10.1.0.0/16
		{"203.0.113.0/25", ""},      // allowed
		{"34.0.0.0/8", "has 34.0.0.0/8, which is public address space"},
		{"2a00::/8", "has 2a00::/8, which is public address space"},
		{"172.32.0.0/16", "public address space"},
		{"10.0.0.0/7", "public address space"}, // 11.0.0.0/8 is public
		{"::ffff:8.8.8.0/120", "(the IPv4 8.8.8.0/24), which is public"},
		{"203.0.112.0/23", "public address space"}, // wider than the allowed /24
	} {
		err := CheckPrivate([]NamedPrefix{{Name: "ranges[0]", Prefix: netip.MustParsePrefix(c.in)}}, allowed)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.in, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), "ranges[0] "+c.want) && !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
	// Mapped IPv6 counts as IPv4 in the size check too.
	err := CheckExposure("ranges", []NamedPrefix{{Name: "ranges[0]", Prefix: netip.MustParsePrefix("::ffff:0.0.0.0/96")}}, "fix")
	if err == nil || !strings.Contains(err.Error(), "every IPv4 address") {
		t.Errorf("mapped 0.0.0.0/0: %v", err)
	}
}

// TestUncovered: the wanted ranges no range read back contains; an
// IPv4-mapped range judged as IPv4.
func TestUncovered(t *testing.T) {
	p := netip.MustParsePrefix
	want := []netip.Prefix{p("10.0.0.0/16"), p("10.1.0.0/16"), p("::ffff:10.2.0.0/120")}
	got := Uncovered(want, []netip.Prefix{p("10.0.0.0/8")})
	if len(got) != 0 {
		t.Errorf("inside 10.0.0.0/8: %v", got)
	}
	got = Uncovered(want, []netip.Prefix{p("10.0.0.0/16"), p("10.2.0.0/24")})
	if len(got) != 1 || got[0] != p("10.1.0.0/16") {
		t.Errorf("%v, want 10.1.0.0/16", got)
	}
}

// TestInPortRanges: a number, a range, every port; a range that does not
// parse takes in nothing.
func TestInPortRanges(t *testing.T) {
	for _, c := range []struct {
		n      int
		ranges []string
		want   bool
	}{
		{9000, []string{"9000"}, true}, {9000, []string{"8000-9000"}, true}, {9001, []string{"8000-9000", "15150"}, false},
		{1, []string{"*"}, true}, {9000, nil, false}, {9000, []string{"x-9000"}, false},
	} {
		if got := InPortRanges(c.n, c.ranges); got != c.want {
			t.Errorf("%d in %v: %v", c.n, c.ranges, got)
		}
	}
}
