//go:build e2e

package tests

import (
	"context"
	"encoding/base64"
	"maps"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// find returns the object of kind and name among objs.
func find(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s among the handoff objects", kind, name)
	return nil
}

// stringMap reads a map[string]string field of an object.
func stringMap(t *testing.T, o *unstructured.Unstructured, field string) map[string]string {
	t.Helper()
	m, _, err := unstructured.NestedStringMap(o.Object, field)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHandoffContract applies each example stack's handoff objects, as
// every known operator line gets them, to a real API server with
// server-side apply and reads them back as the operator does (checked
// against that line's facts, lines_test.go): the right objects in the operator's namespace (created
// when missing), exactly the keys of the reference, secret data surviving
// the base64 round trip, the managed-by label; re-applying changes nothing;
// changing one value changes exactly that key.
func TestHandoffContract(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	kubetest.InstallCRDs(t, kubetest.PeerPodsCRDs(t)...)
	const manager = "peerpods"
	ns := contract.Namespace
	if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace %s exists before the first apply (err %v): the API server is not fresh", ns, err)
	}

	for _, line := range contract.Lines {
		facts := readLineFacts(t, line)
		for _, stack := range stacktest.ExampleStacks() {
			t.Run(line.String()+"/"+stack, func(t *testing.T) {
				cloud, objs := stacktest.RenderHandoff(t, stack, func(cfg map[string]string) { cfg["peerpods:operatorVersion"] = line.String() })
				// The objects go again when the test ends (the namespace
				// stays): the engine tests write the same names later.
				t.Cleanup(func() { deleteObjects(t, c, objs) })
				// As pulumi-kubernetes applies them: server-side apply, its
				// own field manager, not forced; strict field validation
				// proves every field is in the real schemas.
				force := false
				for _, o := range objs {
					if _, err := c.ApplyPatch(ctx, o, metav1.PatchOptions{FieldManager: manager, Force: &force, FieldValidation: "Strict"}); err != nil {
						t.Fatalf("apply %s/%s: %v", o.GetKind(), o.GetName(), err)
					}
				}

				if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
					t.Fatalf("namespace %s was not created: %v", ns, err)
				}
				cm, err := c.Typed.CoreV1().ConfigMaps(ns).Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				wantCM := stringMap(t, find(t, objs, "ConfigMap", contract.ConfigMapName), "data")
				if !maps.Equal(cm.Data, wantCM) {
					t.Errorf("peer-pods-cm data %v\nwant %v", cm.Data, wantCM)
				}
				if cm.Labels[common.ManagedByLabel] != common.ManagedBy || cm.Data[contract.KeyCloudProvider] != string(cloud) {
					t.Errorf("peer-pods-cm labels %v, CLOUD_PROVIDER %q", cm.Labels, cm.Data[contract.KeyCloudProvider])
				}

				secretNames := []string{contract.SecretName}
				if contract.MustForLine(line, cloud).SSHKeys != nil {
					secretNames = append(secretNames, contract.SSHKeySecretName)
				}
				for _, name := range secretNames {
					s, err := c.Typed.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					want := stringMap(t, find(t, objs, "Secret", name), "data") // base64
					if len(s.Data) != len(want) {
						t.Errorf("%s has %d keys, want %d", name, len(s.Data), len(want))
					}
					for k, v := range want { // the client decodes what comes back
						if base64.StdEncoding.EncodeToString(s.Data[k]) != v {
							t.Errorf("%s %s does not survive the round trip", name, k)
						}
					}
					if s.Labels[common.ManagedByLabel] != common.ManagedBy || string(s.Type) != "Opaque" {
						t.Errorf("%s labels %v type %s", name, s.Labels, s.Type)
					}
				}
				// What the operator and CAA find, checked by their own rules
				// (operator_test.go), read back from the server.
				if err := linesAccept(facts, cloud, readBack(t, c, objs)); err != nil {
					t.Errorf("read back from the API server: %v", err)
				}

				kc, err := c.Get(ctx, find(t, objs, handoff.KataConfigKind, handoff.DefaultKataConfigName))
				if err != nil {
					t.Fatal(err)
				}
				if on, _, _ := unstructured.NestedBool(kc.Object, "spec", "enablePeerPods"); !on {
					t.Errorf("KataConfig spec %v", kc.Object["spec"])
				}
				// Re-applying is a no-op. (The API server records the managed
				// fields of a namespace created by apply on the first apply after
				// it: settle that first.)
				kubetest.ApplyObjects(t, objs[:1], manager)
				before := map[string]string{}
				for _, o := range objs {
					got, err := c.Get(ctx, o)
					if err != nil {
						t.Fatal(err)
					}
					before[o.GetKind()+"/"+o.GetName()] = got.GetResourceVersion()
				}
				kubetest.ApplyObjects(t, objs, manager)
				for _, o := range objs {
					got, err := c.Get(ctx, o)
					if err != nil {
						t.Fatal(err)
					}
					if id := o.GetKind() + "/" + o.GetName(); got.GetResourceVersion() != before[id] {
						t.Errorf("re-applying %s changed it (resourceVersion %s -> %s)", id, before[id], got.GetResourceVersion())
					}
				}

				// Changing one value changes exactly that key.
				changed := find(t, objs, "ConfigMap", contract.ConfigMapName).DeepCopy()
				if err := unstructured.SetNestedField(changed.Object, "9999", "data", contract.KeyVXLANPort); err != nil {
					t.Fatal(err)
				}
				kubetest.ApplyObjects(t, []*unstructured.Unstructured{changed}, manager)
				after, err := c.Typed.CoreV1().ConfigMaps(ns).Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range cm.Data {
					if k == contract.KeyVXLANPort {
						if after.Data[k] != "9999" {
							t.Errorf("%s = %q after the change", k, after.Data[k])
						}
					} else if after.Data[k] != v {
						t.Errorf("%s changed from %q to %q with VXLAN_PORT", k, v, after.Data[k])
					}
				}
				if len(after.Data) != len(cm.Data) {
					t.Errorf("%d keys after the change, %d before", len(after.Data), len(cm.Data))
				}
			})
		}
	}
}

// readBack reads peer-pods-cm, peer-pods-secret and ssh-key-secret from
// the server, as the operator and CAA see them.
func readBack(t *testing.T, c *kubetest.Clients, objs []*unstructured.Unstructured) cluster {
	t.Helper()
	var stored []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() != "ConfigMap" && o.GetKind() != "Secret" {
			continue
		}
		got, err := c.Get(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, got)
	}
	return clusterOf(t, stored)
}

// TestOperatorOwnedKeyIsNeverFought: the operator's image job writes
// PODVM_AMI_ID into peer-pods-cm with a JSON merge patch (podvm-builder.sh
// create_podvm_image, kubectl patch --type merge: an update under its own
// field manager); applying the stack's objects again as pulumi-kubernetes
// does (server-side apply, the stack's field manager, not forced) keeps it.
// The objects of the previous version, which wrote PODVM_AMI_ID="", are
// refused with a conflict instead, or, forced, reset the operator's image.
func TestOperatorOwnedKeyIsNeverFought(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	const stackManager, operatorManager = "pulumi-kubernetes-stack", "kubectl-patch"
	ns := kubetest.UniqueNamespace(t, "ppe2e-owned")
	_, objs := stacktest.RenderHandoff(t, "aws-example", nil)
	cm := find(t, objs, "ConfigMap", contract.ConfigMapName).DeepCopy()
	cm.SetNamespace(ns)
	if _, ok := stringMap(t, cm, "data")[contract.KeyPodVMAMIID]; ok {
		t.Fatal("the stack's peer-pods-cm has PODVM_AMI_ID")
	}
	if _, err := c.Apply(ctx, cm, stackManager, false); err != nil {
		t.Fatal(err)
	}
	cms := c.Typed.CoreV1().ConfigMaps(ns)
	if _, err := cms.Patch(ctx, contract.ConfigMapName, types.MergePatchType, []byte(`{"data":{"PODVM_AMI_ID":"ami-0abc"}}`),
		metav1.PatchOptions{FieldManager: operatorManager}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctx, cm, stackManager, false); err != nil {
		t.Fatalf("re-applying the stack's objects: %v", err)
	}
	got, err := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data[contract.KeyPodVMAMIID] != "ami-0abc" {
		t.Errorf("PODVM_AMI_ID %q after the stack's re-apply, want the operator's ami-0abc", got.Data[contract.KeyPodVMAMIID])
	}
	for k, v := range stringMap(t, cm, "data") {
		if got.Data[k] != v {
			t.Errorf("%s = %q, want the stack's %q", k, got.Data[k], v)
		}
	}

	// The previous version's objects: PODVM_AMI_ID always written, empty.
	old := cm.DeepCopy()
	if err := unstructured.SetNestedField(old.Object, "", "data", contract.KeyPodVMAMIID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctx, old, stackManager, false); !apierrors.IsConflict(err) {
		t.Errorf("applying PODVM_AMI_ID=\"\" over the operator's value: %v, want a conflict", err)
	}
	if _, err := c.Apply(ctx, old, stackManager, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := cms.Get(ctx, contract.ConfigMapName, metav1.GetOptions{}); got.Data[contract.KeyPodVMAMIID] != "" {
		t.Errorf("forced: PODVM_AMI_ID %q", got.Data[contract.KeyPodVMAMIID])
	}
}

// deleteObjects deletes the objects of objs that are not patches or the
// namespace, those that exist.
func deleteObjects(t *testing.T, c *kubetest.Clients, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "Namespace" || o.GetKind() == "Node" || o.GetKind() == "Subscription" {
			continue
		}
		ri, err := c.Resource(o)
		if err != nil {
			t.Error(err)
			continue
		}
		if err := ri.Delete(context.Background(), o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}
