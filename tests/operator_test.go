package tests

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// data reads a ConfigMap's data, or a Secret's data decoded from base64.
func data(t *testing.T, o *unstructured.Unstructured) map[string]string {
	t.Helper()
	m, _, err := unstructured.NestedStringMap(o.Object, "data")
	if err != nil {
		t.Fatal(err)
	}
	if o.GetKind() == "Secret" {
		for k, v := range m {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatalf("%s %s: %v", o.GetName(), k, err)
			}
			m[k] = string(b)
		}
	}
	return m
}

// cluster is what the operator and CAA find in the namespace.
type cluster struct{ cm, secret, ssh map[string]string }

func clusterOf(t *testing.T, objs []*unstructured.Unstructured) cluster {
	var c cluster
	for _, o := range objs {
		switch o.GetKind() + "/" + o.GetName() {
		case "ConfigMap/peer-pods-cm":
			c.cm = data(t, o)
		case "Secret/peer-pods-secret":
			c.secret = data(t, o)
		case "Secret/ssh-key-secret":
			c.ssh = data(t, o)
		}
	}
	return c
}

// TestOperatorKeysLeftToTheOperator checks the stack's desired objects:
// the keys the operator writes (the image IDs, DISABLECVM, INITDATA) are
// left out unless the user sets them, so server-side apply never takes
// them from the operator; set, they are written as given.
func TestOperatorKeysLeftToTheOperator(t *testing.T) {
	operatorKeys := []string{"PODVM_AMI_ID", "AZURE_IMAGE_ID", "PODVM_IMAGE_NAME", "DISABLECVM", "INITDATA"}
	for _, stack := range stacktest.ExampleStacks() {
		_, objs := stacktest.RenderHandoff(t, stack, nil)
		c := clusterOf(t, objs)
		for _, k := range operatorKeys {
			if _, ok := c.cm[k]; ok {
				t.Errorf("%s: peer-pods-cm has %s, which the user did not set", stack, k)
			}
		}
	}
	_, objs := stacktest.RenderHandoff(t, "aws-example", func(cfg map[string]string) {
		cfg["peerpods:aws"] = strings.Replace(cfg["peerpods:aws"], "{", `{"podvmAmiId":"ami-0abc1234def567890",`, 1)
	})
	if got := clusterOf(t, objs).cm["PODVM_AMI_ID"]; got != "ami-0abc1234def567890" {
		t.Errorf("PODVM_AMI_ID set by the user is %q", got)
	}
}

// TestLibvirtImageOwnership: when the stack uploads the image, peer-pods-cm
// says so as the operator's image job would (LIBVIRT_IMAGE_ID =
// LIBVIRT_VOL_NAME, libvirt-podvm-image-handler.sh
// add_libvirt_vol_to_peer_pods_cm), so the operator runs no image job over
// the volume (isImageIDSet); without an image, the key is the operator's.
func TestLibvirtImageOwnership(t *testing.T) {
	_, objs := stacktest.RenderHandoff(t, "libvirt-example", nil)
	cm := clusterOf(t, objs).cm
	if cm["LIBVIRT_IMAGE_ID"] == "" || cm["LIBVIRT_IMAGE_ID"] != cm["LIBVIRT_VOL_NAME"] {
		t.Errorf("LIBVIRT_IMAGE_ID %q, LIBVIRT_VOL_NAME %q", cm["LIBVIRT_IMAGE_ID"], cm["LIBVIRT_VOL_NAME"])
	}
	_, objs = stacktest.RenderHandoff(t, "libvirt-example", func(cfg map[string]string) {
		var lv map[string]any
		if err := json.Unmarshal([]byte(cfg["peerpods:libvirt"]), &lv); err != nil {
			t.Fatal(err)
		}
		delete(lv, "image")
		lv["capacity"] = 1 << 30
		b, _ := json.Marshal(lv)
		cfg["peerpods:libvirt"] = string(b)
	})
	if id, ok := clusterOf(t, objs).cm["LIBVIRT_IMAGE_ID"]; ok {
		t.Errorf("an empty volume, yet LIBVIRT_IMAGE_ID is %q", id)
	}
}

func TestExampleStackKeysAreInTheContract(t *testing.T) {
	for _, stack := range stacktest.ExampleStacks() {
		cloud, objs := stacktest.RenderHandoff(t, stack, nil)
		c := clusterOf(t, objs)
		set := contract.MustFor(cloud)
		for _, obj := range []struct {
			o    contract.Object
			data map[string]string
		}{{contract.ConfigMap, c.cm}, {contract.Secret, c.secret}} {
			for _, k := range slices.Sorted(maps.Keys(obj.data)) {
				key, ok := set.Key(k)
				if !ok || !key.In.Has(obj.o) {
					t.Errorf("%s: %s in %s is not in the contract there", stack, k, obj.o)
					continue
				}
				if err := key.Format.Check(obj.data[k]); err != nil {
					t.Errorf("%s: %s %v", stack, k, err)
				}
			}
		}
		for k, v := range c.ssh {
			key, ok := set.SSHKey(k)
			if !ok {
				t.Errorf("%s: ssh-key-secret %s is not in the contract", stack, k)
			} else if err := key.Format.Check(v); err != nil {
				t.Errorf("%s: ssh-key-secret %s %v", stack, k, err)
			}
		}
	}
}
