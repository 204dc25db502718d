package plugin

import (
	"encoding/json"
	"github.com/peerpods/provisioner/tests/testkit/valuestest"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// The handoff served to other languages as a provider serves it
// (clusterHandoff, over handoff.NewClusterHandoff): its inputs reach Args through
// the Go SDK's ConstructInputs.CopyTo.

// inferServer serves the handoff alone, its resources registered on m,
// which answers the SDK's lookup of the provider reference.
func inferServer(t *testing.T, m *pulumitest.Mocks) integration.Server {
	t.Helper()
	if m.Calls == nil {
		m.Calls = map[string]pulumitest.CallFunc{}
	}
	m.Calls["pulumi:pulumi:getResource"] = func(args presource.PropertyMap) (presource.PropertyMap, error) {
		return presource.PropertyMap{"urn": args["urn"], "id": presource.NewProperty("k8s-id"), "state": presource.NewProperty(presource.PropertyMap{})}, nil
	}
	prov, err := infer.NewProviderBuilder().
		WithNamespace("peerpods").
		WithComponents(infer.Component(clusterHandoff{})).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(t.Context(), "peerpods", semver.MustParse("0.1.0"), integration.WithProvider(prov), integration.WithMocks(m))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestServedSchema: the served component keeps its token; the Secrets'
// maps are secret inputs; cloud, configMap and secret are required.
func TestServedSchema(t *testing.T) {
	resp, err := inferServer(t, &pulumitest.Mocks{}).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Resources map[string]struct {
			IsComponent     bool                      `json:"isComponent"`
			InputProperties map[string]map[string]any `json:"inputProperties"`
			RequiredInputs  []string                  `json:"requiredInputs"`
			Properties      map[string]map[string]any `json:"properties"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	r, ok := schema.Resources[handoff.ClusterHandoffType]
	if !ok || !r.IsComponent {
		t.Fatalf("no component %s in %v", handoff.ClusterHandoffType, resp.Schema)
	}
	var inputs []string
	for k, v := range r.InputProperties {
		inputs = append(inputs, k)
		if secret, _ := v["secret"].(bool); secret != (k == "secret" || k == "sshKeySecret") {
			t.Errorf("input %s secret %v", k, secret)
		}
	}
	slices.Sort(inputs)
	slices.Sort(r.RequiredInputs)
	if want := []string{"adopt", "cloud", "configMap", "existing", "identity", "kataConfig", "nodes", "operatorEnv", "operatorLine", "secret", "sshKeySecret", "subscription"}; !reflect.DeepEqual(inputs, want) {
		t.Errorf("inputs %v, want %v", inputs, want)
	}
	if want := []string{"cloud", "configMap"}; !reflect.DeepEqual(r.RequiredInputs, want) {
		t.Errorf("required inputs %v, want %v", r.RequiredInputs, want)
	}
	for _, out := range []string{"namespace", "configMapName", "secretNames"} {
		if _, ok := r.Properties[out]; !ok {
			t.Errorf("no output %s", out)
		}
	}
}

// k8sProvider is a Kubernetes provider reference, as the engine passes
// the providers option of another language.
var k8sProvider = map[tokens.Package]p.ProviderReference{"kubernetes": {
	Urn: presource.URN("urn:pulumi:" + pulumitest.Stack + "::" + pulumitest.Project + "::pulumi:providers:kubernetes::k8s"),
	ID:  "k8s-id",
}}

// clusterProviders are the Kubernetes provider reference and a peerpods
// one (configured with the cluster's kubeconfig, by the caller), which
// the node taints need.
var clusterProviders = map[tokens.Package]p.ProviderReference{
	"kubernetes": k8sProvider["kubernetes"],
	"peerpods": {
		Urn: presource.URN("urn:pulumi:" + pulumitest.Stack + "::" + pulumitest.Project + "::pulumi:providers:peerpods::cluster"),
		ID:  "k8s-id", // the mocks' getResource answers that ID
	},
}

// cloudURN is a cloud component whose outputs the handoff takes.
const cloudURN = "urn:pulumi:" + pulumitest.Stack + "::" + pulumitest.Project + "::peerpods:libvirt:PeerPods::peerpods"

// construct constructs the handoff with inputs in on m, with the
// clusterProviders.
func construct(t *testing.T, m *pulumitest.Mocks, in map[string]property.Value, preview bool) error {
	t.Helper()
	return constructWith(t, m, in, clusterProviders, preview)
}

// constructWith constructs the handoff with inputs in and providers on m.
func constructWith(t *testing.T, m *pulumitest.Mocks, in map[string]property.Value, providers map[tokens.Package]p.ProviderReference, preview bool) error {
	t.Helper()
	_, err := inferServer(t, m).Construct(p.ConstructRequest{
		Urn:       presource.URN("urn:pulumi:" + pulumitest.Stack + "::" + pulumitest.Project + "::" + handoff.ClusterHandoffType + "::handoff"),
		Inputs:    property.NewMap(in),
		Providers: providers,
		DryRun:    preview,
	})
	return err
}

// stringMap is a map input of plain strings.
func stringMap(m map[string]string) property.Value {
	out := map[string]property.Value{}
	for k, v := range m {
		out[k] = property.New(v)
	}
	return property.New(property.NewMap(out))
}

// servedInputs are libvirt's values as another language passes them:
// the Secrets' maps secret, a KataConfig and a node patch with a taint.
func servedInputs() map[string]property.Value {
	v := valuestest.Libvirt()
	return map[string]property.Value{
		"cloud":        property.New("libvirt"),
		"configMap":    stringMap(valuestest.Plain(v.ConfigMap)),
		"secret":       stringMap(valuestest.Plain(v.Secret)).WithSecret(true),
		"sshKeySecret": stringMap(valuestest.Plain(v.SSHKey)).WithSecret(true),
		"kataConfig":   property.New(property.NewMap(map[string]property.Value{"poolSelector": stringMap(map[string]string{"kata": ""})})),
		"nodes": property.New(property.NewArray([]property.Value{property.New(property.NewMap(map[string]property.Value{
			"name":   property.New("w"),
			"labels": stringMap(map[string]string{"kata": ""}),
			"taints": property.New(property.NewArray([]property.Value{property.New(property.NewMap(map[string]property.Value{
				"key": property.New("kata"), "effect": property.New("NoSchedule"),
			}))})),
		}))})),
	}
}

// TestServedHandoff: from another language, with a provider reference,
// the handoff writes every object, the Secrets' data secret.
func TestServedHandoff(t *testing.T) {
	m := &pulumitest.Mocks{}
	if err := construct(t, m, servedInputs(), false); err != nil {
		t.Fatal(err)
	}
	if got := valuestest.KubernetesObjects(m); !reflect.DeepEqual(got, valuestest.HandoffObjects) {
		t.Fatalf("objects %v\nwant %v", got, valuestest.HandoffObjects)
	}
	for _, r := range m.Resources() {
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Provider != string(k8sProvider["kubernetes"].Urn)+"::k8s-id" {
			t.Errorf("%s provider %q", r.Name, r.Provider)
		}
	}
	// The taints: a NodeTaints of the caller's peerpods provider, whose
	// configuration is the connection: its inputs hold none, and the
	// component makes no provider of its own.
	taints := m.Get(t, handoff.TypeNodeTaints, "handoff-w")
	if want := string(clusterProviders["peerpods"].Urn) + "::" + string(clusterProviders["peerpods"].ID); taints.Provider != want {
		t.Errorf("NodeTaints provider %q, want %q", taints.Provider, want)
	}
	if got := slices.Sorted(maps.Keys(taints.Inputs.Mappable())); !reflect.DeepEqual(got, []string{"node", "taints"}) {
		t.Errorf("NodeTaints inputs %v, want node and taints", got)
	}
	if own := m.OfType("pulumi:providers:peerpods"); len(own) != 0 {
		t.Errorf("the component registered a peerpods provider: %v", own)
	}
	valuestest.RequireSecretData(t, m.Get(t, "kubernetes:core/v1:Secret", "handoff-ssh-key-secret"),
		map[string]any{"id_rsa": "UFJJVkFURQ==", "id_rsa.pub": "c3NoLXJzYSBBQUE=", "known_hosts": "aCBzc2gtZWQyNTUxOSBBQUE="})
	if cm := m.Get(t, "kubernetes:core/v1:ConfigMap", "handoff-peer-pods-cm").Inputs["data"]; cm.IsSecret() || cm.ObjectValue()["LIBVIRT_POOL"].StringValue() != "x" {
		t.Errorf("ConfigMap data %v", cm)
	}
}

// TestServedHandoffBadKey: a known map with a key the operator does not
// read fails the construction with the contract's error, a secret map
// included, and writes nothing.
func TestServedHandoffBadKey(t *testing.T) {
	for _, c := range []struct{ name, input, key, want string }{
		{"ConfigMap", "configMap", "LIBVIRT_POOL_NAME", "peer-pods-cm: the operator and cloud-api-adaptor do not read the key LIBVIRT_POOL_NAME for libvirt"},
		{"secret Secret", "secret", "LIBVIRT_PASSWORD", "peer-pods-secret: the operator and cloud-api-adaptor do not read the key LIBVIRT_PASSWORD for libvirt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := servedInputs()
			old := in[c.input]
			in[c.input] = property.New(old.AsMap().Set(c.key, property.New("x"))).WithSecret(old.Secret())
			m := &pulumitest.Mocks{}
			err := construct(t, m, in, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
			if got := valuestest.KubernetesObjects(m); len(got) > 0 {
				t.Errorf("registered %v", got)
			}
		})
	}
}

// TestServedHandoffNeedsPeerpodsProvider: node taints without a peerpods
// provider among the providers fail the construction, naming the
// provider and the fix, and nothing is registered; without taints, the
// Kubernetes provider is enough.
func TestServedHandoffNeedsPeerpodsProvider(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := constructWith(t, m, servedInputs(), k8sProvider, false)
	for _, want := range []string{"provider for peerpods is not given, and nodes[0] (w) has taints", "fix: pass a peerpods provider configured with the cluster's kubeconfig"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("want an error containing %q, got %v", want, err)
		}
	}
	if got := m.Resources(); len(got) > 0 {
		t.Errorf("registered %v", got)
	}
	in := servedInputs()
	in["nodes"] = property.New(property.NewArray([]property.Value{property.New(property.NewMap(map[string]property.Value{
		"name": property.New("w"), "labels": stringMap(map[string]string{"kata": ""}),
	}))}))
	m = &pulumitest.Mocks{}
	if err := constructWith(t, m, in, k8sProvider, false); err != nil {
		t.Fatal(err)
	}
	if n := len(m.OfType(handoff.TypeNodeTaints)); n != 0 {
		t.Errorf("%d NodeTaints without taints", n)
	}
}

// TestServedHandoffUnknownAtPreview: a map unknown in a preview (the
// output of a cloud component not created yet, as the engine sends it:
// an output value with its dependencies) plans every object without
// failing. (A known secret map: the SDK's mock monitor cannot read an
// unknown secret input.)
func TestServedHandoffUnknownAtPreview(t *testing.T) {
	in := servedInputs()
	in["configMap"] = property.New(property.Computed).WithDependencies([]urn.URN{urn.URN(cloudURN)})
	m := &pulumitest.Mocks{}
	if err := construct(t, m, in, true); err != nil {
		t.Fatal(err)
	}
	if got := valuestest.KubernetesObjects(m); !reflect.DeepEqual(got, valuestest.HandoffObjects) {
		t.Fatalf("objects %v\nwant %v", got, valuestest.HandoffObjects)
	}
}
