package tests

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/stacktest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// What the operator and cloud-api-adaptor check, transcribed from their
// source (test data; facts, not code):
//
//   - operatorRequired: openshift/sandboxed-containers-operator at
//     8bdc9075055a76194338d2324e859a53298c01b8 (Makefile VERSION 1.10.0),
//     controllers/image_generator.go validatePeerPodsConfigs: the keys
//     checkKeysPresentAndNotEmpty wants present and non-empty, per
//     provider, in peer-pods-secret and peer-pods-cm. It runs before the
//     operator creates the CAA DaemonSet and while it deletes the
//     KataConfig.
//   - operatorImageKey: the same file, newImageGenerator's CMimageIDKey
//     (peerpodsCM*ImageKey): the key the operator's image job fills before
//     it starts CAA, unless it is already non-empty (isImageIDSet).
//   - caaRequired: openshift/cloud-api-adaptor osc-release-v1.10
//     (bb4e602cc18c), src/cloud-api-adaptor/entrypoint.sh, each provider
//     function's test_vars: CAA exits when one is empty in its
//     environment (envFrom peer-pods-secret, then peer-pods-cm).
//   - caaUnquoted: the same file: values expanded unquoted into the
//     command line (optionals+="-flag ${VAR} "), which white space splits.
//   - sshMounted: operator controllers/openshift_controller.go
//     processDaemonsetForCAA mounts the whole ssh-key-secret at
//     /root/.ssh; CAA's Azure provider reads $HOME/.ssh/id_rsa.pub
//     (src/cloud-providers/azure/manager.go, provider.go CreateInstance);
//     libvirt's qemu+ssh runs OpenSSH, which needs ~/.ssh/id_rsa and, with
//     no no_verify, ~/.ssh/known_hosts.
type objects struct{ cm, secret []string }

var operatorRequired = map[contract.Cloud]objects{
	contract.AWS: {
		secret: []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
		cm:     []string{"AWS_REGION", "AWS_SUBNET_ID", "AWS_VPC_ID", "AWS_SG_IDS", "CLOUD_PROVIDER"},
	},
	contract.Azure: {
		secret: []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_SUBSCRIPTION_ID"},
		cm:     []string{"AZURE_RESOURCE_GROUP", "AZURE_REGION", "CLOUD_PROVIDER"},
	},
	contract.GCP: {
		secret: []string{"GCP_CREDENTIALS"},
		cm:     []string{"GCP_PROJECT_ID", "GCP_ZONE", "CLOUD_PROVIDER"},
	},
	contract.Libvirt: {
		secret: []string{"CLOUD_PROVIDER", "LIBVIRT_URI"},
		cm:     []string{"CLOUD_PROVIDER", "LIBVIRT_POOL", "LIBVIRT_VOL_NAME", "LIBVIRT_DIR_NAME"},
	},
}

var operatorImageKey = map[contract.Cloud]string{
	contract.AWS: "PODVM_AMI_ID", contract.Azure: "AZURE_IMAGE_ID", contract.GCP: "PODVM_IMAGE_NAME", contract.Libvirt: "LIBVIRT_IMAGE_ID",
}

var caaRequired = map[contract.Cloud][]string{
	contract.AWS:     {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
	contract.Azure:   {"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZURE_SUBNET_ID", "AZURE_IMAGE_ID"},
	contract.GCP:     {"GCP_CREDENTIALS", "GCP_PROJECT_ID", "GCP_ZONE", "PODVM_IMAGE_NAME"},
	contract.Libvirt: {"LIBVIRT_URI"},
}

var caaUnquoted = []string{
	"PAUSE_IMAGE", "TUNNEL_TYPE", "VXLAN_PORT", "PROXY_TIMEOUT", "INITDATA", "FORWARDER_PORT", "PEERPODS_LIMIT_PER_NODE",
	"PODVM_LAUNCHTEMPLATE_NAME", "AWS_SG_IDS", "PODVM_AMI_ID", "PODVM_INSTANCE_TYPE", "PODVM_INSTANCE_TYPES", "AWS_SUBNET_ID",
	"AWS_REGION", "TAGS", "ROOT_VOLUME_SIZE", "AZURE_INSTANCE_SIZES", "PODVM_IMAGE_NAME", "GCP_PROJECT_ID", "GCP_ZONE",
	"GCP_MACHINE_TYPE", "GCP_NETWORK", "GCP_DISK_TYPE", "GCP_CONFIDENTIAL_TYPE", "LIBVIRT_CPU", "LIBVIRT_MEMORY",
}

var sshMounted = map[contract.Cloud][]string{
	contract.Azure:   {"id_rsa.pub"},
	contract.Libvirt: {"id_rsa", "known_hosts"},
}

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

// presentAndNonEmpty is the operator's checkKeysPresentAndNotEmpty rule.
func presentAndNonEmpty(where string, m map[string]string, keys []string) error {
	for _, k := range keys {
		if m[k] == "" {
			return fmt.Errorf("%s: %s missing or empty", where, k)
		}
	}
	return nil
}

// operatorAccepts runs the operator's validatePeerPodsConfigs rules, then
// CAA's entrypoint.sh start checks on the environment the DaemonSet gives
// it: peer-pods-secret and peer-pods-cm (the ConfigMap last), with the image
// key filled by the operator's image job when the stack left it out, and
// ssh-key-secret mounted at /root/.ssh.
func operatorAccepts(cloud contract.Cloud, c cluster) error {
	req := operatorRequired[cloud]
	if c.cm == nil || c.secret == nil {
		return fmt.Errorf("peer-pods-cm or peer-pods-secret missing")
	}
	if err := presentAndNonEmpty("peer-pods-secret", c.secret, req.secret); err != nil {
		return err
	}
	if err := presentAndNonEmpty("peer-pods-cm", c.cm, req.cm); err != nil {
		return err
	}
	env := maps.Clone(c.secret)
	maps.Copy(env, c.cm)
	if k := operatorImageKey[cloud]; env[k] == "" {
		env[k] = "built-by-the-operator-image-job"
	}
	if env["CLOUD_PROVIDER"] != string(cloud) {
		return fmt.Errorf("CAA: CLOUD_PROVIDER is %q", env["CLOUD_PROVIDER"])
	}
	if err := presentAndNonEmpty("CAA environment", env, caaRequired[cloud]); err != nil {
		return err
	}
	for _, k := range caaUnquoted {
		if strings.ContainsAny(env[k], " \t\n") {
			return fmt.Errorf("CAA: %s has white space, which entrypoint.sh splits", k)
		}
	}
	if err := presentAndNonEmpty("/root/.ssh (ssh-key-secret)", c.ssh, sshMounted[cloud]); err != nil {
		return err
	}
	if strings.Contains(env["LIBVIRT_URI"], "no_verify") {
		return fmt.Errorf("CAA: LIBVIRT_URI turns off the host key check")
	}
	return nil
}

// TestOperatorAcceptsExampleStacks renders every example stack's handoff
// and runs it through the operator's and CAA's own checks.
func TestOperatorAcceptsExampleStacks(t *testing.T) {
	for _, stack := range stacktest.ExampleStacks() {
		t.Run(stack, func(t *testing.T) {
			cloud, objs := stacktest.RenderHandoff(t, stack, nil)
			c := clusterOf(t, objs)
			if err := operatorAccepts(cloud, c); err != nil {
				t.Fatal(err)
			}
			// The checks can fail: without one required key, or an
			// empty one, the operator refuses.
			for _, k := range operatorRequired[cloud].secret {
				broken := cluster{cm: c.cm, secret: maps.Clone(c.secret), ssh: c.ssh}
				broken.secret[k] = ""
				if operatorAccepts(cloud, broken) == nil {
					t.Errorf("accepted with an empty %s", k)
				}
			}
			for _, k := range operatorRequired[cloud].cm {
				broken := cluster{cm: maps.Clone(c.cm), secret: c.secret, ssh: c.ssh}
				delete(broken.cm, k)
				if operatorAccepts(cloud, broken) == nil {
					t.Errorf("accepted without %s", k)
				}
			}
		})
	}
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
