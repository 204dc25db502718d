package smoke_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/readiness"
	"github.com/peerpods/provisioner/components/smoke"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const ns = smoke.NamespacePrefix + "x1"

// world is a cluster where the test plays the kubelet and
// cloud-api-adaptor at each pause of the smoke test: the pod runs (or
// not), a PeerPod and a domain appear, and go once the pod is deleted
// (or stay: a leak).
type world struct {
	c       cluster.Clients
	domains []string
	phase   corev1.PodPhase
	waiting string
	leak    bool
	noVM    bool
	pauses  int
}

func newWorld(t *testing.T) *world {
	kube := kubefake.NewClientset()
	kube.PrependReactor("create", "namespaces", func(a k8stesting.Action) (bool, runtime.Object, error) {
		n := a.(k8stesting.CreateAction).GetObject().(*corev1.Namespace)
		if n.Name == "" {
			n.Name = n.GenerateName + "x1"
		}
		return false, nil, nil
	})
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{cluster.PeerPods: "PeerPodList"})
	return &world{c: cluster.Clients{Kube: kube, Dynamic: dyn, Discovery: kube.Discovery()}, phase: corev1.PodRunning}
}

func (w *world) sleep(ctx context.Context, _ time.Duration) error {
	w.pauses++
	pods := w.c.Kube.CoreV1().Pods(ns)
	p, err := pods.Get(ctx, smoke.PodName, metav1.GetOptions{})
	peerpods := w.c.Dynamic.Resource(cluster.PeerPods).Namespace(ns)
	switch {
	case err == nil && p.Status.Phase == "":
		p.Status.Phase = w.phase
		if w.waiting != "" {
			p.Status.Phase = corev1.PodPending
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "smoke", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: w.waiting, Message: "m"}}}}
		}
		if _, err := pods.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			return err
		}
		if w.phase == corev1.PodRunning && !w.noVM {
			pp := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "confidentialcontainers.org/v1alpha1", "kind": "PeerPod",
				"metadata": map[string]any{"name": "podvm-peerpods-smoke-0a1b2c3d", "namespace": ns}, "spec": map[string]any{"instanceID": "7"}}}
			if _, err := peerpods.Create(ctx, pp, metav1.CreateOptions{}); err != nil {
				return err
			}
			w.domains = []string{"podvm-peerpods-smoke-0a1b2c3d"}
		}
	case apierrors.IsNotFound(err) && !w.leak:
		_ = peerpods.Delete(ctx, "podvm-peerpods-smoke-0a1b2c3d", metav1.DeleteOptions{})
		w.domains = nil
	}
	return nil
}

func (w *world) run(t *testing.T) ([]readiness.Fact, string) {
	var out bytes.Buffer
	facts, err := smoke.Run(t.Context(), w.c, smoke.Options{
		Backoff: backoff.Backoff{First: time.Second, Max: 4 * time.Second, Bound: 20 * time.Second}, Sleep: w.sleep, Progress: &out,
		PodVMs: func(context.Context, string) ([]string, error) { return w.domains, nil }, Kind: "libvirt domain"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.Kube.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the namespace is left: %v", err)
	}
	return facts, out.String()
}

func states(facts []readiness.Fact) string {
	var s []string
	for _, f := range facts {
		s = append(s, f.Name+"="+string(f.State))
	}
	return strings.Join(s, " ")
}

// TestRun: a pod that runs on a pod VM (the PeerPod's instance and the
// domain reported), deleted with its pod VM, the namespace removed; a
// pod that never runs; a container stuck; a pod running without a pod
// VM; a pod that failed; a pod VM left behind (a
// leak, with the sweep command).
func TestRun(t *testing.T) {
	w := newWorld(t)
	facts, out := w.run(t)
	if got := states(facts); got != "smoke-pod=ok smoke-podvm=ok smoke-cleanup=ok" {
		t.Errorf("%s\n%s", got, out)
	}
	for _, want := range []string{"created Pod " + ns + "/peerpods-smoke (runtime class " + contract.RuntimeClass + ")", "instance 7; libvirt domain podvm-peerpods-smoke-0a1b2c3d", "no leak"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}

	w = newWorld(t)
	w.phase = ""
	facts, out = w.run(t)
	if got := states(facts); got != "smoke-pod=failed smoke-podvm=failed smoke-cleanup=ok" || !strings.Contains(out, "still Pending after 20s") {
		t.Errorf("never runs: %s\n%s", got, out)
	}

	w = newWorld(t)
	w.waiting = "ErrImagePull"
	facts, out = w.run(t)
	if got := states(facts); got != "smoke-pod=failed smoke-podvm=ok smoke-cleanup=ok" || !strings.Contains(out, "container waiting: ErrImagePull") {
		t.Errorf("stuck: %s\n%s", got, out)
	}

	w = newWorld(t)
	w.noVM = true
	facts, out = w.run(t)
	if got := states(facts); got != "smoke-pod=ok smoke-podvm=failed smoke-cleanup=ok" || !strings.Contains(out, "no PeerPod and no pod VM in the cloud names it") {
		t.Errorf("no pod VM: %s\n%s", got, out)
	}

	w = newWorld(t)
	w.phase = corev1.PodFailed
	facts, out = w.run(t)
	if got := states(facts); got != "smoke-pod=failed smoke-podvm=failed smoke-cleanup=ok" || !strings.Contains(out, "status.phase: Failed") {
		t.Errorf("failed: %s\n%s", got, out)
	}

	w = newWorld(t)
	w.leak = true
	facts, out = w.run(t)
	if got := states(facts); got != "smoke-pod=ok smoke-podvm=ok smoke-cleanup=failed" || !strings.Contains(out, "PeerPod instance 7, libvirt domain podvm-peerpods-smoke-0a1b2c3d (a leak)") || !strings.Contains(out, "peerpods sweep") {
		t.Errorf("leak: %s\n%s", got, out)
	}
}
