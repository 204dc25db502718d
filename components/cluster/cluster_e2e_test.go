//go:build e2e

package cluster_test

import (
	"slices"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/internal/kubetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestReadRealServer: on the e2e kube-apiserver with OpenShift's own
// Infrastructure and Authentication CRDs (openshift/api, pinned in
// tests/testdata/openshift-crds), the objects of an AWS cluster, as the
// installer writes them (status through the status subresource), and
// worker nodes with provider IDs, are read back as the facts; a platform
// the schema allows but peer pods do not run on is refused.
func TestReadRealServer(t *testing.T) {
	c := kubetest.Client(t)
	kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_infrastructures.yaml"),
		kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_authentications.yaml"))
	clients := cluster.Clients{Kube: c.Typed, Dynamic: c.Dynamic, Discovery: c.Typed.Discovery()}
	ctx := t.Context()

	for _, o := range []*unstructured.Unstructured{
		object("Infrastructure", map[string]any{"spec": map[string]any{"platformSpec": map[string]any{"type": "AWS"}}}),
		object("Authentication", map[string]any{"spec": map[string]any{"serviceAccountIssuer": "https://oidc.example.com/mycluster"}}),
	} {
		kubetest.ApplyObjects(t, []*unstructured.Unstructured{o}, "installer")
	}
	infras := c.Dynamic.Resource(schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "infrastructures"})
	setStatus := func(platform map[string]any) {
		t.Helper()
		status := object("Infrastructure", map[string]any{"status": map[string]any{
			"infrastructureName": "mycluster-x7k2p", "platform": platform["type"], "platformStatus": platform,
			"apiServerURL": "https://api.mycluster.example.com:6443", "apiServerInternalURI": "https://api-int.mycluster.example.com:6443",
			"etcdDiscoveryDomain": "", "controlPlaneTopology": "HighlyAvailable", "infrastructureTopology": "HighlyAvailable",
		}})
		if _, err := infras.ApplyStatus(ctx, "cluster", status, metav1.ApplyOptions{FieldManager: "installer", Force: true}); err != nil {
			t.Fatalf("writing the Infrastructure status: %v", err)
		}
	}
	t.Cleanup(func() {
		_ = infras.Delete(ctx, "cluster", metav1.DeleteOptions{})
		_ = c.Dynamic.Resource(schema.GroupVersionResource{Group: "config.openshift.io", Version: "v1", Resource: "authentications"}).Delete(ctx, "cluster", metav1.DeleteOptions{})
	})

	names := []string{kubetest.UniqueName("worker-a"), kubetest.UniqueName("worker-b")}
	for i, name := range names {
		n := node(name, "aws:///us-east-2a/i-0"+string(rune('a'+i))+"aaaaaaaaaaaaaaaa", true)
		if _, err := c.Typed.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Typed.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}) })
	}

	setStatus(map[string]any{"type": "AWS", "aws": map[string]any{"region": "us-east-2"}})
	f, err := cluster.Read(ctx, clients)
	if err != nil {
		t.Fatal(err)
	}
	if f.Cloud != contract.AWS || f.AWSRegion != "us-east-2" || f.InfraName != "mycluster-x7k2p" || f.ServiceAccountIssuer != "https://oidc.example.com/mycluster" {
		t.Errorf("facts %+v", f)
	}
	for i, name := range names {
		want := "i-0" + string(rune('a'+i)) + "aaaaaaaaaaaaaaaa"
		if !slices.ContainsFunc(f.Workers, func(w cluster.Worker) bool { return w.Node == name && w.Instance == want }) {
			t.Errorf("worker %s not read with its instance: %+v", name, f.Workers)
		}
	}

	setStatus(map[string]any{"type": "BareMetal"})
	if _, err := cluster.Read(ctx, clients); err == nil {
		t.Error("a BareMetal cluster was read as a peer-pods platform")
	}
}
