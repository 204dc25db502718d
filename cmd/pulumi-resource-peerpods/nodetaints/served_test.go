package nodetaints

import (
	"encoding/json"
	"errors"
	"maps"
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
// server, on a fake clientset, its provider configured as the engine
// configures one (CheckConfig, then Configure).

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

// connections records the kubeconfigs a served resource connected with.
type connections struct{ kubeconfigs []string }

// connector connects to c, recording the kubeconfig in conns.
func (conns *connections) connector(t *testing.T, c kubernetes.Interface) Connector {
	return func(cfg provider.Config) (kubernetes.Interface, error) {
		if cfg.Kubeconfig == nil {
			t.Error("connected without a kubeconfig")
			return nil, errors.New("no kubeconfig")
		}
		conns.kubeconfigs = append(conns.kubeconfigs, *cfg.Kubeconfig)
		return c, nil
	}
}

// last is the kubeconfig of the last connection.
func (conns *connections) last() string {
	if len(conns.kubeconfigs) == 0 {
		return ""
	}
	return conns.kubeconfigs[len(conns.kubeconfigs)-1]
}

// serve serves the resource connecting to c (the real connection when c
// is nil), its provider configured with kubeconfig.
func serve(t *testing.T, c kubernetes.Interface) integration.Server {
	t.Helper()
	s, _ := serveWith(t, c, config(kubeconfig))
	return s
}

// config is a provider configuration with kubeconfig (a secret; none when
// "").
func config(kc string) property.Map {
	if kc == "" {
		return property.Map{}
	}
	return property.NewMap(map[string]property.Value{"kubeconfig": property.New(kc).WithSecret(true)})
}

// unconfigured serves the resource connecting to c, its provider not
// configured yet.
func unconfigured(t *testing.T, c kubernetes.Interface) (integration.Server, *connections) {
	t.Helper()
	conns := &connections{}
	r := Resource()
	if c != nil {
		r = ResourceWith(conns.connector(t, c))
	}
	return providertest.Server(t, func() (p.Provider, error) {
		return provider.NewWith([]infer.InferredResource{r})
	}), conns
}

// serveWith serves the resource connecting to c (the real connection
// when c is nil), its provider configured with cfg; the connections made
// are recorded.
func serveWith(t *testing.T, c kubernetes.Interface, cfg property.Map) (integration.Server, *connections) {
	t.Helper()
	s, conns := unconfigured(t, c)
	chk, err := s.CheckConfig(p.CheckRequest{Urn: providerURN, Inputs: cfg})
	if err != nil || len(chk.Failures) > 0 {
		t.Fatalf("CheckConfig: %v %v", chk.Failures, err)
	}
	if err := s.Configure(p.ConfigureRequest{Args: chk.Inputs}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return s, conns
}

var providerURN = presource.NewURN("stack", "project", "", "pulumi:providers:"+provider.Name, "cluster")

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

func inputs(node string, ts ...Taint) property.Map {
	return property.NewMap(map[string]property.Value{"node": property.New(node), "taints": taintList(ts...)})
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
		Config struct {
			Variables map[string]map[string]any `json:"variables"`
		} `json:"config"`
		Provider struct {
			InputProperties map[string]map[string]any `json:"inputProperties"`
		} `json:"provider"`
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
	// The connection is the provider's: no input; the outputs of an
	// earlier version's state (kubeconfig, context) remain, kubeconfig
	// secret.
	if got := slices.Sorted(maps.Keys(r.InputProperties)); !reflect.DeepEqual(got, []string{"node", "taints"}) {
		t.Errorf("inputs %v, want node and taints", got)
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
	if want := []string{"node", "taints"}; !reflect.DeepEqual(r.RequiredInputs, want) {
		t.Errorf("required %v", r.RequiredInputs)
	}
	for where, props := range map[string]map[string]map[string]any{"config": schema.Config.Variables, "provider": schema.Provider.InputProperties} {
		for k, secret := range map[string]bool{"kubeconfig": true, "kubeContext": false} {
			v, ok := props[k]
			if !ok {
				t.Errorf("the %s has no %s", where, k)
				continue
			}
			if got, _ := v["secret"].(bool); got != secret {
				t.Errorf("the %s's %s secret %v, want %v", where, k, got, secret)
			}
			if d, _ := v["description"].(string); !strings.Contains(d, "NodeTaints") && !strings.Contains(d, "context") {
				t.Errorf("the %s's %s description %q", where, k, d)
			}
		}
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
	ok := inputs("worker-0", cp, hcp)
	if f := checkInputs(t, s, ok).Failures; len(f) != 0 {
		t.Fatalf("failures %v", f)
	}
	cases := []struct {
		name     string
		in       property.Map
		property string
		reason   string
	}{
		{"bad node", inputs("Worker_0", cp), "node", "oc get nodes"},
		{"bad effect", inputs("w", Taint{Key: "k", Effect: "Never"}), "taints[0].effect", "PreferNoSchedule"},
		{"bad key", inputs("w", Taint{Key: "a b", Effect: "NoSchedule"}), "taints[0]", "label key"},
		{"bad value", inputs("w", Taint{Key: "k", Value: "a b", Effect: "NoSchedule"}), "taints[0].k", "label value"},
		{"same key and effect twice", inputs("w", cp, Taint{Key: cp.Key, Value: "x", Effect: cp.Effect}), "taints[1]", "one taint of each key and effect"},
		// An earlier version's inputs.
		{"kubeconfig as an input", ok.Set("kubeconfig", property.New(kubeconfig).WithSecret(true)), "kubeconfig",
			"is the provider's configuration now (kubeconfig), not an input of the resource; fix: set kubeconfig on the resource's peerpods provider"},
		{"context as an input", ok.Set("context", property.New("ctx")), "context", "set kubeContext on the resource's peerpods provider"},
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

// TestServedWithoutKubeconfig: a NodeTaints whose provider has no
// kubeconfig fails its check with one failure naming the provider's
// setting and the fix (the engine stops there), and a create or update
// that got past it, and a read or delete of a resource that holds no
// kubeconfig of an earlier version, fail with the same error, touching
// nothing.
func TestServedWithoutKubeconfig(t *testing.T) {
	c := fakeNode("w")
	s, conns := serveWith(t, c, config(""))
	const want = "the peerpods provider of this NodeTaints has no kubeconfig"
	const fix = "fix: give the resource a peerpods provider configured with the cluster's kubeconfig (its kubeconfig setting, a secret"
	f := checkInputs(t, s, inputs("w", cp)).Failures
	if len(f) != 1 || f[0].Property != "" || !strings.Contains(f[0].Reason, want) || !strings.Contains(f[0].Reason, fix) {
		t.Fatalf("failures %v, want one on the resource: %q ... %q", f, want, fix)
	}
	// With other problems, each is reported.
	if f := checkInputs(t, s, inputs("Bad_Node", cp)).Failures; len(f) != 2 {
		t.Errorf("failures %v, want the provider's and the node's", f)
	}
	state := property.NewMap(map[string]property.Value{"node": property.New("w"), "taints": taintList(cp), "added": taintList(cp)})
	_, createErr := s.Create(p.CreateRequest{Urn: urn, Properties: inputs("w", cp)})
	_, updateErr := s.Update(p.UpdateRequest{ID: "w", Urn: urn, State: state, OldInputs: inputs("w", cp), Inputs: inputs("w")})
	_, readErr := s.Read(p.ReadRequest{ID: "w", Urn: urn, Properties: state, Inputs: inputs("w", cp)})
	deleteErr := s.Delete(p.DeleteRequest{ID: "w", Urn: urn, Properties: state})
	for op, err := range map[string]error{"create": createErr, "update": updateErr, "read": readErr, "delete": deleteErr} {
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fix) {
			t.Errorf("%s: %v, want %q", op, err, want)
		}
	}
	if len(conns.kubeconfigs) != 0 || len(c.Actions()) != 0 {
		t.Errorf("connected %d times, %d requests", len(conns.kubeconfigs), len(c.Actions()))
	}
}

// TestServedConfigCheck: the provider's kubeconfig and kubeContext are
// checked when known (never showing the kubeconfig), and a provider
// without them is valid (one serving libvirt resources only); an unknown
// kubeconfig (a preview) is neither checked nor made known, and stays
// secret.
func TestServedConfigCheck(t *testing.T) {
	s, _ := unconfigured(t, fake.NewClientset())
	check := func(in property.Map) p.CheckResponse {
		t.Helper()
		resp, err := s.CheckConfig(p.CheckRequest{Urn: providerURN, Inputs: in})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for name, in := range map[string]property.Map{
		"none":             config(""),
		"kubeconfig":       config(kubeconfig),
		"a context of it":  config(kubeconfig).Set("kubeContext", property.New("ctx")),
		"libvirt settings": property.NewMap(map[string]property.Value{"uri": property.New("qemu:///system")}),
	} {
		t.Run(name, func(t *testing.T) {
			resp := check(in)
			if len(resp.Failures) != 0 {
				t.Fatalf("failures %v", resp.Failures)
			}
			if kc, ok := resp.Inputs.GetOk("kubeconfig"); ok && !kc.Secret() {
				t.Error("the checked kubeconfig is not secret")
			}
		})
	}
	cases := []struct {
		name             string
		in               property.Map
		property, reason string
	}{
		{"not a kubeconfig", config("token: " + token), "kubeconfig", "is not a kubeconfig (it cannot be loaded, or has no clusters); fix: pass the contents of the cluster's kubeconfig, not its path"},
		{"unknown context", config(kubeconfig).Set("kubeContext", property.New("other")), "kubeContext", `is "other", which is not a context of the kubeconfig`},
		{"context without kubeconfig", config("").Set("kubeContext", property.New("ctx")), "kubeContext", "is set, but kubeconfig is not"},
		{"not a kubeconfig, unknown context", config("token: "+token).Set("kubeContext", property.New(property.Computed)), "kubeconfig", "is not a kubeconfig"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := check(c.in).Failures
			if len(f) != 1 || f[0].Property != c.property || !strings.Contains(f[0].Reason, c.reason) {
				t.Fatalf("failures %v, want one on %s with %q", f, c.property, c.reason)
			}
			if strings.Contains(f[0].Reason, token) {
				t.Errorf("the failure shows the kubeconfig: %s", f[0].Reason)
			}
		})
	}
	for name, in := range map[string]property.Map{
		"kubeconfig": property.NewMap(map[string]property.Value{"kubeconfig": property.New(property.Computed).WithSecret(true), "kubeContext": property.New("other")}),
		"context":    config(kubeconfig).Set("kubeContext", property.New(property.Computed)),
	} {
		t.Run("unknown "+name, func(t *testing.T) {
			resp := check(in)
			if len(resp.Failures) != 0 {
				t.Fatalf("failures %v", resp.Failures)
			}
			k := map[string]string{"kubeconfig": "kubeconfig", "context": "kubeContext"}[name]
			if !resp.Inputs.Get(k).IsComputed() {
				t.Errorf("checked %s %v is known", k, resp.Inputs.Get(k))
			}
			if !resp.Inputs.Get("kubeconfig").Secret() {
				t.Error("the checked kubeconfig is not secret")
			}
		})
	}
}

// TestServedConfigDiff: a new kubeconfig or context is an update of the
// provider, never a replacement (which would replace every NodeTaints it
// serves, and so remove and add the taints again), known or not; so is
// the kubeconfig given to a provider of an earlier version, which had
// none.
func TestServedConfigDiff(t *testing.T) {
	s, _ := unconfigured(t, fake.NewClientset())
	rotated := testKubeconfig("https://127.0.0.1:1") + "# rotated\n"
	withContext := config(kubeconfig).Set("kubeContext", property.New("ctx"))
	for name, c := range map[string]struct {
		old, new property.Map
		changed  []string
	}{
		"same":                      {config(kubeconfig), config(kubeconfig), nil},
		"rotated":                   {config(kubeconfig), config(rotated), []string{"kubeconfig"}},
		"a context":                 {config(kubeconfig), withContext, []string{"kubeContext"}},
		"unknown":                   {config(kubeconfig), property.NewMap(map[string]property.Value{"kubeconfig": property.New(property.Computed).WithSecret(true)}), []string{"kubeconfig"}},
		"an earlier version's none": {config(""), config(kubeconfig), []string{"kubeconfig"}},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := s.DiffConfig(p.DiffRequest{ID: "provider-id", Urn: providerURN, State: c.old, OldInputs: c.old, Inputs: c.new})
			if err != nil {
				t.Fatal(err)
			}
			if d.HasChanges != (len(c.changed) > 0) || len(d.DetailedDiff) != len(c.changed) || d.DeleteBeforeReplace {
				t.Fatalf("diff %+v, want an update of %v", d, c.changed)
			}
			for _, k := range c.changed {
				if d.DetailedDiff[k].Kind != p.Update {
					t.Errorf("%s: %v, want an update", k, d.DetailedDiff[k].Kind)
				}
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
		"node":          inputs("w", cp).Set("node", property.New(property.Computed)),
		"taints":        inputs("w", cp).Set("taints", property.New(property.Computed)),
		"a taint":       inputs("w", cp).Set("taints", unknownElement),
		"a bad unknown": inputs("Bad_Node", Taint{Key: "k", Effect: "Never"}).Set("taints", property.New(property.Computed)),
	} {
		t.Run(name, func(t *testing.T) {
			resp := checkInputs(t, s, in)
			if name == "a bad unknown" {
				if len(resp.Failures) != 1 || resp.Failures[0].Property != "node" {
					t.Errorf("failures %v, want the node's only", resp.Failures)
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
	created := create(t, s, inputs("w", cp), false)
	for name, c := range map[string]struct {
		k     string
		v     property.Value
		kinds []p.DiffKind
	}{
		"node":    {"node", property.New(property.Computed), []p.DiffKind{p.UpdateReplace}},
		"taints":  {"taints", property.New(property.Computed), []p.DiffKind{p.Update}},
		"a taint": {"taints", unknownElement, []p.DiffKind{p.Update}},
	} {
		t.Run("diff "+name, func(t *testing.T) {
			d := diff(t, s, created, inputs("w", cp).Set(c.k, c.v))
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
	resp := create(t, s, inputs("w", cp), true)
	if n := len(c.Actions()); n != 0 {
		t.Errorf("preview made %d requests: %v", n, c.Actions())
	}
	if !resp.Properties.Get("added").IsComputed() {
		t.Errorf("added %v in the preview of a create", resp.Properties.Get("added"))
	}
	if _, ok := resp.Properties.GetOk("kubeconfig"); ok {
		t.Error("the preview's state holds a kubeconfig")
	}
	created := create(t, s, inputs("w", cp), false)
	c.ClearActions()
	up, err := s.Update(p.UpdateRequest{ID: created.ID, Urn: urn, State: created.Properties, Inputs: inputs("w", hcp), DryRun: true})
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
// ours too (same key, effect and value: not ours to remove), its state
// holding no kubeconfig; drift found by read and repaired by update; the
// provider's kubeconfig rotated, used by the delete; delete removing
// exactly ours; a node that is gone.
func TestServedLifeCycle(t *testing.T) {
	c := fakeNode("w", admin, kube(hcp))
	s, conns := serveWith(t, c, config(kubeconfig))
	created := create(t, s, inputs("w", cp, hcp), false)
	if conns.last() != kubeconfig {
		t.Errorf("created through kubeconfig %q, want the provider's", conns.last())
	}
	if created.ID != "w" {
		t.Errorf("id %q", created.ID)
	}
	if got := addedOf(t, created.Properties); !reflect.DeepEqual(got, []Taint{cp}) {
		t.Errorf("added %v, want only cp (hcp was there)", got)
	}
	for _, k := range []string{"kubeconfig", "context"} {
		if _, ok := created.Properties.GetOk(k); ok {
			t.Errorf("the state holds %s", k)
		}
	}
	state := created.Properties

	// No change: no diff.
	if d := diff(t, s, created, inputs("w", cp, hcp)); d.HasChanges {
		t.Errorf("diff without change %+v", d)
	}

	// Someone removes our taint: read reports it missing.
	n, _ := c.CoreV1().Nodes().Get(t.Context(), "w", metav1.GetOptions{})
	n.Spec.Taints = []corev1.Taint{admin, kube(hcp)}
	if _, err := c.CoreV1().Nodes().Update(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: state, Inputs: inputs("w", cp, hcp)})
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
	d, err := s.Diff(p.DiffRequest{ID: "w", Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: inputs("w", cp, hcp)})
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
	up, err := s.Update(p.UpdateRequest{ID: "w", Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: inputs("w", cp, hcp)})
	if err != nil {
		t.Fatal(err)
	}
	if got := addedOf(t, up.Properties); !reflect.DeepEqual(got, []Taint{cp}) {
		t.Errorf("added after update %v", got)
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, kube(hcp), kube(cp)}; !reflect.DeepEqual(got, want) {
		t.Errorf("taints after update %v\nwant %v", got, want)
	}
	if _, ok := up.Properties.GetOk("kubeconfig"); ok {
		t.Error("the updated state holds a kubeconfig")
	}

	// The provider's kubeconfig rotated (an update of the provider,
	// TestServedConfigDiff; nothing of the resource changes): the delete
	// connects with the new one.
	rotated := testKubeconfig("https://127.0.0.1:1") + "# rotated\n"
	s, conns = serveWith(t, c, config(rotated))
	if err := s.Delete(p.DeleteRequest{ID: "w", Urn: urn, Properties: up.Properties}); err != nil {
		t.Fatal(err)
	}
	if conns.last() != rotated {
		t.Errorf("deleted through kubeconfig %q, want the rotated one", conns.last())
	}
	if got, want := taintsOf(t, c, "w"), []corev1.Taint{admin, kube(hcp)}; !reflect.DeepEqual(got, want) {
		t.Errorf("taints after delete %v\nwant %v", got, want)
	}

	// The node is gone: read finds no resource, delete is done.
	if err := c.CoreV1().Nodes().Delete(t.Context(), "w", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Read(p.ReadRequest{ID: "w", Urn: urn, Properties: up.Properties, Inputs: inputs("w", cp, hcp)})
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
	chk := checkInputs(t, serve(t, c), inputs("w", cp))
	_, err := serve(t, c).Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs})
	if err == nil || !strings.Contains(err.Error(), "node w has the taint "+cp.Key+"=false:NoSchedule") || !strings.Contains(err.Error(), "fix:") {
		t.Fatalf("error %v", err)
	}
}

// TestServedSecretNotInErrors: the real connection to a server that does
// not answer fails without the kubeconfig's contents in the error.
func TestServedSecretNotInErrors(t *testing.T) {
	s := serve(t, nil)
	chk := checkInputs(t, s, inputs("w", cp))
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
	bad := "nonsense: [" + token
	if _, err := connect(provider.Config{Kubeconfig: &bad}); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("a bad kubeconfig: %v", err)
	}
}
