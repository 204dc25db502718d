package cluster_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

var kubeconfig = clustertest.Kubeconfig("https://127.0.0.1:1")

func TestConnect(t *testing.T) {
	if _, err := cluster.Connect([]byte(kubeconfig), ""); err != nil {
		t.Error(err)
	}
	if _, err := cluster.Connect([]byte(kubeconfig), "admin"); err != nil {
		t.Error(err)
	}
	_, err := cluster.Connect([]byte(kubeconfig), "prod")
	if !errors.Is(err, cluster.ErrUnknownContext) || !strings.Contains(err.Error(), `"prod" (it has [admin])`) {
		t.Errorf("unknown context: %v", err)
	}
	if _, err := cluster.Connect([]byte("clusters: ["), ""); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Errorf("bad kubeconfig: %v", err)
	}
}

// The machine networks come from the install-config the installer leaves
// in kube-system; the operator's Subscription is found by its package.
func TestReadInstallConfigAndSubscription(t *testing.T) {
	cfg := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "cluster-config-v1"},
		Data: map[string]string{"install-config": "networking:\n  machineNetwork:\n  - cidr: 10.0.0.0/16\n  - cidr: 10.1.0.1/24\n"}}
	sub := func(name, pkg string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
			"metadata": map[string]any{"name": name, "namespace": contract.Namespace}, "spec": map[string]any{"name": pkg}}}
	}
	c := clients([]runtime.Object{infrastructure(map[string]any{"type": "AWS", "aws": map[string]any{"region": "us-east-2"}}),
		sub("other", "other-operator"), sub("osc", contract.OperatorPackage)}, []runtime.Object{cfg}, false)
	f, err := cluster.Read(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.MachineNetworks, []string{"10.0.0.0/16", "10.1.0.0/24"}) || f.Subscription != "osc" {
		t.Errorf("machine networks %v subscription %q", f.MachineNetworks, f.Subscription)
	}
}

func TestReadCCOSecret(t *testing.T) {
	aws := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "aws-creds"},
		Data: map[string][]byte{"aws_access_key_id": []byte("AKIAAAAAAAAAAAAAAAAA"), "aws_secret_access_key": []byte("s3cr3t")}}
	c := clients(nil, []runtime.Object{aws}, false)
	got, err := cluster.ReadCCOSecret(t.Context(), c, contract.AWS)
	if err != nil || !reflect.DeepEqual(got, map[string]string{"AWS_ACCESS_KEY_ID": "AKIAAAAAAAAAAAAAAAAA", "AWS_SECRET_ACCESS_KEY": "s3cr3t"}) {
		t.Errorf("aws: %v", err)
	}
	if _, err := cluster.ReadCCOSecret(t.Context(), c, contract.Azure); !errors.Is(err, cluster.ErrNoCCOSecret) || !strings.Contains(err.Error(), "kube-system/azure-credentials") {
		t.Errorf("azure: %v", err)
	}
	if _, err := cluster.ReadCCOSecret(t.Context(), c, contract.Libvirt); err == nil {
		t.Error("libvirt has no CCO secret")
	}
}
