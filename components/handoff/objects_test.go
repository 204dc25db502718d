package handoff_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
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
		v := values.Values{
			Cloud:     contract.GCP,
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
	// Azure of line 1.10: a public cloud with ssh-key-secret.
	cm := common.DefaultSettings(contract.Azure).ConfigMap(contract.Azure)
	cm["AZURE_REGION"], cm["AZURE_RESOURCE_GROUP"] = "eastus", "rg"
	cm["AZURE_SUBNET_ID"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
	v := values.Values{Cloud: contract.Azure, Identity: contract.IdentityStatic, ConfigMap: values.PlainMap(cm),
		Secret: values.PlainMap(map[string]string{"AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s", "AZURE_TENANT_ID": "t", "AZURE_SUBSCRIPTION_ID": "u"}),
		SSHKey: pulumi.StringMap{"id_rsa": pulumi.String("k"), "id_rsa.pub": pulumi.String("p")}}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = handoff.NewClusterHandoff(ctx, "handoff", handoff.NewArgs(v, handoff.Options{
			Line:       contract.Line110,
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

// placementNodes are the node patches of a placement with taints (a
// hosted-control-plane group) and one without (a kata node).
func placementNodes(t *testing.T) []handoff.NodePatch {
	t.Helper()
	nodes, err := handoff.Placement{
		KataNodes:          []string{"worker-1"},
		HostedControlPlane: []handoff.NodeGroup{{Nodes: []string{"infra-0"}, ControlPlane: true, Cluster: "clusters-hcp1"}},
	}.Nodes("placement", map[string]string{"kata": ""})
	if err != nil {
		t.Fatal(err)
	}
	return nodes
}

// TestNodePlacementGraph: node labels are a NodePatch of metadata.labels
// only (no spec.taints: an atomic list the patch would own whole); the
// taints are one NodeTaints per node with taints, parented to the
// handoff, served by the peerpods provider given (the caller's,
// configured with the kubeconfig, a secret: the NodeTaints' inputs hold
// no connection), depending on its node's NodePatch only (the maps are
// known and checked: no check to wait for; see newNodeTaints for why the
// NodePatch), and not among the KataConfig's dependencies.
func TestNodePlacementGraph(t *testing.T) {
	for _, given := range []string{"with pulumi.Providers", "as pulumi.Provider"} {
		t.Run(given, func(t *testing.T) {
			m := &pulumitest.Mocks{}
			err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
				k8s, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
				if err != nil {
					return err
				}
				pp, err := peerpods.NewProvider(ctx, "cluster", &peerpods.ProviderArgs{
					Kubeconfig: pulumi.String("kubeconfig-contents"), KubeContext: pulumi.String("admin"),
				})
				if err != nil {
					return err
				}
				opts := []pulumi.ResourceOption{pulumi.Providers(k8s, pp)}
				if given == "as pulumi.Provider" {
					opts = []pulumi.ResourceOption{pulumi.Provider(pp), pulumi.Providers(k8s)}
				}
				a := handoff.NewArgs(awsValues(), handoff.Options{Nodes: placementNodes(t), KataConfig: &handoff.KataConfigOptions{PoolSelector: map[string]string{"kata": ""}}})
				_, err = handoff.NewClusterHandoff(ctx, "handoff", a, opts...)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{
				"kubernetes:core/v1:ConfigMap handoff-peer-pods-cm",
				"kubernetes:core/v1:Namespace handoff-openshift-sandboxed-containers-operator",
				"kubernetes:core/v1:NodePatch handoff-infra-0",
				"kubernetes:core/v1:NodePatch handoff-worker-1",
				"kubernetes:core/v1:Secret handoff-peer-pods-secret",
				"kubernetes:kataconfiguration.openshift.io/v1:KataConfig handoff-cluster-kataconfig",
				"peerpods:components:ClusterHandoff handoff",
				"peerpods:kubernetes:NodeTaints handoff-infra-0",
				"pulumi:providers:kubernetes k8s",
				"pulumi:providers:peerpods cluster",
			}
			if got := m.Summary(); !reflect.DeepEqual(got, want) {
				t.Fatalf("registered %v\nwant %v", got, want)
			}
			// The provider: the caller's, its kubeconfig a secret.
			prov := m.Get(t, "pulumi:providers:peerpods", "cluster")
			if kc := prov.Inputs["kubeconfig"]; !kc.IsSecret() || kc.SecretValue().Element.StringValue() != "kubeconfig-contents" {
				t.Errorf("the peerpods provider's kubeconfig %v, want the secret", kc)
			}
			if got := prov.Inputs["kubeContext"]; got.IsSecret() || !got.IsString() || got.StringValue() != "admin" {
				t.Errorf("the peerpods provider's kubeContext %v", got)
			}
			comp := m.Get(t, handoff.ClusterHandoffType, "handoff")
			ns := m.Get(t, "kubernetes:core/v1:Namespace", "handoff-openshift-sandboxed-containers-operator")

			// The NodePatches: labels only.
			for node, labels := range map[string]map[string]any{
				"infra-0":  {handoff.LabelControlPlane: "true", handoff.LabelHCPCluster: "clusters-hcp1"},
				"worker-1": {"kata": ""},
			} {
				np := m.Get(t, "kubernetes:core/v1:NodePatch", "handoff-"+node)
				wantInputs := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": node, "labels": labels}}
				if got := np.Inputs.Mappable(); !reflect.DeepEqual(got, wantInputs) {
					t.Errorf("NodePatch %s %v\nwant %v", node, got, wantInputs)
				}
				if np.Parent != comp.URN || !reflect.DeepEqual(np.Dependencies, []string{ns.URN}) {
					t.Errorf("NodePatch %s parent %s dependencies %v", node, np.Parent, np.Dependencies)
				}
			}

			// The taints of infra-0.
			nt := m.Get(t, handoff.TypeNodeTaints, "handoff-infra-0")
			if nt.Parent != comp.URN || nt.Provider != prov.Ref() {
				t.Errorf("NodeTaints parent %s provider %s, want %s", nt.Parent, nt.Provider, prov.Ref())
			}
			infraLabels := m.Get(t, "kubernetes:core/v1:NodePatch", "handoff-infra-0")
			if !reflect.DeepEqual(nt.Dependencies, []string{infraLabels.URN}) {
				t.Errorf("NodeTaints depends on %v, want its node's NodePatch only", nt.Dependencies)
			}
			wantInputs := map[string]any{"node": "infra-0", "taints": []any{
				map[string]any{"key": handoff.LabelHCPCluster, "value": "clusters-hcp1", "effect": "NoSchedule"},
				map[string]any{"key": handoff.LabelControlPlane, "value": "true", "effect": "NoSchedule"},
			}}
			if got := nt.Inputs.Mappable(); !reflect.DeepEqual(got, wantInputs) {
				t.Errorf("NodeTaints inputs %v\nwant %v", got, wantInputs)
			}

			// The KataConfig needs the labels, not the taints.
			kataConfig := m.Get(t, "kubernetes:kataconfiguration.openshift.io/v1:KataConfig", "handoff-cluster-kataconfig")
			if slices.Contains(kataConfig.Dependencies, nt.URN) {
				t.Error("the KataConfig waits for the taints")
			}
			for _, node := range []string{"infra-0", "worker-1"} {
				if !slices.Contains(kataConfig.Dependencies, m.Get(t, "kubernetes:core/v1:NodePatch", "handoff-"+node).URN) {
					t.Errorf("the KataConfig does not wait for the labels of %s", node)
				}
			}
		})
	}
}

// TestNodeManifests: a node's manifest carries its labels only; its
// taints are oc adm taint commands in a comment before it.
func TestNodeManifests(t *testing.T) {
	objs := handoff.Objects(handoff.NewArgs(awsValues(), handoff.Options{Nodes: placementNodes(t)}))
	infra, worker := objs[len(objs)-2], objs[len(objs)-1]
	if infra.Kind != "Node" || !infra.Patch || infra.Namespace != "" || worker.Name != "worker-1" {
		t.Fatalf("node objects %+v %+v", infra, worker)
	}
	want := map[string]any{"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": "infra-0",
		"labels": map[string]string{handoff.LabelControlPlane: "true", handoff.LabelHCPCluster: "clusters-hcp1"}}}
	if got := infra.PlainManifest(nil); !reflect.DeepEqual(got, want) {
		t.Errorf("manifest %v\nwant %v", got, want)
	}
	wantCmds := []string{
		"oc adm taint nodes infra-0 hypershift.openshift.io/cluster=clusters-hcp1:NoSchedule",
		"oc adm taint nodes infra-0 hypershift.openshift.io/control-plane=true:NoSchedule",
	}
	if got := infra.TaintCommands(); !reflect.DeepEqual(got, wantCmds) {
		t.Errorf("commands %v\nwant %v", got, wantCmds)
	}
	if got := worker.TaintCommands(); len(got) != 0 {
		t.Errorf("worker commands %v", got)
	}
	if got := (handoff.Object{Kind: "Node", Name: "n", Taints: []handoff.Taint{{Key: "k", Effect: "NoExecute"}}}).TaintCommands(); !reflect.DeepEqual(got, []string{"oc adm taint nodes n k:NoExecute"}) {
		t.Errorf("a taint without value: %v", got)
	}
	if got := objs[0].TaintCommands(); got != nil {
		t.Errorf("namespace commands %v", got)
	}

	m := &pulumitest.Mocks{}
	var out pulumi.StringOutput
	if err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		out = handoff.RenderManifests([]handoff.Object{infra, worker})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, _ := pulumitest.Await(t, out)
	wantYAML := `# Node infra-0: add its taints with the commands below, not with this manifest.
# spec.taints is one atomic list: a manifest holding it would own and
# replace the node's whole taint list, others' taints included.
#   oc adm taint nodes infra-0 hypershift.openshift.io/cluster=clusters-hcp1:NoSchedule
#   oc adm taint nodes infra-0 hypershift.openshift.io/control-plane=true:NoSchedule
# Remove them with the same commands ending in '-' (oc adm taint nodes NODE KEY:EFFECT-).
apiVersion: v1
kind: Node
metadata:
  labels:
    hypershift.openshift.io/cluster: clusters-hcp1
    hypershift.openshift.io/control-plane: "true"
  name: infra-0
---
apiVersion: v1
kind: Node
metadata:
  labels:
    kata: ""
  name: worker-1
`
	if got != wantYAML {
		t.Errorf("manifests:\n%s\nwant:\n%s", got, wantYAML)
	}
}
