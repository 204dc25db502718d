package cluster_test

import (
	"context"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
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

func pod(ns, name, runtimeClass string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	if runtimeClass != "" {
		p.Spec.RuntimeClassName = &runtimeClass
	}
	return p
}

// peerPod is a PeerPod as cloud-api-adaptor makes it (k8sops/peerpod.go
// newPeerPod): named after the pod, in its namespace, owned by it.
func peerPod(ns, podName, instanceID string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "confidentialcontainers.org/v1alpha1", "kind": "PeerPod",
		"metadata": map[string]any{
			"namespace": ns, "name": podName + "-resource-x1y2z",
			"ownerReferences": []any{map[string]any{"apiVersion": "v1", "kind": "Pod", "name": podName, "uid": "u-" + podName, "controller": true}},
			"finalizers":      []any{"peer.pod/finalizer"},
		},
		"spec": map[string]any{"instanceID": instanceID, "cloudProvider": "libvirt"},
	}}
}

func podClients(core []runtime.Object, peerPods ...runtime.Object) cluster.Clients {
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{cluster.PeerPods: "PeerPodList"}, peerPods...)
	if peerPods == nil {
		// The API server's answer when no CRD serves PeerPods.
		dyn.PrependReactor("list", "peerpods", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewNotFound(cluster.PeerPods.GroupResource(), "")
		})
	}
	return cluster.Clients{Kube: kubefake.NewClientset(core...), Dynamic: dyn}
}

// TestReadPodVMs: pods of the peer-pods runtime class and PeerPods of
// pods that exist are in use (by name, and by instance ID); a PeerPod
// whose pod is gone is the cluster's (claimed) but not in use; a pod of
// another runtime class is neither.
func TestReadPodVMs(t *testing.T) {
	core := []runtime.Object{
		pod("web", "nginx", contract.RuntimeClass),
		pod("db", "postgres-0", contract.RuntimeClass),
		pod("web", "plain", ""),
	}
	v, err := cluster.ReadPodVMs(context.Background(), podClients(core,
		peerPod("db", "postgres-0", "7"), peerPod("batch", "job-gone", "9")))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vm, id  string
		inUse   string // "" when not in use
		claimed bool
	}{
		{"podvm-nginx-1a2b3c4d", "", "Pod web/nginx", true},
		{"podvm-postgres-0-0f0f0f0f", "", "PeerPod db/postgres-0-resource-x1y2z of Pod db/postgres-0", true},
		{"podvm-renamed-ffffffff", "7", "PeerPod db/postgres-0-resource-x1y2z of Pod db/postgres-0", false},
		{"podvm-job-gone-12345678", "", "", true},
		{"podvm-plain-12345678", "", "", false},
		{"podvm-nginx-2-12345678", "", "", false}, // another pod, nginx-2
	} {
		why, used := v.InUse(c.vm, c.id)
		if why != c.inUse || used != (c.inUse != "") {
			t.Errorf("InUse(%s, %q) = %q, %t; want %q", c.vm, c.id, why, used, c.inUse)
		}
		if got := v.Claims(c.vm); got != c.claimed && c.id == "" {
			t.Errorf("Claims(%s) = %t", c.vm, got)
		}
	}
}

// TestReadPodVMsWithoutPeerPods: a cluster that does not serve PeerPods
// (no peer-pod controller) is read by its pods alone.
func TestReadPodVMsWithoutPeerPods(t *testing.T) {
	v, err := cluster.ReadPodVMs(context.Background(), podClients([]runtime.Object{pod("web", "nginx", contract.RuntimeClass)}))
	if err != nil {
		t.Fatal(err)
	}
	if _, used := v.InUse("podvm-nginx-1a2b3c4d", ""); !used {
		t.Error("the pod's VM is not in use")
	}
}

// TestPodVMOfPod: cloud-api-adaptor's names of a pod's VM
// (GenerateInstanceName: sanitized, cut to fit 63 characters).
func TestPodVMOfPod(t *testing.T) {
	long := strings.Repeat("a", 60)
	for _, c := range []struct {
		vm, pod string
		want    bool
	}{
		{"podvm-nginx-1a2b3c4d", "nginx", true},
		{"podvm-nginx-1a2b3c4d", "nginx-1a2b3c4d", false},
		{"podvm-my-app-1a2b", "My_App", true},
		{"podvm-" + long[:48] + "-1a2b3c4d", long, true},
		{"podvm-nginx-1-1a2b3c4d", "nginx", false},
		{"podvm-nginx-", "nginx", false},
	} {
		if got := cluster.PodVMOfPod(c.vm, c.pod); got != c.want {
			t.Errorf("PodVMOfPod(%s, %s) = %t", c.vm, c.pod, got)
		}
	}
}
