//go:build e2e

package tests

import (
	"fmt"
	"maps"
	"testing"

	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/internal/kubetest"
	"github.com/peerpods/provisioner/internal/pulumitest"
	"github.com/peerpods/provisioner/internal/stacktest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestNodePlacement applies the placement's node patches to Node objects
// the test creates, as pulumi-kubernetes' NodePatch does (server-side apply
// without force), then removes them as its delete does (an apply of only
// the name by the same field manager): exactly our labels and taints come
// and go; what another manager set stays.
func TestNodePlacement(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	const manager = "peerpods"
	kata, infra := kubetest.UniqueName("kata"), kubetest.UniqueName("infra")
	for _, name := range []string{kata, infra} {
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"team": "platform"}}}
		if _, err := c.Typed.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{FieldManager: "admin"}); err != nil {
			t.Fatal(err)
		}
	}

	cfg := stacktest.WithSecrets(stacktest.StackConfig(t, "aws-example"))
	cfg.Values["peerpods:handoff"] = "manifests"
	cfg.Values["peerpods:kataConfig"] = `{"poolSelector":{"node-role.kubernetes.io/kata-oc":""}}`
	cfg.Values["peerpods:placement"] = fmt.Sprintf(`{"kataNodes":[%q],"hostedControlPlane":[{"nodes":[%q],"infra":true,"controlPlane":true,"cluster":"clusters-hcp1","zone":"us-east-1a"}]}`, kata, infra)
	_, d, err := stacktest.Deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rendered, _ := pulumitest.Await(t, d.Outputs["manifests"].(pulumi.Output))
	all, err := kubetest.DecodeYAML([]byte(rendered.(string)))
	if err != nil {
		t.Fatal(err)
	}
	var patches []*unstructured.Unstructured
	for _, o := range all {
		if o.GetKind() == "Node" {
			patches = append(patches, o)
		}
	}
	if len(patches) != 2 {
		t.Fatalf("%d node patches", len(patches))
	}
	for _, p := range patches {
		if _, err := c.Apply(ctx, p, manager, false); err != nil {
			t.Fatalf("applying the patch of %s: %v", p.GetName(), err)
		}
	}

	want := map[string]struct {
		labels map[string]string
		taints []corev1.Taint
	}{
		kata: {labels: map[string]string{"team": "platform", "node-role.kubernetes.io/kata-oc": ""}},
		infra: {labels: map[string]string{"team": "platform", handoff.LabelInfra: "", handoff.LabelControlPlane: "true",
			handoff.LabelHCPCluster: "clusters-hcp1", handoff.LabelZone: "us-east-1a"},
			taints: []corev1.Taint{
				{Key: handoff.LabelHCPCluster, Value: "clusters-hcp1", Effect: corev1.TaintEffectNoSchedule},
				{Key: handoff.LabelControlPlane, Value: "true", Effect: corev1.TaintEffectNoSchedule},
			}},
	}
	for name, w := range want {
		n, err := c.Typed.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		labels := maps.Clone(n.Labels)
		delete(labels, "kubernetes.io/hostname") // none is set without a kubelet; ignore if a server adds it
		if !maps.Equal(labels, w.labels) {
			t.Errorf("%s labels %v\nwant %v", name, labels, w.labels)
		}
		ours := 0
		for _, taint := range n.Spec.Taints {
			for _, wt := range w.taints {
				if taint.Key == wt.Key && taint.Value == wt.Value && taint.Effect == wt.Effect {
					ours++
				}
			}
		}
		if ours != len(w.taints) {
			t.Errorf("%s taints %v, want %v among them", name, n.Spec.Taints, w.taints)
		}
	}

	// Destroy: the same manager applies the name only.
	for _, p := range patches {
		empty := &unstructured.Unstructured{}
		empty.SetAPIVersion("v1")
		empty.SetKind("Node")
		empty.SetName(p.GetName())
		if _, err := c.Apply(ctx, empty, manager, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{kata, infra} {
		n, err := c.Typed.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(n.Labels, map[string]string{"team": "platform"}) {
			t.Errorf("%s labels after destroy %v: only the admin's should be left", name, n.Labels)
		}
		for _, taint := range n.Spec.Taints {
			if taint.Key == handoff.LabelControlPlane || taint.Key == handoff.LabelHCPCluster {
				t.Errorf("%s still has our taint %v", name, taint)
			}
		}
		for _, mf := range n.ManagedFields {
			if mf.Manager == manager {
				t.Errorf("%s still lists %s among its field managers", name, manager)
			}
		}
	}
}
