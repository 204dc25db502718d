//go:build e2e

package tests

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/peerpods/provisioner/cmd/pulumi-resource-peerpods/nodetaints"
	"github.com/peerpods/provisioner/cmd/pulumi-resource-peerpods/plugin"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"github.com/peerpods/provisioner/tests/testkit/providertest"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestNodePlacement applies the placement's node manifests (handoff
// manifests) to Node objects the test creates, as pulumi-kubernetes'
// NodePatch does (server-side apply without force), then removes them as
// its delete does (an apply of only the name by the same field manager):
// exactly our labels come and go, what another manager set stays. The
// manifests carry no taints (spec.taints is one atomic list): the node
// with taints has the oc adm taint commands in a comment before it.
func TestNodePlacement(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	const manager = "peerpods"
	kata, infra := kubetest.UniqueName("kata"), kubetest.UniqueName("infra")
	for _, name := range []string{kata, infra} {
		createNode(t, c, name, map[string]string{"team": "platform"}, nil)
	}

	cfg := stacktest.WithSecrets(stacktest.StackConfig(t, "aws-example"))
	cfg.Values["peerpods:handoff"] = "manifests"
	cfg.Values["peerpods:kataConfig"] = `{"poolSelector":{"node-role.kubernetes.io/kata-oc":""}}`
	cfg.Values["peerpods:placement"] = fmt.Sprintf(`{"kataNodes":[%q],"hostedControlPlane":[{"nodes":[%q],"infra":true,"controlPlane":true,"cluster":"clusters-hcp1","zone":"us-east-1a"}]}`, kata, infra)
	_, d, err := stacktest.Deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rendered, _ := pulumitest.Await(t, d.Outputs["manifests"].(pulumi.Output))
	text := rendered.(string)
	for _, cmd := range []string{
		"#   oc adm taint nodes " + infra + " " + handoff.LabelHCPCluster + "=clusters-hcp1:NoSchedule\n",
		"#   oc adm taint nodes " + infra + " " + handoff.LabelControlPlane + "=true:NoSchedule\n",
	} {
		if !strings.Contains(text, cmd) {
			t.Errorf("the manifests lack the command %q:\n%s", cmd, text)
		}
	}
	if strings.Contains(text, "oc adm taint nodes "+kata) {
		t.Errorf("commands for %s, which has no taints", kata)
	}
	all, err := kubetest.DecodeYAML([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var patches []*unstructured.Unstructured
	for _, o := range all {
		if o.GetKind() == "Node" {
			patches = append(patches, o)
			if _, ok := o.Object["spec"]; ok {
				t.Errorf("the manifest of node %s has a spec: %v", o.GetName(), o.Object["spec"])
			}
		}
	}
	if len(patches) != 2 {
		t.Fatalf("%d node patches", len(patches))
	}
	before := map[string][]corev1.Taint{}
	for _, name := range []string{kata, infra} {
		before[name] = getNode(t, c, name).Spec.Taints
	}
	for _, p := range patches {
		if _, err := c.Apply(ctx, p, manager, false); err != nil {
			t.Fatalf("applying the patch of %s: %v", p.GetName(), err)
		}
	}

	want := map[string]map[string]string{
		kata: {"team": "platform", "node-role.kubernetes.io/kata-oc": ""},
		infra: {"team": "platform", handoff.LabelInfra: "", handoff.LabelControlPlane: "true",
			handoff.LabelHCPCluster: "clusters-hcp1", handoff.LabelZone: "us-east-1a"},
	}
	for name, w := range want {
		n := getNode(t, c, name)
		labels := maps.Clone(n.Labels)
		delete(labels, "kubernetes.io/hostname") // none is set without a kubelet; ignore if a server adds it
		if !maps.Equal(labels, w) {
			t.Errorf("%s labels %v\nwant %v", name, labels, w)
		}
		if !slices.EqualFunc(n.Spec.Taints, before[name], sameTaint) {
			t.Errorf("%s taints %v changed by the label patch (were %v)", name, n.Spec.Taints, before[name])
		}
	}

	// Destroy: the same manager applies the name only.
	for _, p := range patches {
		empty := &unstructured.Unstructured{}
		empty.SetAPIVersion("v1")
		empty.SetKind("Node")
		empty.SetName(p.GetName())
		if _, err := c.Apply(ctx, empty, manager, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{kata, infra} {
		n := getNode(t, c, name)
		if !maps.Equal(n.Labels, map[string]string{"team": "platform"}) {
			t.Errorf("%s labels after destroy %v: only the admin's should be left", name, n.Labels)
		}
		for _, mf := range n.ManagedFields {
			if mf.Manager == manager {
				t.Errorf("%s still lists %s among its field managers", name, manager)
			}
		}
	}
}

// TestNodeTaints drives NodeTaints as the plugin serves it (plugin.New in
// pulumi-go-provider's integration server, as the engine calls it) with
// the inputs the program gives it and its provider configured as the
// program configures it (the aws-example stack in cluster mode with a
// hosted-control-plane placement, peerpods:kubeconfig the e2e API
// server's, which reaches the resource through the provider's
// configuration only), against the real kube-apiserver: a node with a taint set by
// another field manager ("admin") before; the create adds ours; another
// manager adds a taint after; a preview touches nothing; a taint of ours
// someone removed is found by read and put back by the update; the update
// drops one of ours; the delete removes exactly ours; the others' taints
// stay throughout.
func TestNodeTaints(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	name := kubetest.UniqueName("hcp")
	admin := corev1.Taint{Key: "dedicated", Value: "infra", Effect: corev1.TaintEffectNoExecute}
	createNode(t, c, name, nil, []corev1.Taint{admin})
	// Whatever admission added at creation (node.kubernetes.io/not-ready
	// without a kubelet) is someone else's too.
	others := getNode(t, c, name).Spec.Taints
	if !slices.ContainsFunc(others, func(o corev1.Taint) bool { return sameTaint(o, admin) }) {
		t.Fatalf("the admin's taint is not on the node: %v", others)
	}

	// The program's NodeTaints inputs.
	kubeconfig := e2eKubeconfig(t)
	cfg := stacktest.WithSecrets(stacktest.StackConfig(t, "aws-example"))
	cfg.Values["peerpods:handoff"] = "cluster"
	cfg.Values["peerpods:kubeconfig"] = kubeconfig
	cfg.Values["peerpods:placement"] = fmt.Sprintf(`{"hostedControlPlane":[{"nodes":[%q],"controlPlane":true,"cluster":"clusters-hcp1"}]}`, name)
	m, _, err := stacktest.Deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	registered := m.Get(t, handoff.TypeNodeTaints, "handoff-"+name)
	in := presource.FromResourcePropertyValue(presource.NewProperty(registered.Inputs)).AsMap()
	if _, ok := in.GetOk("kubeconfig"); ok {
		t.Fatal("the program's NodeTaints has a kubeconfig input")
	}
	prov := m.Get(t, "pulumi:providers:"+provider.Name, "cluster")
	if registered.Provider != prov.Ref() {
		t.Fatalf("the program's NodeTaints provider %s, want %s", registered.Provider, prov.Ref())
	}
	provCfg := presource.FromResourcePropertyValue(presource.NewProperty(prov.Inputs)).AsMap()
	if kc := provCfg.Get("kubeconfig"); !kc.Secret() || kc.AsString() != kubeconfig {
		t.Fatalf("the program's peerpods provider's kubeconfig is not peerpods:kubeconfig as a secret")
	}
	cp := corev1.Taint{Key: handoff.LabelControlPlane, Value: "true", Effect: corev1.TaintEffectNoSchedule}
	hcp := corev1.Taint{Key: handoff.LabelHCPCluster, Value: "clusters-hcp1", Effect: corev1.TaintEffectNoSchedule}

	s := pluginServer(t, provCfg)
	urn := presource.NewURN("e2e", "peerpods", "", handoff.TypeNodeTaints, "handoff-"+name)
	chk, err := s.Check(p.CheckRequest{Urn: urn, Inputs: in})
	if err != nil || len(chk.Failures) > 0 {
		t.Fatalf("check: %v %v", chk.Failures, err)
	}

	// The preview of the create touches nothing.
	rv := getNode(t, c, name).ResourceVersion
	if _, err := s.Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if got := getNode(t, c, name).ResourceVersion; got != rv {
		t.Errorf("the preview changed the node (resourceVersion %s -> %s)", rv, got)
	}

	created, err := s.Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, append(slices.Clone(others), hcp, cp))
	if _, ok := created.Properties.GetOk("kubeconfig"); ok {
		t.Error("the state holds a kubeconfig")
	}

	// Another manager adds a taint after (kubectl taint's way: an update
	// of the node read).
	later := corev1.Taint{Key: "maintenance", Value: "window", Effect: corev1.TaintEffectPreferNoSchedule}
	editTaints(t, c, name, "maintainer", func(ts []corev1.Taint) []corev1.Taint { return append(ts, later) })
	others = append(others, later)
	requireTaints(t, c, name, append(slices.Clone(others), hcp, cp))

	// Someone removes cp: the read reports it missing, the engine's diff
	// is an update, which puts it back.
	editTaints(t, c, name, "maintainer", func(ts []corev1.Taint) []corev1.Taint {
		return slices.DeleteFunc(ts, func(x corev1.Taint) bool { return sameTaint(x, cp) })
	})
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: urn, Properties: created.Properties, Inputs: chk.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	if got := read.Inputs.Get("taints").AsArray().Len(); got != 1 {
		t.Errorf("read found %d of our taints, want 1 (hcp)", got)
	}
	d, err := s.Diff(p.DiffRequest{ID: read.ID, Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: chk.Inputs})
	if err != nil || !d.HasChanges {
		t.Fatalf("diff after the drift: %+v %v", d, err)
	}
	for k, v := range d.DetailedDiff {
		if v.Kind == p.UpdateReplace || v.Kind == p.AddReplace || v.Kind == p.DeleteReplace {
			t.Errorf("the drift replaces the resource: %s %s", k, v.Kind)
		}
	}
	repaired, err := s.Update(p.UpdateRequest{ID: read.ID, Urn: urn, State: read.Properties, OldInputs: read.Inputs, Inputs: chk.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, append(slices.Clone(others), hcp, cp))

	// The update drops hcp (the node leaves the hosted cluster); its
	// preview touches nothing.
	next := in.Set("taints", property.New(property.NewArray([]property.Value{taintValue(cp)})))
	chk2, err := s.Check(p.CheckRequest{Urn: urn, Inputs: next})
	if err != nil || len(chk2.Failures) > 0 {
		t.Fatalf("check: %v %v", chk2.Failures, err)
	}
	rv = getNode(t, c, name).ResourceVersion
	if _, err := s.Update(p.UpdateRequest{ID: read.ID, Urn: urn, State: repaired.Properties, OldInputs: chk.Inputs, Inputs: chk2.Inputs, DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if got := getNode(t, c, name).ResourceVersion; got != rv {
		t.Errorf("the update preview changed the node (resourceVersion %s -> %s)", rv, got)
	}
	updated, err := s.Update(p.UpdateRequest{ID: read.ID, Urn: urn, State: repaired.Properties, OldInputs: chk.Inputs, Inputs: chk2.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, append(slices.Clone(others), cp))

	// The delete removes exactly ours.
	if err := s.Delete(p.DeleteRequest{ID: read.ID, Urn: urn, Properties: updated.Properties}); err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, others)

	// The node gone: read finds nothing, the delete is done.
	if err := c.Typed.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	gone, err := s.Read(p.ReadRequest{ID: read.ID, Urn: urn, Properties: updated.Properties, Inputs: chk2.Inputs})
	if err != nil || gone.ID != "" {
		t.Errorf("read of a deleted node: id %q, %v", gone.ID, err)
	}
	if err := s.Delete(p.DeleteRequest{ID: read.ID, Urn: urn, Properties: updated.Properties}); err != nil {
		t.Errorf("delete on a deleted node: %v", err)
	}
}

// TestNodeTaintsClash: a taint of ours whose key and effect the node has
// with another value (an admin's) fails the create with the node, the
// key and the fix, and the node is left as it was.
func TestNodeTaintsClash(t *testing.T) {
	c := kubetest.Client(t)
	name := kubetest.UniqueName("clash")
	theirs := corev1.Taint{Key: handoff.LabelControlPlane, Value: "false", Effect: corev1.TaintEffectNoSchedule}
	createNode(t, c, name, nil, []corev1.Taint{theirs})
	before := getNode(t, c, name)
	s := pluginServer(t, kubeconfigConfig(e2eKubeconfig(t)))
	urn := presource.NewURN("e2e", "peerpods", "", handoff.TypeNodeTaints, "clash")
	in := taintsInputs(name,
		corev1.Taint{Key: "extra", Effect: corev1.TaintEffectNoSchedule},
		corev1.Taint{Key: handoff.LabelControlPlane, Value: "true", Effect: corev1.TaintEffectNoSchedule})
	chk, err := s.Check(p.CheckRequest{Urn: urn, Inputs: in})
	if err != nil || len(chk.Failures) > 0 {
		t.Fatalf("check: %v %v", chk.Failures, err)
	}
	_, err = s.Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs})
	for _, want := range []string{"node " + name, handoff.LabelControlPlane + "=false:NoSchedule", "not overwritten", "fix: remove it (oc adm taint nodes " + name + " " + handoff.LabelControlPlane + ":NoSchedule-)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("want an error containing %q, got %v", want, err)
		}
	}
	if after := getNode(t, c, name); after.ResourceVersion != before.ResourceVersion {
		t.Errorf("the node changed: taints %v", after.Spec.Taints)
	}
}

// TestNodeTaintsConflictRetried: another writer changes the node between
// NodeTaints' read and its write (here, right before the write reaches
// the API server); the server refuses the stale resourceVersion (409
// Conflict), NodeTaints reads the node again and writes, keeping the
// other writer's taint.
func TestNodeTaintsConflictRetried(t *testing.T) {
	c := kubetest.Client(t)
	name := kubetest.UniqueName("conflict")
	createNode(t, c, name, nil, nil)
	others := getNode(t, c, name).Spec.Taints
	kubeconfig := e2eKubeconfig(t)
	concurrent := corev1.Taint{Key: "concurrent", Value: "writer", Effect: corev1.TaintEffectPreferNoSchedule}
	var puts, conflicts atomic.Int32
	connect := func(cfg provider.Config) (kubernetes.Interface, error) {
		if cfg.Kubeconfig == nil {
			return nil, fmt.Errorf("connecting without a kubeconfig")
		}
		rest, err := clientcmd.RESTConfigFromKubeConfig([]byte(*cfg.Kubeconfig))
		if err != nil {
			return nil, err
		}
		rest.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return roundTripper(func(req *http.Request) (*http.Response, error) {
				if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/nodes/"+name) && puts.Add(1) == 1 {
					editTaints(t, c, name, "concurrent-writer", func(ts []corev1.Taint) []corev1.Taint { return append(ts, concurrent) })
				}
				resp, err := rt.RoundTrip(req)
				if err == nil && resp.StatusCode == http.StatusConflict {
					conflicts.Add(1)
				}
				return resp, err
			})
		}
		return kubernetes.NewForConfig(rest)
	}
	s := providertest.Server(t, func() (p.Provider, error) {
		return provider.NewWith([]infer.InferredResource{nodetaints.ResourceWith(connect)})
	})
	configure(t, s, kubeconfigConfig(kubeconfig))
	urn := presource.NewURN("e2e", "peerpods", "", handoff.TypeNodeTaints, "conflict")
	ours := corev1.Taint{Key: handoff.LabelControlPlane, Value: "true", Effect: corev1.TaintEffectNoSchedule}
	chk, err := s.Check(p.CheckRequest{Urn: urn, Inputs: taintsInputs(name, ours)})
	if err != nil || len(chk.Failures) > 0 {
		t.Fatalf("check: %v %v", chk.Failures, err)
	}
	if _, err := s.Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs}); err != nil {
		t.Fatal(err)
	}
	if puts.Load() != 2 || conflicts.Load() != 1 {
		t.Errorf("%d writes, %d conflicts: want the first refused, the second written", puts.Load(), conflicts.Load())
	}
	requireTaints(t, c, name, append(slices.Clone(others), concurrent, ours))
}

// TestNodeTaintsAfterOldPatch is the upgrade from this project's earlier
// NodePatch, which applied spec.taints (server-side apply, so its field
// manager owns the whole list): the new NodePatch, labels only, applied by
// the same manager removes that list, and NodeTaints, which waits for the
// NodePatch, adds the taints after it and so owns them: the delete
// removes them, the labels stay theirs.
func TestNodeTaintsAfterOldPatch(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	name := kubetest.UniqueName("upgrade")
	createNode(t, c, name, nil, nil)
	const manager = "pulumi-kubernetes"
	labels := map[string]any{handoff.LabelControlPlane: "true"}
	ours := corev1.Taint{Key: handoff.LabelControlPlane, Value: "true", Effect: corev1.TaintEffectNoSchedule}
	patch := func(withTaints bool) *unstructured.Unstructured {
		o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{"name": name, "labels": labels}}}
		if withTaints {
			o.Object["spec"] = map[string]any{"taints": []any{map[string]any{"key": ours.Key, "value": ours.Value, "effect": string(ours.Effect)}}}
		}
		return o
	}
	// The earlier version's patch, forced: the taint admission put on the
	// new node (node.kubernetes.io/not-ready, owned by the manager
	// "before-first-apply") makes an unforced apply of the list a
	// conflict, the very problem NodeTaints solves; forced, the list is
	// the applier's alone, as after the earlier version's first up.
	if _, err := c.Apply(ctx, patch(true), manager, true); err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, []corev1.Taint{ours})
	// The upgrade: the NodePatch first, labels only.
	if _, err := c.Apply(ctx, patch(false), manager, false); err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, nil)
	// Then the NodeTaints.
	s := pluginServer(t, kubeconfigConfig(e2eKubeconfig(t)))
	urn := presource.NewURN("e2e", "peerpods", "", handoff.TypeNodeTaints, "upgrade")
	chk, err := s.Check(p.CheckRequest{Urn: urn, Inputs: taintsInputs(name, ours)})
	if err != nil || len(chk.Failures) > 0 {
		t.Fatalf("check: %v %v", chk.Failures, err)
	}
	created, err := s.Create(p.CreateRequest{Urn: urn, Properties: chk.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, []corev1.Taint{ours})
	if added := created.Properties.Get("added").AsArray().Len(); added != 1 {
		t.Errorf("the NodeTaints owns %d taints, want 1", added)
	}
	if err := s.Delete(p.DeleteRequest{ID: created.ID, Urn: urn, Properties: created.Properties}); err != nil {
		t.Fatal(err)
	}
	requireTaints(t, c, name, nil)
	if got := getNode(t, c, name).Labels[handoff.LabelControlPlane]; got != "true" {
		t.Errorf("label %q after the taints' delete", got)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// pluginServer is the plugin's provider (plugin.New) in
// pulumi-go-provider's integration server, configured with cfg.
func pluginServer(t *testing.T, cfg property.Map) integration.Server {
	t.Helper()
	s := providertest.Server(t, plugin.New)
	configure(t, s, cfg)
	return s
}

// configure configures the provider s as the engine configures a
// provider instance: CheckConfig, then Configure with the checked
// configuration.
func configure(t *testing.T, s integration.Server, cfg property.Map) {
	t.Helper()
	urn := presource.NewURN("e2e", "peerpods", "", "pulumi:providers:"+provider.Name, "cluster")
	chk, err := s.CheckConfig(p.CheckRequest{Urn: urn, Inputs: cfg})
	if err != nil || len(chk.Failures) > 0 {
		t.Fatalf("CheckConfig: %v %v", chk.Failures, err)
	}
	if err := s.Configure(p.ConfigureRequest{Args: chk.Inputs}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

// kubeconfigConfig is the provider configuration of NodeTaints: the
// kubeconfig, a secret.
func kubeconfigConfig(kubeconfig string) property.Map {
	return property.NewMap(map[string]property.Value{"kubeconfig": property.New(kubeconfig).WithSecret(true)})
}

// e2eKubeconfig is a kubeconfig of the e2e API server: a
// ServiceAccount's, bound to the roles of stacks/rbac.yaml every stack
// needs.
func e2eKubeconfig(t *testing.T) string {
	t.Helper()
	return kubetest.ServiceAccountKubeconfig(t, kubetest.Grant{Roles: []string{kubetest.RolePeerpods}})
}

// createNode creates a Node as the field manager "admin", with labels and
// taints, deleted when the test ends (unless the test deleted it).
func createNode(t *testing.T, c *kubetest.Clients, name string, labels map[string]string, taints []corev1.Taint) {
	t.Helper()
	nodes := c.Typed.CoreV1().Nodes()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Spec: corev1.NodeSpec{Taints: taints}}
	if _, err := nodes.Create(t.Context(), node, metav1.CreateOptions{FieldManager: "admin"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), kubetest.Timeout)
		defer cancel()
		_ = nodes.Delete(ctx, name, metav1.DeleteOptions{})
	})
}

func getNode(t *testing.T, c *kubetest.Clients, name string) *corev1.Node {
	t.Helper()
	n, err := c.Typed.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// editTaints changes the node's taints as kubectl taint does (read, then
// update with the resourceVersion read) as fieldManager.
func editTaints(t *testing.T, c *kubetest.Clients, name, fieldManager string, edit func([]corev1.Taint) []corev1.Taint) {
	t.Helper()
	n := getNode(t, c, name)
	n.Spec.Taints = edit(n.Spec.Taints)
	if _, err := c.Typed.CoreV1().Nodes().Update(t.Context(), n, metav1.UpdateOptions{FieldManager: fieldManager}); err != nil {
		t.Fatal(err)
	}
}

// requireTaints fails unless the node has exactly want (in any order;
// key, value and effect).
func requireTaints(t *testing.T, c *kubetest.Clients, name string, want []corev1.Taint) {
	t.Helper()
	got := getNode(t, c, name).Spec.Taints
	if len(got) != len(want) {
		t.Fatalf("node %s taints %v\nwant %v", name, got, want)
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g corev1.Taint) bool { return sameTaint(g, w) }) {
			t.Fatalf("node %s taints %v\nwant %v", name, got, want)
		}
	}
}

func sameTaint(a, b corev1.Taint) bool {
	return a.Key == b.Key && a.Value == b.Value && a.Effect == b.Effect
}

func taintValue(t corev1.Taint) property.Value {
	m := map[string]property.Value{"key": property.New(t.Key), "effect": property.New(string(t.Effect))}
	if t.Value != "" {
		m["value"] = property.New(t.Value)
	}
	return property.New(property.NewMap(m))
}

// taintsInputs are NodeTaints inputs as the engine sends them.
func taintsInputs(node string, taints ...corev1.Taint) property.Map {
	list := make([]property.Value, len(taints))
	for i, t := range taints {
		list[i] = taintValue(t)
	}
	return property.NewMap(map[string]property.Value{
		"node":   property.New(node),
		"taints": property.New(property.NewArray(list)),
	})
}
