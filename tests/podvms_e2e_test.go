//go:build e2e

package tests

import (
	"strings"
	"testing"

	k8scluster "github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestReadPodVMsRealServer: what peerpods sweep asks the cluster before it
// deletes a pod VM, from the real API server: a pod of the kata-remote
// runtime class (RuntimeClass and pod as the operator and a user make
// them) makes its VM in use, on a server without cloud-api-adaptor's
// PeerPod CRD (the 404 of a resource nobody serves) and with it; a PeerPod
// whose pod is gone (the finalizer cloud-api-adaptor did not remove)
// claims its VM for this cluster without making it in use.
func TestReadPodVMsRealServer(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: contract.RuntimeClass}, Handler: contract.RuntimeClass}
	if _, err := c.Typed.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	ns := kubetest.UniqueNamespace(t, "ppe2e-podvms")
	// No service-account controller runs here: the pod's default one is
	// made by hand, as that controller would.
	if _, err := c.Typed.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	runtimeClass := contract.RuntimeClass
	web, err := c.Typed.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{RuntimeClassName: &runtimeClass,
			Containers: []corev1.Container{{Name: "nginx", Image: "registry.example/nginx"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clients := k8scluster.Clients{Kube: c.Typed, Dynamic: c.Dynamic}

	v, err := k8scluster.ReadPodVMs(ctx, clients)
	if err != nil {
		t.Fatalf("without the PeerPod CRD: %v", err)
	}
	if why, used := v.InUse("podvm-web-1a2b3c4d", ""); !used || !strings.Contains(why, "Pod "+ns+"/web") {
		t.Errorf("the pod's VM: %q, %t", why, used)
	}

	kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/caa-crds/confidentialcontainers.org_peerpods.yaml"))
	peerPod := func(pod, podUID, id string) {
		pp := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "confidentialcontainers.org/v1alpha1", "kind": "PeerPod",
			"metadata": map[string]any{
				"name": pod + "-resource-abcde",
				"ownerReferences": []any{map[string]any{"apiVersion": "v1", "kind": "Pod", "name": pod, "uid": podUID,
					"controller": true, "blockOwnerDeletion": true}},
				"finalizers": []any{"peer.pod/finalizer"},
			},
			"spec": map[string]any{"instanceID": id, "cloudProvider": "libvirt"},
		}}
		if _, err := c.Dynamic.Resource(k8scluster.PeerPods).Namespace(ns).Create(ctx, pp, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	peerPod("web", string(web.UID), "12")
	peerPod("gone", "00000000-0000-0000-0000-000000000000", "13")
	v, err = k8scluster.ReadPodVMs(ctx, clients)
	if err != nil {
		t.Fatal(err)
	}
	if why, used := v.InUse("podvm-other-name", "12"); !used || !strings.Contains(why, "PeerPod "+ns+"/web-resource-abcde") {
		t.Errorf("by the PeerPod's instance ID: %q, %t", why, used)
	}
	if _, used := v.InUse("podvm-gone-1a2b3c4d", "13"); used {
		t.Error("the VM of a pod that is gone is in use")
	}
	if !v.Claims("podvm-gone-1a2b3c4d") || v.Claims("podvm-stranger-1a2b3c4d") {
		t.Error("claims: want the gone pod's VM, not a stranger's")
	}
}
