//go:build e2e

package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// kataConfigs is the operator's KataConfig resource.
var kataConfigs = schema.GroupVersionResource{Group: "kataconfiguration.openshift.io", Version: "v1", Resource: "kataconfigs"}

// clusterStack is remoteStack with the handoff written into the e2e
// kube-apiserver (discovery off: it is no OpenShift cluster) and a
// KataConfig of a name of its own.
func clusterStack(kataConfig string) func(h *harness, root, tmp string) string {
	return func(h *harness, root, tmp string) string {
		return strings.Replace(remoteStack(h, root, tmp), "peerpods:handoff: manifests",
			"peerpods:handoff: cluster\n  peerpods:discover: false\n  peerpods:kataConfig:\n    name: "+kataConfig, 1)
	}
}

// useKubernetesProvider points the project's engine at the real
// pulumi-kubernetes plugin that make kubernetes-provider builds
// (plugins.providers), so that no other kubernetes plugin can serve the
// stack.
func (h *harness) useKubernetesProvider() {
	h.t.Helper()
	dir := filepath.Join(e2eenv.Require(h.t, "PEERPODS_CACHE"), "kubernetes-provider")
	if _, err := os.Stat(filepath.Join(dir, "pulumi-resource-kubernetes")); err != nil {
		h.t.Fatalf("the pulumi-kubernetes plugin is not built (make kubernetes-provider): %v", err)
	}
	path := filepath.Join(h.dir, "Pulumi.yaml")
	project, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	const entry = "  providers:\n"
	if !strings.Contains(string(project), entry) {
		h.t.Fatalf("Pulumi.yaml has no plugins.providers list")
	}
	project = []byte(strings.Replace(string(project), entry, entry+"    - name: kubernetes\n      path: "+dir+"\n", 1))
	if err := os.WriteFile(path, project, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// newClusterHarness is the harness of a cluster-mode stack (clusterStack,
// a KataConfig of a name of its own, returned) on the real
// pulumi-kubernetes plugin, with the operator's CRDs installed and the
// e2e kubeconfig set. It holds the remote host (remoteHost) for the
// test: the engine tests that write into the operator's namespace run
// one at a time. Its up does not follow the operator (h.noWait) unless
// the test says so. The kubeconfig is a ServiceAccount's bound to the
// roles of stacks/rbac.yaml every stack needs, and to roles.
func newClusterHarness(t *testing.T, stack string, roles ...string) (*harness, string) {
	t.Helper()
	kubetest.InstallCRDs(t, kubetest.PeerPodsCRDs(t)...)
	kata := "peerpods-e2e-" + randomHex(t, 3)
	h := newHarness(t, stack, clusterStack(kata))
	h.useKubernetesProvider()
	h.remoteHost()
	h.noWait = true
	kubeconfig := kubetest.ServiceAccountKubeconfig(t, kubetest.Grant{Roles: append([]string{kubetest.RolePeerpods, kubetest.RoleDiscovery}, roles...)})
	h.run("pulumi", "config", "set", "--secret", "kubeconfig", kubeconfig, "--stack", h.stack)
	return h, kata
}

// TestEngineClusterHandoff runs a cluster-mode stack on the engine with
// the real pulumi-kubernetes provider plugin against the e2e
// kube-apiserver with the operator's CRDs: the preview plans the handoff
// objects and writes nothing, up writes them, a second up and a refresh
// find nothing to do, a key the operator writes under its own field
// manager (DISABLECVM, which the operator's confidential handler sets on
// every reconcile) survives the next up that changes the ConfigMap, and
// destroy removes what the stack created, the KataConfig before the
// objects it was created after, and retains the operator's namespace.
// Its placement taints a node (a hosted-control-plane group) through the
// plugin's NodeTaints, served by the stack's peerpods provider "cluster"
// configured with peerpods:kubeconfig (a secret in its state, none in the
// NodeTaints'), next to the libvirt host's provider instance: an admin's
// taint stays, destroy removes exactly ours.
func TestEngineClusterHandoff(t *testing.T) {
	t.Parallel()
	c := kubetest.Client(t)
	ctx := t.Context()
	h, kata := newClusterHarness(t, "libvirt-cluster-e2e")
	ns := contract.Namespace
	cms := c.Typed.CoreV1().ConfigMaps(ns)
	secrets := c.Typed.CoreV1().Secrets(ns)
	for _, name := range []string{contract.ConfigMapName} {
		if _, err := cms.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("ConfigMap %s/%s exists before the stack (%v): another test left it", ns, name, err)
		}
	}

	node := kubetest.UniqueName("hcp")
	admin := corev1.Taint{Key: "dedicated", Value: "infra", Effect: corev1.TaintEffectNoExecute}
	createNode(t, c, node, nil, []corev1.Taint{admin})
	others := getNode(t, c, node).Spec.Taints // with admission's not-ready taint
	ours := corev1.Taint{Key: handoff.LabelControlPlane, Value: "true", Effect: corev1.TaintEffectNoSchedule}
	h.run("pulumi", "config", "set", "peerpods:placement", fmt.Sprintf(`{"hostedControlPlane":[{"nodes":[%q],"controlPlane":true}]}`, node), "--stack", h.stack)

	// The pull request's preview: the objects planned, none written.
	reportFile := filepath.Join(h.dir, "preview.json")
	h.peerpods(7, "preview", "--expect-no-changes", "--report-json", reportFile)
	var creates []string
	for _, ch := range readReport(t, reportFile).Changes {
		if ch.Op == "create" {
			creates = append(creates, ch.Type)
		}
	}
	for _, typ := range []string{"kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:Secret", "kubernetes:" + handoff.KataConfigAPIVersion + ":" + handoff.KataConfigKind, handoff.TypeNodeTaints} {
		if !slices.Contains(creates, typ) {
			t.Errorf("the preview plans no create of %s: %v", typ, creates)
		}
	}
	if _, err := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the preview wrote %s (%v)", contract.ConfigMapName, err)
	}

	// up, then a second up and a refresh with nothing to do.
	h.peerpods(0, "up")
	cm, err := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data[contract.KeyCloudProvider] != string(contract.Libvirt) || cm.Data[contract.KeyPeerPodsLimitPerNode] != "10" {
		t.Errorf("peer-pods-cm %v", cm.Data)
	}
	for _, name := range []string{contract.SecretName, contract.SSHKeySecretName} {
		if _, err := secrets.Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("Secret %s: %v", name, err)
		}
	}
	kc, err := c.Dynamic.Resource(kataConfigs).Get(ctx, kata, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("KataConfig %s: %v", kata, err)
	}
	if peer, _, _ := unstructured.NestedBool(kc.Object, "spec", "enablePeerPods"); !peer {
		t.Errorf("KataConfig spec %v", kc.Object["spec"])
	}
	requireTaints(t, c, node, append(slices.Clone(others), ours))
	state := h.export()
	taints := state.named(t, handoff.TypeNodeTaints, "handoff-"+node)
	prov := state.named(t, "pulumi:providers:peerpods", "cluster")
	if taints.Provider != prov.URN+"::"+prov.ID {
		t.Errorf("NodeTaints provider %s, want the stack's peerpods provider cluster", taints.Provider)
	}
	if _, ok := taints.Outputs["kubeconfig"]; ok || strings.Contains(string(taints.Inputs), "kubeconfig") {
		t.Errorf("the NodeTaints' state holds a kubeconfig")
	}
	var provInputs map[string]json.RawMessage
	var kubeconfig map[string]any
	if err := json.Unmarshal(prov.Inputs, &provInputs); err != nil {
		t.Fatalf("the peerpods provider's inputs: %v", err)
	}
	if err := json.Unmarshal(provInputs["kubeconfig"], &kubeconfig); err != nil || kubeconfig["4dabf18193072939515e22adb298388d"] != "1b47061264138c4ac30d75fd1eb44270" {
		t.Errorf("the peerpods provider's kubeconfig is not a secret in its state")
	}
	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("second up changed something: %q", got)
	}
	h.peerpods(0, "refresh", "--expect-no-changes")

	// The operator writes DISABLECVM under its own field manager; the
	// next up, which changes the ConfigMap, keeps it.
	if _, err := cms.Patch(ctx, contract.ConfigMapName, types.MergePatchType, []byte(`{"data":{"DISABLECVM":"true"}}`),
		metav1.PatchOptions{FieldManager: "sandboxed-containers-operator"}); err != nil {
		t.Fatal(err)
	}
	// (pulumi config set rewrote the stack file: set, not edit, from here.)
	h.run("pulumi", "config", "set", "peerpods:limitPerNode", "11", "--stack", h.stack)
	h.peerpods(0, "up")
	cm, err = cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data[contract.KeyPeerPodsLimitPerNode] != "11" || cm.Data["DISABLECVM"] != "true" {
		t.Errorf("after the operator's write and an up: PEERPODS_LIMIT_PER_NODE %q, DISABLECVM %q (want 11, the operator's true)",
			cm.Data[contract.KeyPeerPodsLimitPerNode], cm.Data["DISABLECVM"])
	}

	// destroy: the stack's objects gone, the namespace kept, our taint
	// removed and the others' kept.
	out := h.peerpods(0, "destroy")
	requireTaints(t, c, node, others)
	if _, err := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("peer-pods-cm after destroy: %v\n%s", err, out)
	}
	for _, name := range []string{contract.SecretName, contract.SSHKeySecretName} {
		if _, err := secrets.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("Secret %s after destroy: %v", name, err)
		}
	}
	if _, err := c.Dynamic.Resource(kataConfigs).Get(ctx, kata, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("KataConfig %s after destroy: %v", kata, err)
	}
	if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		t.Errorf("the namespace %s after destroy: %v (it is retained)", ns, err)
	}
}

// TestEngineHandoffRefusesThenAdopts: a peer-pods-cm and a KataConfig an
// admin made by hand before the stack. The preview and the up stop with
// an error naming them and peerpods:adopt, and leave them untouched (the
// engine creates only what is not in the stack's state, and its
// before-create hook finds them there). Adopted, the preview imports them,
// up takes them over (the admin's own key stays: server-side apply
// removes only the stack's fields), and destroy keeps them while it
// deletes what the stack created.
func TestEngineHandoffRefusesThenAdopts(t *testing.T) {
	t.Parallel()
	c := kubetest.Client(t)
	ctx := t.Context()
	h, kata := newClusterHarness(t, "libvirt-adopt-e2e")

	// The admin's objects, made before the stack.
	ns := contract.Namespace
	if _, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cms := c.Typed.CoreV1().ConfigMaps(ns)
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: contract.ConfigMapName}, Data: map[string]string{"ADMIN": "keep-me"}},
		metav1.CreateOptions{FieldManager: "admin"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cms.Delete(context.Background(), contract.ConfigMapName, metav1.DeleteOptions{}) })
	kc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": handoff.KataConfigAPIVersion, "kind": handoff.KataConfigKind,
		"metadata": map[string]any{"name": kata}, "spec": map[string]any{"enablePeerPods": false},
	}}
	if _, err := c.Dynamic.Resource(kataConfigs).Create(ctx, kc, metav1.CreateOptions{FieldManager: "admin"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Dynamic.Resource(kataConfigs).Delete(context.Background(), kata, metav1.DeleteOptions{}) })
	untouched := func(when string) {
		t.Helper()
		cm, err := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
		if err != nil || !maps.Equal(cm.Data, map[string]string{"ADMIN": "keep-me"}) {
			t.Fatalf("%s: the admin's peer-pods-cm is %v (%v)", when, cm.Data, err)
		}
		for _, m := range cm.ManagedFields {
			if m.Manager != "admin" {
				t.Fatalf("%s: peer-pods-cm has fields of %s", when, m.Manager)
			}
		}
		got, err := c.Dynamic.Resource(kataConfigs).Get(ctx, kata, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if on, _, _ := unstructured.NestedBool(got.Object, "spec", "enablePeerPods"); on {
			t.Fatalf("%s: the admin's KataConfig was changed", when)
		}
	}
	cmRef := "ConfigMap/" + ns + "/" + contract.ConfigMapName
	out, code := h.exec(filepath.Join(h.bin, "peerpods"), "preview", "--stack", h.stack, "--dir", h.dir)
	if code == 0 || !strings.Contains(out, "peerpods:adopt does not list "+cmRef) {
		t.Fatalf("preview over the admin's peer-pods-cm: exit %d\n%s", code, out)
	}
	untouched("after the preview")
	out, code = h.exec(filepath.Join(h.bin, "peerpods"), "up", "--yes", "--stack", h.stack, "--dir", h.dir)
	if code == 0 || !strings.Contains(out, "peerpods:adopt does not list "+cmRef) {
		t.Fatalf("up over the admin's peer-pods-cm: exit %d\n%s", code, out)
	}
	untouched("after the refused up")

	// Adopted: imported, then the stack's values applied; kept on destroy.
	h.run("pulumi", "config", "set", "--path", "peerpods:adopt[0]", cmRef, "--stack", h.stack)
	h.run("pulumi", "config", "set", "--path", "peerpods:adopt[1]", "KataConfig/"+kata, "--stack", h.stack)
	reportFile := filepath.Join(h.dir, "preview.json")
	h.peerpods(7, "preview", "--expect-no-changes", "--report-json", reportFile)
	var imports []string
	for _, ch := range readReport(t, reportFile).Changes {
		if strings.Contains(ch.Op, "import") {
			imports = append(imports, ch.Type)
		}
	}
	if !slices.Contains(imports, "kubernetes:core/v1:ConfigMap") || !slices.Contains(imports, "kubernetes:"+handoff.KataConfigAPIVersion+":"+handoff.KataConfigKind) {
		t.Errorf("the preview imports %v, want the ConfigMap and the KataConfig", imports)
	}
	untouched("after the adopting preview")
	h.peerpods(0, "up")
	cm, err := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["ADMIN"] != "keep-me" || cm.Data[contract.KeyCloudProvider] != string(contract.Libvirt) {
		t.Errorf("adopted peer-pods-cm %v: want the stack's keys and the admin's ADMIN", cm.Data)
	}
	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("second up changed something: %q", got)
	}
	out = h.peerpods(0, "destroy")
	// The engine says which deletes kept the object ([retain]).
	for _, name := range []string{"handoff-" + contract.ConfigMapName, "handoff-" + kata} {
		if !regexp.MustCompile(regexp.QuoteMeta(name) + ` deleted \([0-9.]+s\)\[retain\]`).MatchString(out) {
			t.Errorf("the destroy output does not say %s was retained:\n%s", name, out)
		}
	}
	if _, err := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{}); err != nil {
		t.Errorf("the adopted peer-pods-cm after destroy: %v\n%s", err, out)
	}
	if _, err := c.Dynamic.Resource(kataConfigs).Get(ctx, kata, metav1.GetOptions{}); err != nil {
		t.Errorf("the adopted KataConfig after destroy: %v", err)
	}
	if _, err := c.Typed.CoreV1().Secrets(ns).Get(ctx, contract.SecretName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("peer-pods-secret, which the stack created, after destroy: %v", err)
	}
}
