package handoff_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/internal/pulumitest"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func kinds(objs []handoff.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind+"/"+o.Name)
	}
	return out
}

func TestObjects(t *testing.T) {
	got := kinds(handoff.Objects(args(awsValues())))
	want := []string{"Namespace/openshift-sandboxed-containers-operator", "ConfigMap/peer-pods-cm", "Secret/peer-pods-secret"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("objects %v", got)
	}
	// ssh-key-secret only for a cloud that uses one.
	a := args(awsValues())
	a.SSHKeySecret = pulumi.StringMap{"id_rsa": pulumi.String("k")}
	if got := kinds(handoff.Objects(a)); !reflect.DeepEqual(got, want) {
		t.Errorf("aws with an ssh key: objects %v", got)
	}
	objs := handoff.Objects(handoff.NewArgs(libvirtValues(), handoff.Options{
		KataConfig: &handoff.KataConfigOptions{PoolSelector: map[string]string{"node-role.kubernetes.io/kata-oc": ""}},
		Nodes:      []handoff.NodePatch{{Name: "w1", Labels: map[string]string{"node-role.kubernetes.io/kata-oc": ""}}},
	}))
	want = append(want, "Secret/ssh-key-secret", "Node/w1", "KataConfig/cluster-kataconfig")
	if got := kinds(objs); !reflect.DeepEqual(got, want) {
		t.Errorf("objects %v", got)
	}
	if !objs[2].Secret || !objs[3].Secret || objs[1].Secret || !objs[4].Patch || objs[5].Patch || objs[5].Namespace != "" {
		t.Errorf("flags %+v", objs)
	}
	for i, o := range objs {
		if o.AfterAll != (o.Kind == "KataConfig") {
			t.Errorf("object %d %s/%s: AfterAll %v", i, o.Kind, o.Name, o.AfterAll)
		}
	}
}

// TestRenderManifests renders the whole model: exact YAML, secret output.
func TestRenderManifests(t *testing.T) {
	m := &pulumitest.Mocks{}
	var out pulumi.StringOutput
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		v := components.Values{
			Cloud:     components.GCP,
			Identity:  contract.IdentityStatic,
			ConfigMap: pulumi.StringMap{"CLOUD_PROVIDER": pulumi.String("gcp"), "VXLAN_PORT": pulumi.String("9000")},
			Secret:    pulumi.StringMap{"GCP_CREDENTIALS": pulumi.String(`{"type":"service_account"}`)},
		}
		out = handoff.RenderManifests(handoff.Objects(handoff.NewArgs(v, handoff.Options{
			KataConfig: &handoff.KataConfigOptions{Name: "kc", PoolSelector: map[string]string{"kata": "yes"}},
		})))
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
`
	if got != want {
		t.Errorf("manifests:\n%s\nwant:\n%s", got, want)
	}
}

// TestClusterHandoffOrder checks the graph's order: every object after the
// namespace; the KataConfig after peer-pods-cm, both Secrets and the node
// patches, since the operator validates the ConfigMap and Secret when the
// KataConfig is created and again while it is deleted (so destroy, which
// runs the dependencies backwards, removes the KataConfig first).
func TestClusterHandoffOrder(t *testing.T) {
	m := &pulumitest.Mocks{}
	// Azure: a public cloud with ssh-key-secret.
	cm := components.DefaultSettings(components.Azure).ConfigMap(components.Azure)
	cm["AZURE_REGION"], cm["AZURE_RESOURCE_GROUP"] = "eastus", "rg"
	cm["AZURE_SUBNET_ID"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
	v := components.Values{Cloud: components.Azure, Identity: contract.IdentityStatic, ConfigMap: components.PlainMap(cm),
		Secret: components.PlainMap(map[string]string{"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s", "AZURE_TENANT_ID": "t", "AZURE_SUBSCRIPTION_ID": "u"}),
		SSHKey: pulumi.StringMap{"id_rsa": pulumi.String("k"), "id_rsa.pub": pulumi.String("p")}}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = handoff.NewClusterHandoff(ctx, "handoff", handoff.NewArgs(v, handoff.Options{
			KataConfig: &handoff.KataConfigOptions{PoolSelector: map[string]string{"kata": ""}},
			Nodes:      []handoff.NodePatch{{Name: "w1", Labels: map[string]string{"kata": ""}}, {Name: "w2", Labels: map[string]string{"kata": ""}}},
		}), pulumi.Provider(k8s))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	urn := func(typ, name string) string { return m.Get(t, typ, name).URN }
	ns := urn("kubernetes:core/v1:Namespace", "handoff-openshift-sandboxed-containers-operator")
	cmURN := urn("kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm")
	sec := urn("kubernetes:core/v1:Secret", "handoff-peer-pods-secret")
	ssh := urn("kubernetes:core/v1:Secret", "handoff-ssh-key-secret")
	w1 := urn("kubernetes:core/v1:NodePatch", "handoff-w1")
	w2 := urn("kubernetes:core/v1:NodePatch", "handoff-w2")
	for _, name := range []string{"handoff-peer-pods-cm", "handoff-peer-pods-secret", "handoff-ssh-key-secret"} {
		typ := "kubernetes:core/v1:Secret"
		if name == "handoff-peer-pods-cm" {
			typ = "kubernetes:core/v1:ConfigMap"
		}
		if got := m.Get(t, typ, name).Dependencies; !reflect.DeepEqual(got, []string{ns}) {
			t.Errorf("%s depends on %v, want the namespace only", name, got)
		}
	}
	kc := m.Get(t, "kubernetes:kataconfiguration.openshift.io/v1:KataConfig", "handoff-cluster-kataconfig")
	want := []string{ns, cmURN, sec, ssh, w1, w2}
	got := slices.Clone(kc.Dependencies)
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("KataConfig depends on %v\nwant %v", got, want)
	}
	if got := kc.Inputs.Mappable()["spec"]; !reflect.DeepEqual(got, map[string]any{"enablePeerPods": true,
		"kataConfigPoolSelector": map[string]any{"matchLabels": map[string]any{"kata": ""}}}) {
		t.Errorf("KataConfig spec %v", got)
	}
	for _, r := range m.Resources() {
		if strings.Contains(r.Type, "PeerPodConfig") {
			t.Errorf("registered %s: the operator 1.10 has no PeerPodConfig", r.Type)
		}
	}
}

func TestNodePatchObjects(t *testing.T) {
	nodes := []handoff.NodePatch{{Name: "worker-0", Labels: map[string]string{"kata": ""},
		Taints: []handoff.Taint{{Key: handoff.LabelControlPlane, Value: "true", Effect: "NoSchedule"}}}}
	objs := handoff.Objects(handoff.NewArgs(awsValues(), handoff.Options{Nodes: nodes}))
	node := objs[len(objs)-1]
	if node.Kind != "Node" || !node.Patch || node.Namespace != "" {
		t.Fatalf("node object %+v", node)
	}
	want := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "worker-0", "labels": map[string]string{"kata": ""}},
		"spec": map[string]any{"taints": []any{map[string]any{"key": handoff.LabelControlPlane, "value": "true", "effect": "NoSchedule"}}}}
	if got := node.PlainManifest(nil); !reflect.DeepEqual(got, want) {
		t.Errorf("manifest %v\nwant %v", got, want)
	}

	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = handoff.NewClusterHandoff(ctx, "handoff", handoff.NewArgs(awsValues(), handoff.Options{Nodes: nodes}), pulumi.Provider(k8s))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	np := m.Get(t, "kubernetes:core/v1:NodePatch", "handoff-worker-0").Inputs.Mappable()
	wantInputs := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "worker-0", "labels": map[string]any{"kata": ""}},
		"spec": map[string]any{"taints": []any{map[string]any{"key": handoff.LabelControlPlane, "value": "true", "effect": "NoSchedule"}}}}
	if !reflect.DeepEqual(np, wantInputs) {
		t.Errorf("NodePatch %v\nwant %v", np, wantInputs)
	}
}
