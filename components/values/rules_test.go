package values_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/values"
)

// TestParseRules: the rules output as the Automation API reads it back,
// each port number/protocol; a malformed port is an error naming the rule.
func TestParseRules(t *testing.T) {
	out := []any{map[string]any{"name": "r", "id": "sgr-1", "target": "sg-1", "ports": []any{"15150/tcp", "9000/udp"}, "adopted": true}}
	got, err := values.ParseRules(out)
	want := []values.DeclaredRule{{Name: "r", ID: "sgr-1", Target: "sg-1", Adopted: true,
		Ports: []netrules.Port{{Number: 15150, Protocol: netrules.TCP}, {Number: 9000, Protocol: netrules.UDP}}}}
	if err != nil || !reflect.DeepEqual(got, want) || got[0].String() != "rule r (sgr-1) of sg-1" {
		t.Errorf("%v %+v", err, got)
	}
	if _, err := values.ParseRules([]any{map[string]any{"name": "r", "ports": []any{"x"}}}); err == nil || !strings.Contains(err.Error(), `r has the port "x"`) {
		t.Errorf("bad port: %v", err)
	}
}

// TestParseRulesRangesAndAttachments: a rule's sources and destinations,
// an attachment (NAT gateway on a subnet) named as such; a range that is
// not a prefix is an error naming the rule.
func TestParseRulesRangesAndAttachments(t *testing.T) {
	out := []any{
		map[string]any{"name": "fw", "id": "projects/p/global/firewalls/fw", "target": "net", "ports": []any{"15150/tcp"},
			"sources": []any{"10.0.0.0/16"}, "destinations": []any{"10.0.0.0/16", "10.1.0.0/16"}},
		map[string]any{"name": "NAT gateway gw", "id": "/gw", "target": "subnet s", "ports": []any{}, "attachedTo": "/s", "adopted": true},
	}
	got, err := values.ParseRules(out)
	want := []values.DeclaredRule{
		{Name: "fw", ID: "projects/p/global/firewalls/fw", Target: "net", Ports: []netrules.Port{{Number: 15150, Protocol: netrules.TCP}},
			Sources: []string{"10.0.0.0/16"}, Destinations: []string{"10.0.0.0/16", "10.1.0.0/16"}},
		{Name: "NAT gateway gw", ID: "/gw", Target: "subnet s", AttachedTo: "/s", Adopted: true},
	}
	if err != nil || !reflect.DeepEqual(got, want) || got[1].String() != "NAT gateway gw (/gw) on subnet s" {
		t.Fatalf("%v %#v", err, got)
	}
	if p, err := got[0].Prefixes(got[0].Destinations); err != nil || len(p) != 2 || p[1].String() != "10.1.0.0/16" {
		t.Errorf("%v %v", p, err)
	}
	if _, err := got[0].Prefixes([]string{"10.0.0.0"}); err == nil || !strings.Contains(err.Error(), `fw has the range "10.0.0.0"`) {
		t.Errorf("bad range: %v", err)
	}
}

// TestGoneRule: the engine's error for a resource Get of a rule that is
// gone names the rule's ID; another error, or another ID, is no rule.
func TestGoneRule(t *testing.T) {
	rules := []values.DeclaredRule{{ID: "projects/p/global/firewalls/a"}, {ID: "projects/p/global/firewalls/b"}}
	for _, c := range []struct {
		err  error
		want int
	}{
		{errors.New("preview failed: resource 'projects/p/global/firewalls/b' does not exist"), 1},
		{errors.New("resource 'projects/p/global/firewalls/c' does not exist"), -1},
		{errors.New("googleapi: Error 403: forbidden"), -1},
		{nil, -1},
	} {
		if got := values.GoneRule(c.err, rules); got != c.want {
			t.Errorf("%v: %d, want %d", c.err, got, c.want)
		}
	}
}
