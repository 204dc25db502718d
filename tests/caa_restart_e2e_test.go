//go:build e2e

package tests

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// caaDaemonSet is osc-caa-ds shaped as the operator makes it (testdata/lines
// 1.10.json operator.caaDaemonSet): selector and template label
// name=osc-caa-ds, one container caa-pod whose environment is
// peer-pods-secret and peer-pods-cm, ssh-key-secret at /root/.ssh.
func caaDaemonSet() *appsv1.DaemonSet {
	labels := map[string]string{"name": contract.CAADaemonSet}
	optional, mode := true, int32(0o600)
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.CAADaemonSet},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					HostNetwork: true, ServiceAccountName: "default",
					Containers: []corev1.Container{{
						Name: "caa-pod", Image: "registry.example/cloud-api-adaptor:1.11", Command: []string{"/usr/local/bin/entrypoint.sh"},
						EnvFrom: []corev1.EnvFromSource{
							{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: contract.SecretName}}},
							{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: contract.ConfigMapName}}},
						},
						VolumeMounts: []corev1.VolumeMount{{Name: "ssh", MountPath: "/root/.ssh", ReadOnly: true}},
					}},
					Volumes: []corev1.Volume{{Name: "ssh", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
						SecretName: contract.SSHKeySecretName, Optional: &optional, DefaultMode: &mode}}}},
				},
			},
		},
	}
}

// TestEngineCAARestart: cloud-api-adaptor's DaemonSet (made here by the
// operator's field manager; no controller runs pods, so the pod template's
// annotations and metadata.generation, which the API server bumps on a
// template change, show a restart) through a cluster-mode stack on the
// real pulumi-kubernetes plugin. On line 1.13 up leaves it alone; on 1.11
// up sets the hash annotation, a no-op up changes nothing, an up that
// changes peer-pods-cm changes the hash; with a pod of runtime class
// kata-remote, or with the OnDelete strategy, a changing up keeps the hash
// and warns, naming the pod and the restart command; destroy removes only
// the annotation: the DaemonSet and another manager's restartedAt stay.
func TestEngineCAARestart(t *testing.T) {
	t.Parallel()
	c := kubetest.Client(t)
	ctx := t.Context()
	h, _ := newClusterHarness(t, "libvirt-caa-e2e")
	dss := c.Typed.AppsV1().DaemonSets(contract.Namespace)

	// No pod of another test runs on a pod VM (one whose namespace is
	// being deleted may linger briefly).
	kata := contract.RuntimeClass
	var others []string
	none, err := backoff.Poll(ctx, backoff.Backoff{First: 50 * time.Millisecond, Max: time.Second, Bound: kubetest.Timeout}, nil, func(ctx context.Context) (bool, error) {
		pods, err := c.Typed.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		others = nil
		for _, p := range pods.Items {
			if p.Spec.RuntimeClassName != nil && *p.Spec.RuntimeClassName == kata {
				others = append(others, p.Namespace+"/"+p.Name)
			}
		}
		return len(others) == 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !none {
		t.Fatalf("pods of runtime class %s exist before the test: %v", kata, others)
	}

	// The operator's DaemonSet, and a restartedAt of an earlier
	// kubectl rollout restart (another field manager).
	if _, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: contract.Namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := dss.Create(ctx, caaDaemonSet(), metav1.CreateOptions{FieldManager: "sandboxed-containers-operator"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dss.Delete(context.Background(), contract.CAADaemonSet, metav1.DeleteOptions{}) })
	const restartedAt = "kubectl.kubernetes.io/restartedAt"
	if _, err := dss.Patch(ctx, contract.CAADaemonSet, types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"metadata":{"annotations":{"`+restartedAt+`":"2026-01-01T00:00:00Z"}}}}}`),
		metav1.PatchOptions{FieldManager: "kubectl-rollout"}); err != nil {
		t.Fatal(err)
	}
	// state is the hash annotation and the generation; the DaemonSet's
	// shape and the other manager's annotation are checked each time.
	state := func(when string) (string, int64) {
		t.Helper()
		ds, err := dss.Get(ctx, contract.CAADaemonSet, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		a := ds.Spec.Template.Annotations
		if a[restartedAt] != "2026-01-01T00:00:00Z" || len(ds.Spec.Template.Spec.Containers) != 1 || len(ds.Spec.Template.Spec.Containers[0].EnvFrom) != 2 {
			t.Errorf("%s: the DaemonSet lost the operator's or kubectl's fields: %v %+v", when, a, ds.Spec.Template.Spec.Containers)
		}
		return a[handoff.HashAnnotation], ds.Generation
	}
	limit := func(n string) {
		t.Helper()
		h.run("pulumi", "config", "set", "peerpods:limitPerNode", n, "--stack", h.stack)
	}
	line := func(v string) {
		t.Helper()
		h.run("pulumi", "config", "set", "peerpods:operatorVersion", v, "--stack", h.stack)
	}
	_, gen0 := state("before the stack")

	// 1.13: the operator rolls cloud-api-adaptor itself; no patch.
	line("1.13")
	h.peerpods(0, "up")
	if hash, gen := state("up on 1.13"); hash != "" || gen != gen0 {
		t.Fatalf("up on 1.13: hash %q, generation %d (was %d)", hash, gen, gen0)
	}

	// 1.11: the hash of the data, set once.
	line("1.11")
	h.peerpods(0, "up")
	hash1, gen1 := state("up on 1.11")
	if _, err := hex.DecodeString(hash1); err != nil || len(hash1) != 64 || gen1 == gen0 {
		t.Fatalf("up on 1.11: hash %q, generation %d (was %d)", hash1, gen1, gen0)
	}
	ds, err := dss.Get(ctx, contract.CAADaemonSet, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owners := map[string]bool{}
	for _, m := range ds.ManagedFields {
		if strings.Contains(string(m.FieldsV1.Raw), `"f:`+handoff.HashAnnotation+`"`) {
			owners[m.Manager] = true
			if !strings.HasPrefix(m.Manager, "pulumi-kubernetes-") || m.Operation != metav1.ManagedFieldsOperationApply || strings.Contains(string(m.FieldsV1.Raw), "f:containers") {
				t.Errorf("the hash annotation is owned by %s (%s), with %s", m.Manager, m.Operation, m.FieldsV1.Raw)
			}
		}
	}
	if len(owners) != 1 {
		t.Errorf("the hash annotation's managers: %v", owners)
	}
	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("second up changed something: %q", got)
	}
	if hash, gen := state("a no-op up"); hash != hash1 || gen != gen1 {
		t.Errorf("a no-op up: hash %q generation %d, want %q %d", hash, gen, hash1, gen1)
	}
	limit("11")
	h.peerpods(0, "up")
	hash2, gen2 := state("an up changing peer-pods-cm")
	if hash2 == hash1 || len(hash2) != 64 || gen2 == gen1 {
		t.Errorf("an up changing peer-pods-cm: hash %q generation %d, was %q %d", hash2, gen2, hash1, gen1)
	}

	// A pod on a pod VM: the change is written, cloud-api-adaptor is not
	// restarted, and the warning names the pod and the command.
	if _, err := c.Typed.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: kata}, Handler: kata}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	ns := kubetest.UniqueNamespace(t, "ppe2e-caa")
	// No service-account controller runs here: made by hand.
	if _, err := c.Typed.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := c.Typed.CoreV1().Pods(ns)
	if _, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{RuntimeClassName: &kata,
		Containers: []corev1.Container{{Name: "nginx", Image: "registry.example/nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	limit("12")
	out := h.peerpods(0, "up")
	for _, part := range []string{ns + "/web", handoff.RestartCommand} {
		if !strings.Contains(out, part) {
			t.Errorf("an up with a pod on a pod VM does not say %q:\n%s", part, out)
		}
	}
	if hash, gen := state("an up with a pod on a pod VM"); hash != hash2 || gen != gen2 {
		t.Errorf("an up with a pod on a pod VM: hash %q generation %d, want %q %d", hash, gen, hash2, gen2)
	}
	cm, err := c.Typed.CoreV1().ConfigMaps(contract.Namespace).Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
	if err != nil || cm.Data[contract.KeyPeerPodsLimitPerNode] != "12" {
		t.Errorf("peer-pods-cm after the held up: %v (%v)", cm.Data, err)
	}
	if err := pods.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	// OnDelete (the operator's): not restarted either, and said.
	strategy := func(s appsv1.DaemonSetUpdateStrategyType) int64 {
		t.Helper()
		ds, err := dss.Patch(ctx, contract.CAADaemonSet, types.MergePatchType, []byte(`{"spec":{"updateStrategy":{"type":"`+string(s)+`","rollingUpdate":null}}}`),
			metav1.PatchOptions{FieldManager: "sandboxed-containers-operator"})
		if err != nil {
			t.Fatal(err)
		}
		return ds.Generation
	}
	gen3 := strategy(appsv1.OnDeleteDaemonSetStrategyType)
	limit("13")
	out = h.peerpods(0, "up")
	if !strings.Contains(out, "OnDelete") || !strings.Contains(out, handoff.RestartCommand) {
		t.Errorf("an up on OnDelete does not warn:\n%s", out)
	}
	if hash, gen := state("an up on OnDelete"); hash != hash2 || gen != gen3 {
		t.Errorf("an up on OnDelete: hash %q generation %d, want %q %d", hash, gen, hash2, gen3)
	}

	// Back to RollingUpdate with no pod VMs: the held change restarts it.
	gen4 := strategy(appsv1.RollingUpdateDaemonSetStrategyType)
	h.peerpods(0, "up")
	hash5, gen5 := state("an up after the hold")
	if hash5 == hash2 || gen5 == gen4 {
		t.Errorf("an up after the hold: hash %q generation %d, was %q %d", hash5, gen5, hash2, gen4)
	}

	// destroy: only the stack's annotations go; the DaemonSet stays.
	h.peerpods(0, "destroy")
	ds, err = dss.Get(ctx, contract.CAADaemonSet, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the operator's DaemonSet after destroy: %v", err)
	}
	if _, ok := ds.Spec.Template.Annotations[handoff.HashAnnotation]; ok {
		t.Errorf("the hash annotation after destroy: %v", ds.Spec.Template.Annotations)
	}
	if _, ok := ds.Annotations[handoff.SkipAwaitAnnotation]; ok {
		t.Errorf("the skip-await annotation after destroy: %v", ds.Annotations)
	}
	state("after destroy")
}
