package stacks_test

import (
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestProgramRestartsCAA: in cluster mode the program reads osc-caa-ds
// and the pods on pod VMs and patches the DaemonSet's pod template only
// on a line whose operator does not roll cloud-api-adaptor, only when the
// DaemonSet exists, with the data's hash when nothing stops a restart and
// with the live hash (or no patch without one) when its strategy is
// OnDelete or pods run on pod VMs. A manifests-mode stack has no patch.
func TestProgramRestartsCAA(t *testing.T) {
	ds := func(strategy appsv1.DaemonSetUpdateStrategyType, hash string) *appsv1.DaemonSet {
		d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.CAADaemonSet}}
		d.Spec.UpdateStrategy.Type = strategy
		if hash != "" {
			d.Spec.Template.Annotations = map[string]string{handoff.HashAnnotation: hash}
		}
		return d
	}
	kata := contract.RuntimeClass
	podVM := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "web"}, Spec: corev1.PodSpec{RuntimeClassName: &kata}}
	rolling, onDelete := appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType
	const data = "data" // the data's hash, whatever it is
	for name, tc := range map[string]struct {
		version string
		core    []runtime.Object
		hash    string // "": no patch
	}{
		"1.11, no DaemonSet":       {"1.11.0", nil, ""},
		"1.11":                     {"1.11.0", []runtime.Object{ds(rolling, "")}, data},
		"1.12, hash of a past run": {"1.12.0", []runtime.Object{ds(rolling, "old")}, data},
		"1.13":                     {"1.13.1", []runtime.Object{ds(rolling, "old")}, ""},
		"1.11, OnDelete":           {"1.11.0", []runtime.Object{ds(onDelete, "old")}, "old"},
		"1.11, pod VMs":            {"1.11.0", []runtime.Object{ds(rolling, "old"), podVM}, "old"},
		"1.11, pod VMs, no hash":   {"1.11.0", []runtime.Object{ds(rolling, ""), podVM}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			c := clustertest.For(contract.AWS, clustertest.WithOperator(tc.version))
			c.Core = append(c.Core, tc.core...)
			m, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), stacktest.WithSecrets(stacktest.StackConfig(t, "aws-example")), c)
			if err != nil {
				t.Fatal(err)
			}
			patches := m.OfType("kubernetes:apps/v1:DaemonSetPatch")
			if tc.hash == "" {
				if len(patches) != 0 {
					t.Errorf("patches %v", m.Summary())
				}
				return
			}
			if len(patches) != 1 {
				t.Fatalf("no patch of %s: %v", contract.CAADaemonSet, m.Summary())
			}
			got := patches[0].Inputs["spec"].ObjectValue()["template"].ObjectValue()["metadata"].ObjectValue()["annotations"].ObjectValue()[handoff.HashAnnotation].StringValue()
			if tc.hash == data && len(got) != 64 || tc.hash != data && got != tc.hash {
				t.Errorf("hash annotation %q, want %s", got, tc.hash)
			}
			if last := d.Objects[len(d.Objects)-1]; last.Kind != "DaemonSet" {
				t.Errorf("the last object is %s/%s", last.Kind, last.Name)
			}
		})
	}

	// A manifests-mode stack writes nothing to a cluster: no patch.
	cfg := stacktest.WithSecrets(stacktest.StackConfig(t, "aws-example"))
	cfg.Values["peerpods:handoff"] = "manifests"
	c := clustertest.For(contract.AWS, clustertest.WithOperator("1.11.0"))
	c.Core = append(c.Core, ds(rolling, ""))
	_, d, err := stacktest.DeployOnCluster(t, stacktest.CloudMocks(), cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range d.Objects {
		if o.Kind == "DaemonSet" {
			t.Errorf("a manifests-mode stack has %s/%s", o.Kind, o.Name)
		}
	}
}
