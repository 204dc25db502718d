package components

import (
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

func TestCheckNotOpenAndParsePrefixes(t *testing.T) {
	ps, err := ParsePrefixes("ranges", []string{"10.0.0.0/16", "0.0.0.0/0", "::/0", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	var open []string
	for _, p := range ps {
		if CheckNotOpen("r", p) != nil {
			open = append(open, p.String())
		}
	}
	if !reflect.DeepEqual(open, []string{"0.0.0.0/0", "::/0"}) {
		t.Errorf("open: %v", open)
	}
	if _, err := ParsePrefixes("ranges", []string{"10.0.0.0/16", "10.0.0.5/16"}); err == nil || !strings.Contains(err.Error(), "ranges[1]") {
		t.Errorf("host bits: %v", err)
	}
}

func TestPortsByProtocol(t *testing.T) {
	order, by := PortsByProtocol(DefaultSettings(GCP).Ports())
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
	ies := InputErrors(err)
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
