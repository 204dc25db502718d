package stacks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
)

// peerpods:waitTimeout: unset, the default; a positive duration taken;
// anything else refused naming the setting and the fix.
func TestWaitTimeout(t *testing.T) {
	for _, c := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"", stacks.DefaultWaitTimeout, ""},
		{"2h30m", 150 * time.Minute, ""},
		{"0s", 0, `peerpods:waitTimeout is "0s", not a positive duration; fix: set it to one such as 90m or 2h`},
		{"soon", 0, `peerpods:waitTimeout is "soon"`},
	} {
		cfg := stackConfig(t, "aws-example")
		if c.value != "" {
			cfg["peerpods:waitTimeout"] = c.value
		}
		_, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), withSecrets(cfg), clustertest.For(contract.AWS, clustertest.WithOperator("1.12.0")))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.value, err, c.err)
			}
			continue
		}
		if err != nil || d.Config.WaitTimeout != c.want {
			t.Errorf("%q: %v, %s", c.value, err, d.Config.WaitTimeout)
		}
	}
}
