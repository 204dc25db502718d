package readiness_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/readiness"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

// kataConfig is a KataConfig with the status the operator writes.
func kataConfig(name string, status map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kataconfiguration.openshift.io/v1", "kind": "KataConfig",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"enablePeerPods": true},
		"status":   status,
	}}
}

func nodes(installed ...any) map[string]any { return map[string]any{"installed": installed} }

func inProgress(status, reason, message string) []any {
	return []any{map[string]any{"type": "InProgress", "status": status, "reason": reason, "message": message, "lastTransitionTime": "2026-01-01T00:00:00Z"}}
}

// pool is a MachineConfigPool whose NodeDegraded condition has status.
func pool(name, status, message string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "machineconfiguration.openshift.io/v1", "kind": "MachineConfigPool", "metadata": map[string]any{"name": name},
		"status": map[string]any{"conditions": []any{
			map[string]any{"type": "Updated", "status": "False"},
			map[string]any{"type": "NodeDegraded", "status": status, "message": message}}},
	}}
}

// caa is osc-caa-ds with a rollout status.
func caa(gen, observed int64, desired, updated, ready int32) *appsv1.DaemonSet {
	labels := map[string]string{"name": contract.CAADaemonSet}
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.CAADaemonSet, Generation: gen},
		Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: observed, DesiredNumberScheduled: desired,
			UpdatedNumberScheduled: updated, NumberReady: ready},
	}
}

func node(name string, vms int64) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if vms >= 0 {
		n.Status.Allocatable = corev1.ResourceList{readiness.ExtendedResource: *resource.NewQuantity(vms, resource.DecimalSI)}
	}
	return n
}

func caaPod(name, reason string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: name, Labels: map[string]string{"name": contract.CAADaemonSet}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "caa-pod", RestartCount: 4,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "back-off 40s restarting failed container"}}}}},
	}
}

func clients(core []runtime.Object, kcs ...runtime.Object) cluster.Clients {
	kube := kubefake.NewClientset(core...)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{readiness.KataConfigs: "KataConfigList", readiness.MachineConfigPools: "MachineConfigPoolList"}, kcs...)
	return cluster.Clients{Kube: kube, Dynamic: dyn, Discovery: kube.Discovery()}
}

var kataRemote = &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: contract.RuntimeClass}, Handler: "kata-remote"}

// TestRead: each fact from the objects as the operator and the kubelet
// write them: all ok; the KataConfig installing, failed (the operator's
// message), or absent; the DaemonSet not observed, rolling, with a
// container in CrashLoopBackOff (its last log line, a Secret's value in it
// masked) or CreateContainerConfigError; a MachineConfigPool degraded
// while kata installs (the pool's message); the RuntimeClass absent; the
// extended resource missing or of another value than the limit.
func TestRead(t *testing.T) {
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.SecretName},
		Data: map[string][]byte{"LIBVIRT_PASSWORDISH": []byte("fake")}}
	done := kataConfig("kc", map[string]any{"kataNodes": map[string]any{"installed": []any{"w0", "w1"}, "nodeCount": int64(2), "readyNodeCount": int64(2)},
		"conditions": inProgress("False", "Installed", "")})
	ok := []runtime.Object{caa(3, 3, 2, 2, 2), kataRemote, node("w0", 10), node("w1", 10), node("m0", -1)}
	for name, tc := range map[string]struct {
		core []runtime.Object
		kcs  []runtime.Object
		want string // kataconfig,caa,runtimeclass,resource states
		has  []string
	}{
		"all ok": {core: ok, kcs: []runtime.Object{done}, want: "ok ok ok ok",
			has: []string{"2 of 2 node(s) ready; installed: w0, w1", "2 of 2 node(s) updated, 2 ready", "10 on w0, w1"}},
		"installing": {core: []runtime.Object{node("w0", -1)}, kcs: []runtime.Object{kataConfig("kc", map[string]any{
			"kataNodes":  map[string]any{"installing": []any{"w0"}, "waitingToInstall": []any{"w1"}, "nodeCount": int64(2)},
			"conditions": inProgress("True", "Installing", "Performing kata installation")})},
			want: "pending pending pending pending",
			has:  []string{"0 of 2 node(s) ready; installing: w0; waiting to install: w1; in progress (Installing)", "message: Performing kata installation", "not created yet", "no kata node advertises it yet"}},
		"failed": {core: ok, kcs: []runtime.Object{kataConfig("kc", map[string]any{
			"kataNodes":  map[string]any{"installed": []any{"w0"}, "failedToInstall": []any{"w1"}, "nodeCount": int64(2), "readyNodeCount": int64(1)},
			"conditions": inProgress("True", "Failed", "Node w1 is degraded: MachineConfigPool kata-oc")})},
			want: "failed ok ok ok",
			has:  []string{"status.kataNodes.failedToInstall", "failed to install: w1", "message: Node w1 is degraded", "MachineConfigPool degradation"}},
		"pool degraded": {core: []runtime.Object{node("w0", -1)}, kcs: []runtime.Object{kataConfig("kc", map[string]any{
			"kataNodes":  map[string]any{"installing": []any{"w0"}, "nodeCount": int64(1)},
			"conditions": inProgress("True", "Installing", "Performing kata installation")}),
			pool("master", "False", ""), pool("kata-oc", "True", `Node w0 is reporting: "unexpected on-disk state"`)},
			want: "failed pending pending pending",
			has:  []string{"MachineConfigPool kata-oc status.conditions[NodeDegraded]", "MachineConfigPool kata-oc is NodeDegraded", `message: Performing kata installation; Node w0 is reporting: "unexpected on-disk state"`, "oc describe mcp kata-oc"}},
		"no kataconfig": {core: ok, want: "pending ok ok ok", has: []string{"KataConfig kc status: not found"}},
		"rolling": {core: []runtime.Object{caa(4, 3, 2, 2, 2), kataRemote, node("w0", 10), node("w1", 5)}, kcs: []runtime.Object{done},
			want: "ok pending ok pending", has: []string{"generation 4 observed 3", "w1 has 5, not 10 (PEERPODS_LIMIT_PER_NODE)"}},
		"half updated": {core: []runtime.Object{caa(3, 3, 2, 1, 2), kataRemote, node("w0", 10)}, kcs: []runtime.Object{done},
			want: "ok pending ok pending", has: []string{"1 of 2 node(s) updated", "none on w1 (no such node)"}},
		"crashloop": {core: append([]runtime.Object{secret, caaPod("osc-caa-ds-b", "CrashLoopBackOff"), caaPod("osc-caa-ds-a", "ContainerCreating")}, ok...), kcs: []runtime.Object{done},
			want: "ok failed ok ok", has: []string{"Pod " + contract.Namespace + "/osc-caa-ds-b of DaemonSet", "status.containerStatuses[0].state.waiting", "waiting: CrashLoopBackOff (restarted 4 times); last log line: [secret] logs", "message: back-off 40s", "--previous"}},
		"config error": {core: append([]runtime.Object{caaPod("osc-caa-ds-a", "CreateContainerConfigError")}, ok...), kcs: []runtime.Object{done},
			want: "ok failed ok ok", has: []string{"peer-pods-cm or peer-pods-secret"}},
		"no runtimeclass": {core: []runtime.Object{caa(3, 3, 2, 2, 2), node("w0", 10), node("w1", 10)}, kcs: []runtime.Object{done},
			want: "ok ok pending ok", has: []string{"RuntimeClass kata-remote: not created yet"}},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := readiness.Read(t.Context(), clients(tc.core, tc.kcs...), readiness.Want{KataConfig: "kc", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var states, lines []string
			for _, f := range r {
				states = append(states, string(f.State))
				lines = append(lines, f.Line())
			}
			all := strings.Join(lines, "\n")
			if got := strings.Join(states, " "); got != tc.want {
				t.Errorf("states %q, want %q:\n%s", got, tc.want, all)
			}
			for _, s := range tc.has {
				if !strings.Contains(all, s) {
					t.Errorf("no %q in\n%s", s, all)
				}
			}
			if strings.Contains(all, "fake") {
				t.Errorf("a Secret's value in the report:\n%s", all)
			}
			if r.Done() != (tc.want == "ok ok ok ok") || r.Failed() != strings.Contains(tc.want, "failed") {
				t.Errorf("Done %v Failed %v for %q", r.Done(), r.Failed(), tc.want)
			}
		})
	}
}

// TestReadAnyKataConfig: without a name, the cluster's one KataConfig;
// without any, a pending fact saying the operator installs nothing.
func TestReadAnyKataConfig(t *testing.T) {
	r, err := readiness.Read(t.Context(), clients(nil, kataConfig("theirs", nil)), readiness.Want{Limit: 10})
	if err != nil || r[0].Object != "KataConfig theirs" {
		t.Fatalf("%v %+v", err, r)
	}
	r, err = readiness.Read(t.Context(), clients(nil), readiness.Want{Limit: 10})
	if err != nil || r[0].State != readiness.Pending || !strings.Contains(r[0].Detail, "none exists") {
		t.Fatalf("%v %+v", err, r)
	}
}

// TestFollow: progress is printed once per change of a fact; the follow
// ends when all hold, at a failure, at the bound (pauses doubling up to
// the maximum, the last one cut to the bound), or at a read error.
func TestFollow(t *testing.T) {
	pending := readiness.Fact{Name: "caa", State: readiness.Pending, Object: "DaemonSet x", Detail: "0 of 1"}
	ok := readiness.Fact{Name: "caa", State: readiness.OK, Object: "DaemonSet x", Detail: "1 of 1"}
	failed := readiness.Fact{Name: "caa", State: readiness.Failed, Object: "DaemonSet x", Detail: "crash", Fix: "fix it"}
	seq := func(rs ...readiness.Fact) func(context.Context) (readiness.Report, error) {
		i := 0
		return func(context.Context) (readiness.Report, error) {
			f := rs[min(i, len(rs)-1)]
			i++
			return readiness.Report{f}, nil
		}
	}
	b := backoff.Backoff{First: time.Second, Max: 4 * time.Second, Bound: 10 * time.Second}
	var pauses []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { pauses = append(pauses, d); return nil }

	var out bytes.Buffer
	r, ended, err := readiness.Follow(t.Context(), seq(pending, pending, pending, ok), b, &out, sleep)
	if err != nil || !ended || !r.Done() {
		t.Fatalf("%v %v %+v", err, ended, r)
	}
	if got := out.String(); strings.Count(got, "\n") != 2 || !strings.Contains(got, "pending DaemonSet x: 0 of 1") || !strings.Contains(got, "ok      DaemonSet x: 1 of 1") {
		t.Errorf("progress %q", got)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !slices.Equal(pauses, want) {
		t.Errorf("pauses %v, want %v", pauses, want)
	}

	pauses = nil
	r, ended, err = readiness.Follow(t.Context(), seq(pending, failed), b, &out, sleep)
	if err != nil || !ended || !r.Failed() || len(pauses) != 1 {
		t.Fatalf("%v %v %+v %v", err, ended, r, pauses)
	}

	pauses = nil
	r, ended, err = readiness.Follow(t.Context(), seq(pending), b, &out, sleep)
	if err != nil || ended || r.Done() {
		t.Fatalf("%v %v %+v", err, ended, r)
	}
	if want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 3 * time.Second}; !slices.Equal(pauses, want) {
		t.Errorf("pauses %v, want %v", pauses, want)
	}

	boom := errors.New("boom")
	if _, _, err := readiness.Follow(t.Context(), func(context.Context) (readiness.Report, error) { return nil, boom }, b, &out, sleep); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := readiness.Follow(ctx, seq(pending), b, &out, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}
