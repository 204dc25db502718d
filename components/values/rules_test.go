package values_test

import (
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
