package components

import "github.com/peerpods/provisioner/components/contract"

// Where the operator reads its configuration (see package contract).
const (
	// OperatorNamespace is the namespace of the sandboxed-containers operator.
	OperatorNamespace = contract.Namespace
	// ConfigMapName is the peer-pods ConfigMap the operator reads.
	ConfigMapName = contract.ConfigMapName
	// SecretName is the peer-pods Secret the operator reads.
	SecretName = contract.SecretName
	// SSHKeySecretName is the Secret with the SSH key pair (and, for
	// libvirt, the KVM host's pinned key), mounted by CAA at /root/.ssh.
	SSHKeySecretName = contract.SSHKeySecretName
	// ManagedByLabel marks the Kubernetes objects this project writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByTag marks the cloud resources this project creates.
	ManagedByTag = "managed-by"
	// ManagedBy is the value of ManagedByLabel and ManagedByTag.
	ManagedBy = "peerpods"
)

// Cloud is a peer-pods cloud provider, as CLOUD_PROVIDER names it.
type Cloud = contract.Cloud

// The clouds peer pods run on.
const (
	AWS     = contract.AWS
	Azure   = contract.Azure
	GCP     = contract.GCP
	Libvirt = contract.Libvirt
)

// Clouds lists every cloud, in documentation order.
var Clouds = contract.Clouds
