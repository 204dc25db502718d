package components_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components"
	"github.com/peerpods/provisioner/internal/pulumitest"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func kinds(objs []components.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind+"/"+o.Name)
	}
	return out
}

func TestHandoffObjects(t *testing.T) {
	v := awsValues()
	got := kinds(components.HandoffObjects(v, components.HandoffOptions{}))
	want := []string{"Namespace/openshift-sandboxed-containers-operator", "ConfigMap/peer-pods-cm", "Secret/peer-pods-secret"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("objects %v", got)
	}
	v.SSHKey = pulumi.StringMap{"id_rsa": pulumi.String("k")}
	objs := components.HandoffObjects(v, components.HandoffOptions{
		KataConfig:    &components.KataConfigOptions{PoolSelector: map[string]string{"node-role.kubernetes.io/kata-oc": ""}},
		PeerPodConfig: &components.PeerPodConfigOptions{}, LimitPerNode: 4,
	})
	want = append(want, "Secret/ssh-key-secret", "KataConfig/cluster-kataconfig", "PeerPodConfig/peerpodconfig-openshift")
	if got := kinds(objs); !reflect.DeepEqual(got, want) {
		t.Errorf("objects %v", got)
	}
	if !objs[2].Secret || !objs[3].Secret || objs[1].Secret || !objs[5].Patch || objs[4].Patch || objs[4].Namespace != "" {
		t.Errorf("flags %+v", objs)
	}
}

// TestRenderManifests renders the whole model: exact YAML, secret output.
func TestRenderManifests(t *testing.T) {
	m := &pulumitest.Mocks{}
	var out pulumi.StringOutput
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		v := components.Values{
			Cloud:     components.GCP,
			ConfigMap: pulumi.StringMap{"CLOUD_PROVIDER": pulumi.String("gcp"), "VXLAN_PORT": pulumi.String("9000")},
			Secret:    pulumi.StringMap{"GCP_CREDENTIALS": pulumi.String(`{"type":"service_account"}`)},
		}
		out = components.RenderManifests(components.HandoffObjects(v, components.HandoffOptions{
			KataConfig:    &components.KataConfigOptions{Name: "kc", PoolSelector: map[string]string{"kata": "yes"}},
			PeerPodConfig: &components.PeerPodConfigOptions{}, LimitPerNode: 3,
		}))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, secret := pulumitest.Await(t, out)
	if !secret {
		t.Error("manifests are not secret")
	}
	want := `apiVersion: v1
kind: Namespace
metadata:
  name: openshift-sandboxed-containers-operator
---
apiVersion: v1
data:
  CLOUD_PROVIDER: gcp
  VXLAN_PORT: "9000"
kind: ConfigMap
metadata:
  labels:
    app.kubernetes.io/managed-by: peerpods
  name: peer-pods-cm
  namespace: openshift-sandboxed-containers-operator
---
apiVersion: v1
data:
  GCP_CREDENTIALS: eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=
kind: Secret
metadata:
  labels:
    app.kubernetes.io/managed-by: peerpods
  name: peer-pods-secret
  namespace: openshift-sandboxed-containers-operator
type: Opaque
---
apiVersion: kataconfiguration.openshift.io/v1
kind: KataConfig
metadata:
  labels:
    app.kubernetes.io/managed-by: peerpods
  name: kc
spec:
  enablePeerPods: true
  kataConfigPoolSelector:
    matchLabels:
      kata: "yes"
---
apiVersion: confidentialcontainers.org/v1alpha1
kind: PeerPodConfig
metadata:
  name: peerpodconfig-openshift
  namespace: openshift-sandboxed-containers-operator
spec:
  limit: "3"
`
	if got != want {
		t.Errorf("manifests:\n%s\nwant:\n%s", got, want)
	}
}

func TestClusterHandoffOperatorObjects(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = components.NewClusterHandoff(ctx, "handoff", components.ClusterHandoffArgs{
			Values: awsValues(),
			Options: components.HandoffOptions{
				KataConfig: &components.KataConfigOptions{}, PeerPodConfig: &components.PeerPodConfigOptions{}, LimitPerNode: 7,
			},
		}, pulumi.Provider(k8s))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	kc := m.Get(t, "kubernetes:kataconfiguration.openshift.io/v1:KataConfig", "handoff-cluster-kataconfig")
	if got := kc.Inputs.Mappable()["spec"]; !reflect.DeepEqual(got, map[string]any{"enablePeerPods": true}) {
		t.Errorf("KataConfig spec %v", got)
	}
	ppc := m.Get(t, "kubernetes:confidentialcontainers.org/v1alpha1:PeerPodConfigPatch", "handoff-peerpodconfig-openshift")
	if got := ppc.Inputs.Mappable(); got["spec"].(map[string]any)["limit"] != "7" || !strings.Contains(ppc.Type, "Patch") {
		t.Errorf("PeerPodConfig patch %v", got)
	}
}

func TestNodePatchObjects(t *testing.T) {
	nodes := []components.NodePatch{{Name: "worker-0", Labels: map[string]string{"kata": ""},
		Taints: []components.Taint{{Key: components.LabelControlPlane, Value: "true", Effect: "NoSchedule"}}}}
	objs := components.HandoffObjects(awsValues(), components.HandoffOptions{Nodes: nodes})
	node := objs[len(objs)-1]
	if node.Kind != "Node" || !node.Patch || node.Namespace != "" {
		t.Fatalf("node object %+v", node)
	}
	want := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "worker-0", "labels": map[string]string{"kata": ""}},
		"spec": map[string]any{"taints": []any{map[string]any{"key": components.LabelControlPlane, "value": "true", "effect": "NoSchedule"}}}}
	if got := node.PlainManifest(nil); !reflect.DeepEqual(got, want) {
		t.Errorf("manifest %v\nwant %v", got, want)
	}

	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = components.NewClusterHandoff(ctx, "handoff", components.ClusterHandoffArgs{Values: awsValues(), Options: components.HandoffOptions{Nodes: nodes}}, pulumi.Provider(k8s))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	np := m.Get(t, "kubernetes:core/v1:NodePatch", "handoff-worker-0").Inputs.Mappable()
	wantInputs := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "worker-0", "labels": map[string]any{"kata": ""}},
		"spec": map[string]any{"taints": []any{map[string]any{"key": components.LabelControlPlane, "value": "true", "effect": "NoSchedule"}}}}
	if !reflect.DeepEqual(np, wantInputs) {
		t.Errorf("NodePatch %v\nwant %v", np, wantInputs)
	}
}
