//go:build e2e

package kubetest_test

import (
	"context"
	"encoding/base64"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// These tests prove the API server backend of make e2e: the server-side
// apply semantics the cluster handoff relies on, authentication, the
// operator's CRDs, and node labels and taints.

func obj(apiVersion, kind, namespace, name string, fields map[string]any) *unstructured.Unstructured {
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name}}
	if namespace != "" {
		o["metadata"].(map[string]any)["namespace"] = namespace
	}
	maps.Copy(o, fields)
	return &unstructured.Unstructured{Object: o}
}

func strMap(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// handoff returns the ConfigMap and Secret the program hands to the cluster.
func handoff(ns string, cm, secret map[string]string) []*unstructured.Unstructured {
	return []*unstructured.Unstructured{
		obj("v1", "ConfigMap", ns, "peer-pods-cm", map[string]any{"data": strMap(cm)}),
		obj("v1", "Secret", ns, "peer-pods-secret", map[string]any{"type": "Opaque", "stringData": strMap(secret)}),
	}
}

func TestApplyConfigMapAndSecret(t *testing.T) {
	c := kubetest.Client(t)
	ns := kubetest.UniqueNamespace(t, "ppe2e-handoff")
	cm := map[string]string{"CLOUD_PROVIDER": "libvirt", "VXLAN_PORT": "9000", "LIBVIRT_POOL": "peerpods"}
	secret := map[string]string{
		"LIBVIRT_URI": "qemu+ssh://root@192.0.2.1/system?no_verify=1",
		// stringData is a JSON string: any UTF-8, not arbitrary bytes.
		"KEY": "line one\nline two\n\x00 non-ASCII: ü€",
	}
	const manager = "peerpods-test"

	first := kubetest.ApplyObjects(t, handoff(ns, cm, secret), manager)

	gotCM, err := c.Typed.CoreV1().ConfigMaps(ns).Get(t.Context(), "peer-pods-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(gotCM.Data, cm) {
		t.Fatalf("ConfigMap data = %v, want %v", gotCM.Data, cm)
	}
	gotSecret, err := c.Typed.CoreV1().Secrets(ns).Get(t.Context(), "peer-pods-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gotSecret.StringData != nil {
		t.Fatalf("stringData stored: %v", gotSecret.StringData)
	}
	checkSecretData(t, gotSecret.Data, secret)
	// The wire form: base64 of the exact bytes given as stringData.
	raw, err := c.Get(t.Context(), first[1])
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range secret {
		enc, _, _ := unstructured.NestedString(raw.Object, "data", k)
		if want := base64.StdEncoding.EncodeToString([]byte(v)); enc != want {
			t.Fatalf("data.%s on the wire = %q, want %q", k, enc, want)
		}
	}

	// The same apply again changes nothing.
	again := kubetest.ApplyObjects(t, handoff(ns, cm, secret), manager)
	for i := range again {
		if a, b := first[i].GetResourceVersion(), again[i].GetResourceVersion(); a != b {
			t.Fatalf("re-applying %s changed resourceVersion %s -> %s", first[i].GetKind(), a, b)
		}
	}

	// One changed value changes exactly that key.
	cm2 := maps.Clone(cm)
	cm2["VXLAN_PORT"] = "9001"
	secret2 := maps.Clone(secret)
	secret2["LIBVIRT_URI"] = "qemu+ssh://root@192.0.2.2/system"
	changed := kubetest.ApplyObjects(t, handoff(ns, cm2, secret2), manager)
	for i := range changed {
		if changed[i].GetResourceVersion() == first[i].GetResourceVersion() {
			t.Fatalf("changing %s kept resourceVersion %s", changed[i].GetKind(), first[i].GetResourceVersion())
		}
	}
	gotCM, err = c.Typed.CoreV1().ConfigMaps(ns).Get(t.Context(), "peer-pods-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(gotCM.Data, cm2) {
		t.Fatalf("ConfigMap data after the change = %v, want %v", gotCM.Data, cm2)
	}
	gotSecret, err = c.Typed.CoreV1().Secrets(ns).Get(t.Context(), "peer-pods-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkSecretData(t, gotSecret.Data, secret2)
}

func checkSecretData(t *testing.T, got map[string][]byte, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Secret has keys %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Fatalf("Secret data.%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestAnonymousAndBadTokenRefused(t *testing.T) {
	c := kubetest.Client(t)
	anon := rest.AnonymousClientConfig(c.Config) // same CA, no credentials
	bad := rest.CopyConfig(anon)
	bad.BearerToken = "not-the-token"
	for name, cfg := range map[string]*rest.Config{"anonymous": anon, "bad token": bad} {
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
		if !apierrors.IsUnauthorized(err) && !apierrors.IsForbidden(err) {
			t.Fatalf("%s request: want 401 or 403, got %v", name, err)
		}
		t.Logf("%s request refused: %v", name, err)
	}
	// The admin token is accepted (guards against a test that passes on a
	// server refusing everyone).
	if _, err := c.Typed.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{}); err != nil {
		t.Fatalf("admin request: %v", err)
	}
}

func TestOperatorCRDs(t *testing.T) {
	kubetest.InstallCRDs(t, kubetest.PeerPodsCRDs(t)...)
	c := kubetest.Client(t)
	ns := kubetest.UniqueNamespace(t, "ppe2e-crds")
	kata := obj("kataconfiguration.openshift.io/v1", "KataConfig", "", kubetest.UniqueName("ppe2e-kata"), map[string]any{
		"spec": map[string]any{
			"enablePeerPods":         true,
			"kataConfigPoolSelector": map[string]any{"matchLabels": map[string]any{"peerpods.io/worker": "true"}},
		},
	})
	ppc := obj("confidentialcontainers.org/v1alpha1", "PeerPodConfig", ns, "peerpodconfig-openshift", map[string]any{
		"spec": map[string]any{
			"cloudSecretName": "peer-pods-secret",
			"configMapName":   "peer-pods-cm",
			"limit":           "10",
			"nodeSelector":    map[string]any{"node-role.kubernetes.io/kata-oc": ""},
		},
	})
	applied := kubetest.ApplyObjects(t, []*unstructured.Unstructured{kata, ppc}, "peerpods-test")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), kubetest.Timeout)
		defer cancel()
		ri, err := c.Resource(kata)
		if err == nil {
			err = ri.Delete(ctx, kata.GetName(), metav1.DeleteOptions{})
		}
		if err != nil {
			t.Errorf("delete KataConfig: %v", err)
		}
	})
	for i, want := range []*unstructured.Unstructured{kata, ppc} {
		got, err := c.Get(t.Context(), want)
		if err != nil {
			t.Fatal(err)
		}
		if got.GetUID() != applied[i].GetUID() {
			t.Fatalf("%s: uid %s, applied %s", want.GetKind(), got.GetUID(), applied[i].GetUID())
		}
		// What was applied is kept; the schema adds its defaults
		// (KataConfig: checkNodeEligibility false, logLevel info).
		gotSpec, _, _ := unstructured.NestedMap(got.Object, "spec")
		wantSpec, _, _ := unstructured.NestedMap(want.Object, "spec")
		for k, v := range wantSpec {
			if !reflect.DeepEqual(gotSpec[k], v) {
				t.Fatalf("%s spec.%s = %v, want %v", want.GetKind(), k, gotSpec[k], v)
			}
		}
		if want.GetKind() == "KataConfig" && (gotSpec["logLevel"] != "info" || gotSpec["checkNodeEligibility"] != false) {
			t.Errorf("KataConfig defaults from the real schema: %v", gotSpec)
		}
	}
	// The real schemas refuse a misspelt field: server-side apply always
	// (its typed patch needs every field declared), and a merge patch
	// prunes it unless strict validation is asked for.
	for _, o := range []*unstructured.Unstructured{kata, ppc} {
		bad := o.DeepCopy()
		if err := unstructured.SetNestedField(bad.Object, true, "spec", "enablePeerPod"); err != nil {
			t.Fatal(err)
		}
		_, err := c.ApplyPatch(t.Context(), bad, metav1.PatchOptions{FieldManager: "peerpods-test", FieldValidation: "Strict"})
		if err == nil || !strings.Contains(err.Error(), "enablePeerPod") {
			t.Errorf("%s with spec.enablePeerPod under strict validation: %v", o.GetKind(), err)
		}
		if _, err := c.ApplyPatch(t.Context(), bad, metav1.PatchOptions{FieldManager: "peerpods-test", FieldValidation: "Ignore"}); err == nil {
			t.Errorf("%s: server-side apply accepted spec.enablePeerPod", o.GetKind())
		}
		ri, err := c.Resource(bad)
		if err != nil {
			t.Fatal(err)
		}
		merge := []byte(`{"spec":{"enablePeerPod":true}}`)
		if _, err := ri.Patch(t.Context(), bad.GetName(), types.MergePatchType, merge, metav1.PatchOptions{FieldValidation: "Strict"}); err == nil {
			t.Errorf("%s: strict merge patch accepted spec.enablePeerPod", o.GetKind())
		}
		got, err := ri.Patch(t.Context(), bad.GetName(), types.MergePatchType, merge, metav1.PatchOptions{FieldValidation: "Ignore"})
		if err != nil {
			t.Fatal(err)
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(got.Object, "spec", "enablePeerPod"); found {
			t.Errorf("%s kept the unknown field spec.enablePeerPod", o.GetKind())
		}
	}
	// Installing again is harmless.
	kubetest.InstallCRDs(t, kubetest.PeerPodsCRDs(t)...)
}

// TestNodeLabelAndTaintOwnership: a Node (no kubelet needed) labelled and
// tainted by one field manager, then cleared by that manager's empty apply;
// what the creator and another manager set survives.
func TestNodeLabelAndTaintOwnership(t *testing.T) {
	c := kubetest.Client(t)
	name := kubetest.UniqueName("ppe2e-node")
	nodes := c.Typed.CoreV1().Nodes()
	created, err := nodes.Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: map[string]string{"created-by": "test"},
	}}, metav1.CreateOptions{FieldManager: "test-create"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), kubetest.Timeout)
		defer cancel()
		if err := nodes.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete node: %v", err)
		}
	})
	t.Logf("taints at creation (admission): %v", created.Spec.Taints)

	node := func(fields map[string]any) *unstructured.Unstructured {
		return obj("v1", "Node", "", name, fields)
	}
	kubetest.ApplyObjects(t, []*unstructured.Unstructured{node(map[string]any{
		"metadata": map[string]any{
			"name":        name,
			"labels":      map[string]any{"other": "keep"},
			"annotations": map[string]any{"other.example.com/note": "keep"},
		},
	})}, "other-manager")

	taint := map[string]any{"key": "peerpods.io/peer-pods", "value": "true", "effect": "NoSchedule"}
	mine := node(map[string]any{
		"metadata": map[string]any{"name": name, "labels": map[string]any{"peerpods.io/worker": "true"}},
		"spec":     map[string]any{"taints": []any{taint}},
	})
	const manager = "peerpods-node"
	// spec.taints is an atomic list: the applier owns and sets all of it.
	// (A taint admission added at creation is owned by nobody: it is
	// replaced without a conflict.)
	kubetest.ApplyObjects(t, []*unstructured.Unstructured{mine}, manager)
	// Another manager's different list conflicts unless forced.
	_, err = c.Apply(t.Context(), node(map[string]any{
		"spec": map[string]any{"taints": []any{map[string]any{"key": "other", "effect": "NoExecute"}}},
	}), "third-manager", false)
	if !apierrors.IsConflict(err) {
		t.Fatalf("another manager's taints without force: want a conflict, got %v", err)
	}

	got, err := nodes.Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{"created-by": "test", "other": "keep", "peerpods.io/worker": "true"}
	if !maps.Equal(got.Labels, wantLabels) {
		t.Fatalf("labels = %v, want %v", got.Labels, wantLabels)
	}
	if len(got.Spec.Taints) != 1 || got.Spec.Taints[0].Key != "peerpods.io/peer-pods" || got.Spec.Taints[0].Effect != corev1.TaintEffectNoSchedule {
		t.Fatalf("taints = %v, want only peerpods.io/peer-pods=true:NoSchedule (atomic list)", got.Spec.Taints)
	}

	// The empty apply removes exactly what this manager owned.
	kubetest.ApplyObjects(t, []*unstructured.Unstructured{node(nil)}, manager)
	got, err = nodes.Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantLabels = map[string]string{"created-by": "test", "other": "keep"}
	if !maps.Equal(got.Labels, wantLabels) {
		t.Fatalf("labels after the empty apply = %v, want %v", got.Labels, wantLabels)
	}
	if len(got.Spec.Taints) != 0 {
		t.Fatalf("taints after the empty apply = %v, want none", got.Spec.Taints)
	}
	if got.Annotations["other.example.com/note"] != "keep" {
		t.Fatalf("annotations after the empty apply = %v, want other.example.com/note kept", got.Annotations)
	}
	for _, mf := range got.ManagedFields {
		if mf.Manager == manager {
			t.Fatalf("manager %s still owns fields: %s", manager, mf.FieldsV1.String())
		}
	}
}
