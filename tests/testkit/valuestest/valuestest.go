// Package valuestest holds complete peer-pods values for the tests of the
// values and of the cluster handoff.
package valuestest

import (
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// AWS are complete values for aws (the ConfigMap keys as lower-case
// names).
func AWS() values.Values {
	cm := common.DefaultSettings(contract.AWS).ConfigMap(contract.AWS)
	for _, k := range []string{"AWS_REGION", "AWS_SUBNET_ID", "AWS_VPC_ID", "AWS_SG_IDS", "PODVM_INSTANCE_TYPE", "PODVM_INSTANCE_TYPES", "PODVM_AMI_ID"} {
		cm[k] = strings.ToLower(k)
	}
	return values.Values{
		Cloud:     contract.AWS,
		Identity:  contract.IdentityStatic,
		ConfigMap: values.PlainMap(cm),
		Secret: pulumi.StringMap{
			"AWS_ACCESS_KEY_ID":     pulumi.String("AKIAEXAMPLE"),
			"AWS_SECRET_ACCESS_KEY": pulumi.String("s3cr3t"),
		},
	}
}

// Libvirt are complete values for libvirt, with an ssh-key-secret.
func Libvirt() values.Values {
	cm := common.DefaultSettings(contract.Libvirt).ConfigMap(contract.Libvirt)
	for _, k := range []string{"LIBVIRT_POOL", "LIBVIRT_VOL_NAME", "LIBVIRT_DIR_NAME", "LIBVIRT_NET"} {
		cm[k] = "x"
	}
	return values.Values{
		Cloud:     contract.Libvirt,
		ConfigMap: values.PlainMap(cm),
		Secret:    values.PlainMap(map[string]string{"CLOUD_PROVIDER": "libvirt", "LIBVIRT_URI": "qemu+ssh://root@h/system", "LIBVIRT_POOL": "x", "LIBVIRT_VOL_NAME": "x", "REDHAT_OFFLINE_TOKEN": "t"}),
		SSHKey:    values.PlainMap(map[string]string{"id_rsa": "PRIVATE", "id_rsa.pub": "ssh-rsa AAA", "known_hosts": "h ssh-ed25519 AAA"}),
	}
}

// RequireSecretData fails unless r's data is a secret holding want.
func RequireSecretData(t *testing.T, r pulumitest.Resource, want map[string]any) {
	t.Helper()
	sd := r.Inputs["data"]
	if !sd.IsSecret() {
		t.Fatalf("%s data is not secret: %v", r.Name, sd)
	}
	if got := sd.SecretValue().Element.Mappable(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s data %v\nwant %v", r.Name, got, want)
	}
}

// Plain resolves the keys and values of a plain map.
func Plain(m pulumi.StringMap) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v.(pulumi.String))
	}
	return out
}

// HandoffObjects lists the Kubernetes objects of the handoff registered,
// the node's taints included.
var HandoffObjects = []string{
	"kubernetes:core/v1:ConfigMap handoff-peer-pods-cm",
	"kubernetes:core/v1:Namespace handoff-openshift-sandboxed-containers-operator",
	"kubernetes:core/v1:NodePatch handoff-w",
	"kubernetes:core/v1:Secret handoff-peer-pods-secret",
	"kubernetes:core/v1:Secret handoff-ssh-key-secret",
	"kubernetes:kataconfiguration.openshift.io/v1:KataConfig handoff-cluster-kataconfig",
	"peerpods:kubernetes:NodeTaints handoff-w",
}

// KubernetesObjects lists what the handoff writes to the cluster: the
// pulumi-kubernetes resources and the NodeTaints.
func KubernetesObjects(m *pulumitest.Mocks) []string {
	var out []string
	for _, s := range m.Summary() {
		if strings.HasPrefix(s, "kubernetes:") || strings.HasPrefix(s, handoff.TypeNodeTaints+" ") {
			out = append(out, s)
		}
	}
	return out
}
