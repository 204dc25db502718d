package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/readiness"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
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

// TestHandoffWant: only a cluster handoff is followed, for its KataConfig
// and its PEERPODS_LIMIT_PER_NODE (default 10).
func TestHandoffWant(t *testing.T) {
	outs := auto.OutputMap{
		stacks.OutputHandoff:   {Value: map[string]any{"mode": "cluster", "objects": []any{"ConfigMap/peer-pods-cm", "KataConfig/kc"}}},
		stacks.OutputConfigMap: {Value: map[string]any{contract.KeyPeerPodsLimitPerNode: "3"}},
	}
	if w, ok := handoffWant(outs); !ok || w != (readiness.Want{KataConfig: "kc", Limit: 3}) {
		t.Errorf("%+v %v", w, ok)
	}
	delete(outs, stacks.OutputConfigMap)
	outs[stacks.OutputHandoff] = auto.OutputValue{Value: map[string]any{"mode": "cluster"}}
	if w, ok := handoffWant(outs); !ok || w != (readiness.Want{Limit: 10}) {
		t.Errorf("%+v %v", w, ok)
	}
	for _, mode := range []string{"manifests", "off"} {
		outs[stacks.OutputHandoff] = auto.OutputValue{Value: map[string]any{"mode": mode}}
		if _, ok := handoffWant(outs); ok {
			t.Errorf("%s is followed", mode)
		}
	}
}

// TestFollowCluster: on a cluster where every fact holds, one line per
// fact on stdout and success; a KataConfig still installing at the bound
// fails naming the bound and peerpods check; a failed node fails at once.
func TestFollowCluster(t *testing.T) {
	old := followSleep
	t.Cleanup(func() { followSleep = old })
	sleeps := 0
	followSleep = func(context.Context, time.Duration) error { sleeps++; return nil }
	kc := func(status map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kataconfiguration.openshift.io/v1", "kind": "KataConfig",
			"metadata": map[string]any{"name": "kc"}, "status": status}}
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w0"}, Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{readiness.ExtendedResource: resource.MustParse("10")}}}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.CAADaemonSet, Generation: 1},
		Spec:   appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"name": contract.CAADaemonSet}}},
		Status: appsv1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 1, UpdatedNumberScheduled: 1, NumberReady: 1}}
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: contract.RuntimeClass}, Handler: "kata-remote"}
	clients := func(k *unstructured.Unstructured) cluster.Clients {
		kube := kubefake.NewClientset(node, ds, rc)
		dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{readiness.KataConfigs: "KataConfigList", readiness.MachineConfigPools: "MachineConfigPoolList"}, k)
		return cluster.Clients{Kube: kube, Dynamic: dyn, Discovery: kube.Discovery()}
	}
	want := readiness.Want{KataConfig: "kc", Limit: 10}
	var stdout, stderr bytes.Buffer
	ready := kc(map[string]any{"kataNodes": map[string]any{"installed": []any{"w0"}, "nodeCount": int64(1), "readyNodeCount": int64(1)}})
	if err := followCluster(t.Context(), clients(ready), want, time.Minute, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.TrimSpace(stdout.String()), "\n") + 1; n != 4 || strings.Contains(stdout.String(), "pending") || sleeps != 0 {
		t.Errorf("%d lines, %d sleeps:\n%s", n, sleeps, stdout.String())
	}
	if !strings.Contains(stderr.String(), "at most 1m0s, peerpods:waitTimeout") {
		t.Errorf("stderr %q", stderr.String())
	}

	stdout.Reset()
	installing := kc(map[string]any{"kataNodes": map[string]any{"installing": []any{"w0"}, "nodeCount": int64(1)},
		"conditions": []any{map[string]any{"type": "InProgress", "status": "True", "reason": "Installing", "message": "m", "lastTransitionTime": "2026-01-01T00:00:00Z"}}})
	err := followCluster(t.Context(), clients(installing), want, time.Minute, &stdout, &stderr)
	if !errors.Is(err, errNotReady) || !strings.Contains(err.Error(), "after 1m0s (peerpods:waitTimeout)") || sleeps == 0 {
		t.Errorf("%v after %d sleeps", err, sleeps)
	}
	if !strings.Contains(stdout.String(), "pending KataConfig kc status: 0 of 1 node(s) ready; installing: w0") {
		t.Errorf("stdout %q", stdout.String())
	}

	sleeps = 0
	failed := kc(map[string]any{"kataNodes": map[string]any{"failedToInstall": []any{"w0"}, "nodeCount": int64(1)}})
	err = followCluster(t.Context(), clients(failed), want, time.Minute, &stdout, &stderr)
	if !errors.Is(err, errNotReady) || !strings.Contains(err.Error(), "failed") || sleeps != 0 {
		t.Errorf("%v after %d sleeps", err, sleeps)
	}
	if code := exitCode(t.Context(), err, &stderr); code != exitFailure {
		t.Errorf("exit %d", code)
	}
}

// TestRuleFact: a rule the cloud shows as declared is ok; one with a
// problem fails with the cloud's problem and fix.
func TestRuleFact(t *testing.T) {
	r := values.DeclaredRule{Name: "agent", ID: "sgr-1", Target: "sg-1", Ports: []netrules.Port{{Number: 15150, Protocol: netrules.TCP}}}
	if got := ruleFact(values.RuleFinding{Rule: r}).Line(); got != "ok      rule agent (sgr-1) of sg-1 15150/tcp: exists and still allows its ports as the stack declared them" {
		t.Errorf("%q", got)
	}
	if got := ruleFact(values.RuleFinding{Rule: r, Problem: "no longer exists", Fix: "up"}).Line(); got != "failed  rule agent (sgr-1) of sg-1 15150/tcp: no longer exists; fix: up" {
		t.Errorf("%q", got)
	}
}
