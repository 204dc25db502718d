package nodetaints

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/tests/testkit/providertest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
)

// The resource as the plugin serves it (provider.NewWith, which handles
// unknown inputs for every resource), in pulumi-go-provider's integration
// server, on a fake clientset.

// testKubeconfig is a kubeconfig Check accepts; token marks its secret.
const token = "s3cr3t-t0ken"

func testKubeconfig(server string) string {
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ` + server + `
users:
- name: u
  user:
    token: ` + token + `
contexts:
- name: ctx
  context:
    cluster: c
    user: u
current-context: ctx
`
}

var kubeconfig = testKubeconfig("https://127.0.0.1:1")

// serve serves the resource connecting to c (the real connection when c
// is nil).
func serve(t *testing.T, c kubernetes.Interface) integration.Server {
	t.Helper()
	r := Resource()
	if c != nil {
		r = ResourceWith(func(kc, ctx string) (kubernetes.Interface, error) {
			if kc != kubeconfig && !strings.Contains(kc, "rotated") {
				t.Errorf("connected with kubeconfig %q", kc)
			}
			return c, nil
		})
	}
	return providertest.Server(t, func() (p.Provider, error) {
		return provider.NewWith([]infer.InferredResource{r})
	})
}

var urn = presource.NewURN("stack", "project", "", Type, "w")

func taintList(ts ...Taint) property.Value {
	var out []property.Value
	for _, t := range ts {
		m := map[string]property.Value{"key": property.New(t.Key), "effect": property.New(t.Effect)}
		if t.Value != "" {
			m["value"] = property.New(t.Value)
		}
		out = append(out, property.New(property.NewMap(m)))
	}
	return property.New(property.NewArray(out))
}

func inputs(node string, kc string, ts ...Taint) property.Map {
	return property.NewMap(map[string]property.Value{
		"node": property.New(node), "taints": taintList(ts...), "kubeconfig": property.New(kc).WithSecret(true),
	})
}

func checkInputs(t *testing.T, s integration.Server, in property.Map) p.CheckResponse {
	t.Helper()
	resp, err := s.Check(p.CheckRequest{Urn: urn, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestServedSchema(t *testing.T) {
	resp, err := serve(t, fake.NewClientset()).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Resources map[string]struct {
			InputProperties map[string]map[string]any `json:"inputProperties"`
			Properties      map[string]map[string]any `json:"properties"`
			RequiredInputs  []string                  `json:"requiredInputs"`
		} `json:"resources"`
		Types map[string]any `json:"types"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	r, ok := schema.Resources[Type]
	if !ok {
		t.Fatalf("no %s in the schema", Type)
	}
	for _, props := range []map[string]map[string]any{r.InputProperties, r.Properties} {
		for k, v := range props {
			if secret, _ := v["secret"].(bool); secret != (k == "kubeconfig") {
				t.Errorf("%s secret %v", k, secret)
			}
			if replace, _ := v["replaceOnChanges"].(bool); replace != (k == "node") {
				t.Errorf("%s replaceOnChanges %v", k, replace)
			}
		}
	}
	slices.Sort(r.RequiredInputs)
	if want := []string{"kubeconfig", "node", "taints"}; !reflect.DeepEqual(r.RequiredInputs, want) {
		t.Errorf("required %v", r.RequiredInputs)
	}
	if _, ok := r.Properties["added"]; !ok {
		t.Error("no output added")
	}
	if _, ok := schema.Types["peerpods:kubernetes:Taint"]; !ok {
		t.Error("no type peerpods:kubernetes:Taint")
	}
}

func TestServedCheck(t *testing.T) {
	s := serve(t, fake.NewClientset())
	ok := inputs("worker-0", kubeconfig, cp, hcp)
	if f := checkInputs(t, s, ok).Failures; len(f) != 0 {
		t.Fatalf("failures %v", f)
	}
	cases := []struct {
		name     string
		in       property.Map
		property string
		reason   string
	}{
		{"bad node", inputs("Worker_0", kubeconfig, cp), "node", "oc get nodes"},
		{"bad effect", inputs("w", kubeconfig, Taint{Key: "k", Effect: "Never"}), "taints[0].effect", "PreferNoSchedule"},
		{"bad key", inputs("w", kubeconfig, Taint{Key: "a b", Effect: "NoSchedule"}), "taints[0]", "label key"},
		{"bad value", inputs("w", kubeconfig, Taint{Key: "k", Value: "a b", Effect: "NoSchedule"}), "taints[0].k", "label value"},
		{"same key and effect twice", inputs("w", kubeconfig, cp, Taint{Key: cp.Key, Value: "x", Effect: cp.Effect}), "taints[1]", "one taint of each key and effect"},
		{"not a kubeconfig", inputs("w", "token: "+token), "kubeconfig", "contents of the cluster's kubeconfig"},
		{"unknown context", ok.Set("context", property.New("other")), "context", "one of the kubeconfig's contexts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := checkInputs(t, s, c.in).Failures
			if len(f) != 1 || f[0].Property != c.property || !strings.Contains(f[0].Reason, c.reason) {
				t.Fatalf("failures %v, want one on %s with %q", f, c.property, c.reason)
			}
			if strings.Contains(f[0].Reason, token) {
				t.Errorf("the failure shows the kubeconfig: %s", f[0].Reason)
			}
		})
	}
}

// TestServedUnknowns: in a preview, inputs that are or hold unknown values
// are neither validated nor compared as values: Check returns them
// unknown, and Diff reports them as changes (the node's a replacement).
func TestServedUnknowns(t *testing.T) {
	s := serve(t, fake.NewClientset())
	unknownElement := property.New(property.NewArray([]property.Value{property.New(property.Computed)}))
	for name, in := range map[string]property.Map{
		"node":          inputs("w", kubeconfig, cp).Set("node", property.New(property.Computed)),
		"taints":        inputs("w", kubeconfig, cp).Set("taints", property.New(property.Computed)),
		"a taint":       inputs("w", kubeconfig, cp).Set("taints", unknownElement),
		"kubeconfig":    inputs("w", kubeconfig, cp).Set("kubeconfig", property.New(property.Computed).WithSecret(true)),
		"context":       inputs("w", kubeconfig, cp).Set("context", property.New(property.Computed)),
		"a bad unknown": inputs("Bad_Node", "nonsense", Taint{Key: "k", Effect: "Never"}).Set("taints", property.New(property.Computed)),
	} {
		t.Run(name, func(t *testing.T) {
			resp := checkInputs(t, s, in)
			if name == "a bad unknown" {
				if len(resp.Failures) != 2 {
					t.Errorf("failures %v, want the node's and the kubeconfig's only", resp.Failures)
				}
				return
			}
			if len(resp.Failures) != 0 {
				t.Fatalf("failures %v", resp.Failures)
			}
			k := name
			if name == "a taint" {
				k = "taints"
			}
			if !resp.Inputs.Get(k).HasComputed() {
				t.Errorf("checked %s %v is known", k, resp.Inputs.Get(k))
			}
		})
	}

	c := fakeNode("w")
	s = serve(t, c)
	created := create(t, s, inputs("w", kubeconfig, cp), false)
	// A secret unknown is an update whose detail is a "delete":
	// pulumi-go-provider's diff (infer/resource.go, func diff) converts it
	// to an unknown resource.Output, which has no value to the object diff
	// (pulumi sdk go/common/resource/properties.go, PropertyValue.HasValue).
	// Either way a change, and never a replacement.
	for name, c := range map[string]struct {
		k     string
		v     property.Value
		kinds []p.DiffKind
	}{
		"node":       {"node", property.New(property.Computed), []p.DiffKind{p.UpdateReplace}},
		"taints":     {"taints", property.New(property.Computed), []p.DiffKind{p.Update}},
		"a taint":    {"taints", unknownElement, []p.DiffKind{p.Update}},
		"kubeconfig": {"kubeconfig", property.New(property.Computed).WithSecret(true), []p.DiffKind{p.Update, p.Delete}},
		"context":    {"context", property.New(property.Computed), []p.DiffKind{p.Update, p.Add}},
	} {
		t.Run("diff "+name, func(t *testing.T) {
			d := diff(t, s, created, inputs("w", kubeconfig, cp).Set(c.k, c.v))
			var kinds []p.DiffKind
			for k, v := range d.DetailedDiff {
				if k == c.k || strings.HasPrefix(k, c.k+"[") {
					kinds = append(kinds, v.Kind)
				}
			}
			if !d.HasChanges || len(kinds) != 1 || !slices.Contains(c.kinds, kinds[0]) {
				t.Errorf("diff %+v, want %s as one of %v", d, c.k, c.kinds)
			}
		})
	}
}

func create(t *testing.T, s integration.Server, in property.Map, preview bool) p.CreateResponse {
	t.Helper()
	chk := checkInputs(t, s, in)
	if len(chk.Failures) > 0 {
		t.Fatalf("check: %v", chk.Failures)
	}
	resp, err := s.Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs, DryRun: preview})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func diff(t *testing.T, s integration.Server, old p.CreateResponse, in property.Map) p.DiffResponse {
	t.Helper()
	d, err := s.Diff(p.DiffRequest{ID: old.ID, Urn: urn, State: old.Properties, Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestServedPreviewTouchesNothing: a preview of the create and of an
// update makes no request; the added taints are unknown until they are
// made.
func TestServedPreviewTouchesNothing(t *testing.T) {
	c := fakeNode("w", admin)
	s := serve(t, c)
	resp := create(t, s, inputs("w", kubeconfig, cp), true)
	if n := len(c.Actions()); n != 0 {
		t.Errorf("preview made %d requests: %v", n, c.Actions())
	}
	if !resp.Properties.Get("added").IsComputed() {
		t.Errorf("added %v in the preview of a create", resp.Properties.Get("added"))
	}
	if !resp.Properties.Get("kubeconfig").Secret() {
		t.Error("kubeconfig is not secret in the preview")
	}
	created := create(t, s, inputs("w", kubeconfig, cp), false)
	c.ClearActions()
	up, err := s.Update(p.UpdateRequest{ID: created.ID, Urn: urn, State: created.Properties, Inputs: inputs("w", kubeconfig, hcp), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Actions()); n != 0 {
		t.Errorf("update preview made %d requests: %v", n, c.Actions())
	}
	if !up.Properties.Get("added").IsComputed() {
		t.Errorf("added %v in the preview of an update of the taints", up.Properties.Get("added"))
	}
	if got := taintsOf(t, c, "w"); !reflect.DeepEqual(got, []corev1.Taint{admin, kube(cp)}) {
		t.Errorf("taints %v", got)
	}
}

// addedOf decodes the added output.
func addedOf(t *testing.T, m property.Map) []Taint {
	t.Helper()
	var out []Taint
	v := m.Get("added")
	if v.Secret() {
		t.Error("added is secret")
	}
	for _, e := range v.AsArray().All {
		tm := e.AsMap()
		tt := Taint{Key: tm.Get("key").AsString(), Effect: tm.Get("effect").AsString()}
		if tv, ok := tm.GetOk("value"); ok {
			tt.Value = tv.AsString()
		}
		out = append(out, tt)
	}
	return out
}

// TestServedLifeCycle: create next to a taint of the admin's that is
// ours too (same key, effect and value: not ours to remove); drift found
// by read and repaired by update; the kubeconfig rotated; delete removing
// exactly ours; a node that is gone.
func TestServedLifeCycle(t *testing.T) {
	c := fakeNode("w", admin, kube(hcp))
	s := serve(t, c)
	created := create(t, s, inputs("w", kubeconfig, cp, hcp), false)
	if created.ID != "w" {
		t.Errorf("id %q", created.ID)
	}
	if got := addedOf(t, created.Properties); !reflect.DeepEqual(got, []Taint{cp}) {
		t.Errorf("added %v, want only cp (hcp was there)", got)
	}
	if !created.Properties.Get("kubeconfig").Secret() {
		t.Error("kubeconfig is not secret in the state")
	}
	state := created.Properties

	// No change: no diff.
	if d := diff(t, s, created, inputs("w", kubeconfig, cp, hcp)); d.HasChanges {
		t.Errorf("diff without change %+v", d)
	}

	// Someone removes our taint: read reports it missing.
	n, _ := c.CoreV1().Nodes().Get(t.Context(), "w", metav1.GetOptions{})
	n.Spec.Taints = []corev1.Taint{admin, kube(hcp)}
	if _, err := c.CoreV1().Nodes().Update(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: state, Inputs: inputs("w", kubeconfig, cp, hcp)})
	if err != nil {
		t.Fatal(err)
	}
	if read.ID != "w" {
		t.Fatalf("read id %q", read.ID)
	}
	if got := read.Inputs.Get("taints"); !got.Equals(taintList(hcp)) {
		t.Errorf("read inputs' taints %v, want hcp only", got)
	}
	if got := addedOf(t, read.Properties); len(got) != 0 {
		t.Errorf("read added %v, want none", got)
	}
	// The engine's diff: the taint is missing, an update.
	d, err := s.Diff(p.DiffRequest{ID: "w", Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: inputs("w", kubeconfig, cp, hcp)})
	if err != nil {
		t.Fatal(err)
	}
	if !d.HasChanges || len(d.DetailedDiff) == 0 {
		t.Errorf("no diff after drift %+v", d)
	}
	for k, v := range d.DetailedDiff {
		if !strings.HasPrefix(k, "taints[") || v.Kind != p.Update && v.Kind != p.Add {
			t.Errorf("diff after drift: %s %s, want an update of the taints", k, v.Kind)
		}
	}
	rotated := testKubeconfig("https://127.0.0.1:1") + "# rotated\n"
	up, err := s.Update(p.UpdateRequest{ID: "w", Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: inputs("w", rotated, cp, hcp)})
	if err != nil {
		t.Fatal(err)
	}
	if got := addedOf(t, up.Properties); !reflect.DeepEqual(got, []Taint{cp}) {
		t.Errorf("added after update %v", got)
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, kube(hcp), kube(cp)}; !reflect.DeepEqual(got, want) {
		t.Errorf("taints after update %v\nwant %v", got, want)
	}
	if kc := up.Properties.Get("kubeconfig"); !kc.Secret() || kc.Secret() && !strings.Contains(kc.AsString(), "rotated") {
		t.Errorf("the state keeps the old kubeconfig, or not as a secret")
	}

	// A kubeconfig change alone is an update (the delete needs the new one).
	if d := diff(t, s, p.CreateResponse{ID: "w", Properties: up.Properties}, inputs("w", kubeconfig, cp, hcp)); !d.HasChanges || d.DetailedDiff["kubeconfig"].Kind != p.Update {
		t.Errorf("diff of a new kubeconfig %+v", d)
	}

	if err := s.Delete(p.DeleteRequest{ID: "w", Urn: urn, Properties: up.Properties}); err != nil {
		t.Fatal(err)
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, kube(hcp)}; !reflect.DeepEqual(got, want) {
		t.Errorf("taints after delete %v\nwant %v", got, want)
	}

	// The node is gone: read finds no resource, delete is done.
	if err := c.CoreV1().Nodes().Delete(t.Context(), "w", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Read(p.ReadRequest{ID: "w", Urn: urn, Properties: up.Properties, Inputs: inputs("w", kubeconfig, cp, hcp)})
	if err != nil || gone.ID != "" {
		t.Errorf("read of a node that is gone: id %q, %v", gone.ID, err)
	}
	if err := s.Delete(p.DeleteRequest{ID: "w", Urn: urn, Properties: up.Properties}); err != nil {
		t.Errorf("delete on a node that is gone: %v", err)
	}
}

// TestServedClash: a taint of the same key and effect with another value
// fails the create, naming the node, the key and the fix.
func TestServedClash(t *testing.T) {
	c := fakeNode("w", corev1.Taint{Key: cp.Key, Value: "false", Effect: corev1.TaintEffectNoSchedule})
	chk := checkInputs(t, serve(t, c), inputs("w", kubeconfig, cp))
	_, err := serve(t, c).Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs})
	if err == nil || !strings.Contains(err.Error(), "node w has the taint "+cp.Key+"=false:NoSchedule") || !strings.Contains(err.Error(), "fix:") {
		t.Fatalf("error %v", err)
	}
}

// TestServedSecretNotInErrors: the real connection to a server that does
// not answer fails without the kubeconfig's contents in the error.
func TestServedSecretNotInErrors(t *testing.T) {
	s := serve(t, nil)
	chk := checkInputs(t, s, inputs("w", kubeconfig, cp))
	_, err := s.Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs})
	if err == nil {
		t.Fatal("created on a server that does not answer")
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error shows the kubeconfig's token: %v", err)
	}
	if !strings.Contains(err.Error(), "node w") {
		t.Errorf("the error does not name the node: %v", err)
	}
	if _, err := connect("nonsense: ["+token, ""); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("a bad kubeconfig: %v", err)
	}
}
