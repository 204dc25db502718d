package azure

import (
	"net/netip"
	"testing"

	"github.com/peerpods/provisioner/components/netrules"
)

// TestRuleMatches checks protocols and port ranges as NSG rules write
// them.
func TestRuleMatches(t *testing.T) {
	tcp := netrules.Port{Number: 9000, Protocol: netrules.TCP}
	udp := netrules.Port{Number: 9000, Protocol: netrules.UDP}
	for _, c := range []struct {
		protocol string
		ports    []string
		tcp, udp bool
	}{
		{"*", []string{"*"}, true, true},
		{"Tcp", []string{"9000"}, true, false},
		{"udp", []string{"8000-9000"}, false, true},
		{"*", []string{"22", "9000-9001"}, true, true},
		{"*", []string{"9001-9100"}, false, false},
		{"Icmp", []string{"*"}, false, false},
		{"Tcp", []string{"bad"}, false, false},
	} {
		r := ExistingRule{Protocol: c.protocol, Ports: c.ports}
		if r.matches(tcp) != c.tcp || r.matches(udp) != c.udp {
			t.Errorf("%s %v: tcp %t udp %t", c.protocol, c.ports, r.matches(tcp), r.matches(udp))
		}
	}
}

// TestEntries checks which address entries take in a prefix, and which may
// overlap it.
func TestEntries(t *testing.T) {
	want := []netip.Prefix{netip.MustParsePrefix("10.0.128.0/17")}
	for _, c := range []struct {
		entry            string
		covers, overlaps bool
	}{
		{"*", true, true},
		{"VirtualNetwork", true, true},
		{"Any", true, true},
		{"10.0.0.0/14", true, true},
		{"10.0.128.0/17", true, true},
		{"10.0.128.0/24", false, true},
		{"10.0.128.5", false, true},
		{"192.168.0.0/16", false, false},
		{"Internet", false, false},
		{"AzureLoadBalancer", false, true},
	} {
		if got := coversAll([]string{c.entry}, want); got != c.covers {
			t.Errorf("%s covers: %t", c.entry, got)
		}
		if got := overlapsAny([]string{c.entry}, want); got != c.overlaps {
			t.Errorf("%s overlaps: %t", c.entry, got)
		}
	}
	if coversAll(nil, want) || coversAll([]string{"*"}, nil) {
		t.Error("empty entries or prefixes cover")
	}
}
