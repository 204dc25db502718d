package components

// Where the operator reads its configuration.
const (
	// OperatorNamespace is the namespace of the sandboxed-containers operator.
	OperatorNamespace = "openshift-sandboxed-containers-operator"
	// ConfigMapName is the peer-pods ConfigMap the operator reads.
	ConfigMapName = "peer-pods-cm"
	// SecretName is the peer-pods Secret the operator reads.
	SecretName = "peer-pods-secret"
	// SSHKeySecretName is the Secret with the pod VM / KVM host SSH key pair.
	SSHKeySecretName = "ssh-key-secret"
	// ManagedByLabel marks the Kubernetes objects this project writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByTag marks the cloud resources this project creates.
	ManagedByTag = "managed-by"
	// ManagedBy is the value of ManagedByLabel and ManagedByTag.
	ManagedBy = "peerpods"
)

// Cloud is a peer-pods cloud provider, as CLOUD_PROVIDER names it.
type Cloud string

// The clouds peer pods run on.
const (
	AWS     Cloud = "aws"
	Azure   Cloud = "azure"
	GCP     Cloud = "gcp"
	Libvirt Cloud = "libvirt"
)

// Clouds lists every cloud, in documentation order.
var Clouds = []Cloud{AWS, Azure, GCP, Libvirt}

// Common peer-pods-cm keys.
const (
	KeyCloudProvider        = "CLOUD_PROVIDER"
	KeyVXLANPort            = "VXLAN_PORT"
	KeyProxyTimeout         = "PROXY_TIMEOUT"
	KeyPeerPodsLimitPerNode = "PEERPODS_LIMIT_PER_NODE"
	KeyRootVolumeSize       = "ROOT_VOLUME_SIZE"
	KeyTags                 = "TAGS"
	KeyDisableCVM           = "DISABLECVM"
	KeyInitData             = "INITDATA"
)

// AWS keys.
const (
	KeyAWSRegion          = "AWS_REGION"
	KeyAWSSubnetID        = "AWS_SUBNET_ID"
	KeyAWSVPCID           = "AWS_VPC_ID"
	KeyAWSSGIDs           = "AWS_SG_IDS"
	KeyPodVMInstanceType  = "PODVM_INSTANCE_TYPE"
	KeyPodVMInstanceTypes = "PODVM_INSTANCE_TYPES"
	KeyPodVMAMIID         = "PODVM_AMI_ID"

	KeyAWSAccessKeyID     = "AWS_ACCESS_KEY_ID"
	KeyAWSSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
)

// Azure keys.
const (
	KeyAzureRegion         = "AZURE_REGION"
	KeyAzureResourceGroup  = "AZURE_RESOURCE_GROUP"
	KeyAzureSubnetID       = "AZURE_SUBNET_ID"
	KeyAzureNSGID          = "AZURE_NSG_ID"
	KeyAzureInstanceSize   = "AZURE_INSTANCE_SIZE"
	KeyAzureInstanceSizes  = "AZURE_INSTANCE_SIZES"
	KeyAzureImageID        = "AZURE_IMAGE_ID"
	KeyAzureClientID       = "AZURE_CLIENT_ID"
	KeyAzureClientSecret   = "AZURE_CLIENT_SECRET"
	KeyAzureTenantID       = "AZURE_TENANT_ID"
	KeyAzureSubscriptionID = "AZURE_SUBSCRIPTION_ID"
)

// GCP keys.
const (
	KeyGCPProjectID   = "GCP_PROJECT_ID"
	KeyGCPZone        = "GCP_ZONE"
	KeyGCPNetwork     = "GCP_NETWORK"
	KeyGCPMachineType = "GCP_MACHINE_TYPE"
	KeyPodVMImageName = "PODVM_IMAGE_NAME"
	KeyGCPCredentials = "GCP_CREDENTIALS"
)

// libvirt keys.
const (
	KeyLibvirtPool        = "LIBVIRT_POOL"
	KeyLibvirtVolName     = "LIBVIRT_VOL_NAME"
	KeyLibvirtDirName     = "LIBVIRT_DIR_NAME"
	KeyLibvirtNet         = "LIBVIRT_NET"
	KeyLibvirtURI         = "LIBVIRT_URI"
	KeyRedHatOfflineToken = "REDHAT_OFFLINE_TOKEN"
)

// ssh-key-secret keys.
const (
	KeySSHPrivateKey = "id_rsa"
	KeySSHPublicKey  = "id_rsa.pub"
)

// KeySet is the contract with the operator for one cloud: which keys go into
// which object. Required keys must be present (possibly empty); optional
// keys may be left out; no other key is written.
type KeySet struct {
	ConfigMap         []string
	OptionalConfigMap []string
	Secret            []string
	// OptionalSecret are peer-pods-secret keys the operator reads only in
	// some setups; they may be left out.
	OptionalSecret []string
	// SSHKey is true when the cloud needs ssh-key-secret.
	SSHKey bool
}

var commonConfigMap = []string{
	KeyCloudProvider, KeyVXLANPort, KeyProxyTimeout, KeyPeerPodsLimitPerNode,
	KeyRootVolumeSize, KeyTags, KeyDisableCVM,
}

// Keys is the key reference of DESIGN.md, per cloud.
var Keys = map[Cloud]KeySet{
	AWS: {
		ConfigMap: append(commonConfigMap[:len(commonConfigMap):len(commonConfigMap)],
			KeyAWSRegion, KeyAWSSubnetID, KeyAWSVPCID, KeyAWSSGIDs,
			KeyPodVMInstanceType, KeyPodVMInstanceTypes, KeyPodVMAMIID),
		OptionalConfigMap: []string{KeyInitData},
		Secret:            []string{KeyAWSAccessKeyID, KeyAWSSecretAccessKey},
	},
	Azure: {
		ConfigMap: append(commonConfigMap[:len(commonConfigMap):len(commonConfigMap)],
			KeyAzureRegion, KeyAzureResourceGroup, KeyAzureSubnetID, KeyAzureNSGID,
			KeyAzureInstanceSize, KeyAzureInstanceSizes, KeyAzureImageID),
		OptionalConfigMap: []string{KeyInitData},
		Secret:            []string{KeyAzureClientID, KeyAzureClientSecret, KeyAzureTenantID, KeyAzureSubscriptionID},
		SSHKey:            true,
	},
	GCP: {
		ConfigMap: append(commonConfigMap[:len(commonConfigMap):len(commonConfigMap)],
			KeyGCPProjectID, KeyGCPZone, KeyGCPNetwork, KeyGCPMachineType, KeyPodVMImageName),
		OptionalConfigMap: []string{KeyInitData},
		Secret:            []string{KeyGCPCredentials},
	},
	Libvirt: {
		ConfigMap: append(commonConfigMap[:len(commonConfigMap):len(commonConfigMap)],
			KeyLibvirtPool, KeyLibvirtVolName, KeyLibvirtDirName, KeyLibvirtNet),
		OptionalConfigMap: []string{KeyInitData},
		Secret:            []string{KeyLibvirtURI, KeyLibvirtPool, KeyLibvirtVolName},
		// The operator needs the token only to build the pod VM image
		// itself; with the image uploaded into the volume it is unused.
		OptionalSecret: []string{KeyRedHatOfflineToken},
		SSHKey:         true,
	},
}
