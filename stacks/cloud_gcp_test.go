//go:build !peerpods_clouds || gcp

package stacks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestCheckRulesGoneThenReadAgain: GCP reads its firewall rules as
// resources, and a gone one fails the whole program (as the engine
// fails it); CheckRules reports it with the cloud's Gone and reads the
// others again in a new program: one finding per rule, in the rules'
// order, the intact one clean, the changed one named.
func TestCheckRulesGoneThenReadAgain(t *testing.T) {
	id := func(name string) string { return "projects/p/global/firewalls/" + name }
	rule := func(sources ...any) resource.PropertyMap {
		return resource.NewPropertyMapFromMap(map[string]any{"name": "x", "direction": "INGRESS",
			"allows":       []any{map[string]any{"protocol": "tcp", "ports": []any{"15150"}}},
			"sourceRanges": sources, "destinationRanges": []any{"10.0.0.0/16"}})
	}
	cloud := map[string]resource.PropertyMap{id("intact"): rule("10.0.0.0/16"), id("changed"): rule("10.9.0.0/16")}
	declared := func(name string) values.DeclaredRule {
		return values.DeclaredRule{Name: name, ID: id(name), Target: "net", Ports: []netrules.Port{{Number: 15150, Protocol: netrules.TCP}},
			Sources: []string{"10.0.0.0/16"}, Destinations: []string{"10.0.0.0/16"}}
	}
	rules := []values.DeclaredRule{declared("intact"), declared("gone"), declared("changed")}
	c, _ := CloudNamed(contract.GCP)
	rc := c.(RuleChecker)
	programs := 0
	run := func(program pulumi.RunFunc) error {
		programs++
		m := &pulumitest.Mocks{Reads: map[string]pulumitest.ReadFunc{"gcp:compute/firewall:Firewall": func(i string) (resource.PropertyMap, error) {
			if r, ok := cloud[i]; ok {
				return r, nil
			}
			return nil, fmt.Errorf("resource '%s' does not exist", i)
		}}}
		return pulumitest.Run(m, pulumitest.Config{}, program)
	}
	got, err := CheckRules(rc, run, map[string]string{contract.KeyGCPProjectID: "p"}, rules)
	if err != nil || len(got) != 3 {
		t.Fatalf("%v %+v", err, got)
	}
	if got[0].Rule.Name != "intact" || got[0].Problem != "" ||
		got[1].Rule.Name != "gone" || !strings.Contains(got[1].Problem, "no longer exists in network net") || got[1].Fix != values.FixGone ||
		got[2].Rule.Name != "changed" || !strings.Contains(got[2].Problem, "no longer take in 10.0.0.0/16") {
		t.Errorf("%+v", got)
	}
	if programs != 2 {
		t.Errorf("%d programs, want 2 (the second without the gone rule)", programs)
	}
	// Another failure is the check's error, not a finding.
	_, err = CheckRules(rc, func(pulumi.RunFunc) error { return fmt.Errorf("googleapi: Error 403") }, nil, rules)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("other failure: %v", err)
	}
}
