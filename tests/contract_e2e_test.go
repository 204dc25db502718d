//go:build e2e

package tests

import (
	"encoding/base64"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/internal/kubetest"
	"github.com/peerpods/provisioner/internal/pulumitest"
	"github.com/peerpods/provisioner/internal/stacktest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// handoffObjects runs an example stack on mocks in manifests mode, with the
// optional operator objects on, and returns its objects as the manifests
// output renders them, with the ConfigMap and Secret data the program made.
func handoffObjects(t *testing.T, stack string) (cloud components.Cloud, objs []*unstructured.Unstructured) {
	t.Helper()
	cfg := stacktest.WithSecrets(stacktest.StackConfig(t, stack))
	cfg.Values["peerpods:handoff"] = "manifests"
	cfg.Values["peerpods:kataConfig"] = `{"poolSelector":{"node-role.kubernetes.io/kata-oc":""}}`
	cfg.Values["peerpods:peerPodConfig"] = `{}`
	if strings.HasPrefix(stack, "libvirt") {
		stacktest.WithLocalImage(t, cfg.Values)
	}
	_, d, err := stacktest.Deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rendered, secret := pulumitest.Await(t, d.Outputs["manifests"].(pulumi.Output))
	if !secret {
		t.Error("the manifests output is not secret")
	}
	objs, err = kubetest.DecodeYAML([]byte(rendered.(string)))
	if err != nil {
		t.Fatal(err)
	}
	return d.Values.Cloud, objs
}

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

// TestHandoffContract applies each example stack's handoff objects to a
// real API server with server-side apply and reads them back as the
// operator does: the right objects in the operator's namespace (created
// when missing), exactly the keys of the reference, secret data surviving
// the base64 round trip, the managed-by label; re-applying changes nothing;
// changing one value changes exactly that key.
func TestHandoffContract(t *testing.T) {
	c := kubetest.Client(t)
	ctx := t.Context()
	kubetest.InstallCRDs(t, kubetest.PeerPodsCRDs(t)...)
	const manager = "peerpods"
	ns := components.OperatorNamespace
	if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace %s exists before the first apply (err %v): the API server is not fresh", ns, err)
	}

	for _, stack := range []string{"aws-example", "azure-worker-subnet", "azure-peer-vnet", "gcp-example", "libvirt-example"} {
		t.Run(stack, func(t *testing.T) {
			cloud, objs := handoffObjects(t, stack)
			keys := components.Keys[cloud]
			kubetest.ApplyObjects(t, objs, manager)

			if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				t.Fatalf("namespace %s was not created: %v", ns, err)
			}
			cm, err := c.Typed.CoreV1().ConfigMaps(ns).Get(ctx, components.ConfigMapName, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantCM := stringMap(t, find(t, objs, "ConfigMap", components.ConfigMapName), "data")
			if !maps.Equal(cm.Data, wantCM) {
				t.Errorf("peer-pods-cm data %v\nwant %v", cm.Data, wantCM)
			}
			if got, want := slices.Sorted(maps.Keys(cm.Data)), slices.Sorted(slices.Values(keys.ConfigMap)); !slices.Equal(got, want) {
				t.Errorf("peer-pods-cm keys %v, the operator reads %v", got, want)
			}
			if cm.Labels[components.ManagedByLabel] != components.ManagedBy || cm.Data[contract.KeyCloudProvider] != string(cloud) {
				t.Errorf("peer-pods-cm labels %v, CLOUD_PROVIDER %q", cm.Labels, cm.Data[contract.KeyCloudProvider])
			}

			secretNames := []string{components.SecretName}
			if keys.SSHKey {
				secretNames = append(secretNames, components.SSHKeySecretName)
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
				if s.Labels[components.ManagedByLabel] != components.ManagedBy || string(s.Type) != "Opaque" {
					t.Errorf("%s labels %v type %s", name, s.Labels, s.Type)
				}
				if name == components.SecretName {
					allowed := append(slices.Clone(keys.Secret), keys.OptionalSecret...)
					for k := range s.Data {
						if !slices.Contains(allowed, k) {
							t.Errorf("peer-pods-secret has %s, which the operator does not read", k)
						}
					}
					for _, k := range keys.Secret {
						if _, ok := s.Data[k]; !ok {
							t.Errorf("peer-pods-secret lacks %s", k)
						}
					}
				} else if _, ok := s.Data[contract.KeySSHPublicKey]; !ok || len(s.Data) != 2 {
					t.Errorf("ssh-key-secret keys %v", slices.Collect(maps.Keys(s.Data)))
				}
			}

			kc, err := c.Get(ctx, find(t, objs, components.KataConfigKind, components.DefaultKataConfigName))
			if err != nil {
				t.Fatal(err)
			}
			if on, _, _ := unstructured.NestedBool(kc.Object, "spec", "enablePeerPods"); !on {
				t.Errorf("KataConfig spec %v", kc.Object["spec"])
			}
			ppc, err := c.Get(ctx, find(t, objs, components.PeerPodConfigKind, components.DefaultPeerPodConfigName))
			if err != nil {
				t.Fatal(err)
			}
			if limit, _, _ := unstructured.NestedString(ppc.Object, "spec", "limit"); limit != cm.Data[contract.KeyPeerPodsLimitPerNode] {
				t.Errorf("PeerPodConfig limit %q, PEERPODS_LIMIT_PER_NODE %q", limit, cm.Data[contract.KeyPeerPodsLimitPerNode])
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
			changed := find(t, objs, "ConfigMap", components.ConfigMapName).DeepCopy()
			if err := unstructured.SetNestedField(changed.Object, "9999", "data", contract.KeyVXLANPort); err != nil {
				t.Fatal(err)
			}
			kubetest.ApplyObjects(t, []*unstructured.Unstructured{changed}, manager)
			after, err := c.Typed.CoreV1().ConfigMaps(ns).Get(ctx, components.ConfigMapName, metav1.GetOptions{})
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
