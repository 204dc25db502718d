// Package valuestest holds complete peer-pods values for the tests of the
// values and of the cluster handoff.
package valuestest

import (
	"strings"

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
		Secret:    values.PlainMap(map[string]string{"CLOUD_PROVIDER": "libvirt", "LIBVIRT_URI": "qemu+ssh://root@h/system", "REDHAT_OFFLINE_TOKEN": "t"}),
		SSHKey:    values.PlainMap(map[string]string{"id_rsa": "PRIVATE", "id_rsa.pub": "ssh-rsa AAA", "known_hosts": "h ssh-ed25519 AAA"}),
	}
}
