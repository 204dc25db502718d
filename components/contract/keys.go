package contract

import "regexp"

// Key names of peer-pods-cm and peer-pods-secret.
const (
	KeyCloudProvider        = "CLOUD_PROVIDER"
	KeyVXLANPort            = "VXLAN_PORT"
	KeyProxyTimeout         = "PROXY_TIMEOUT"
	KeyPeerPodsLimitPerNode = "PEERPODS_LIMIT_PER_NODE"
	KeyRootVolumeSize       = "ROOT_VOLUME_SIZE"
	KeyTags                 = "TAGS"
	KeyDisableCVM           = "DISABLECVM"
	KeyInitData             = "INITDATA"
	KeyUsePublicIP          = "USE_PUBLIC_IP"

	KeyAWSRegion              = "AWS_REGION"
	KeyAWSSubnetID            = "AWS_SUBNET_ID"
	KeyAWSVPCID               = "AWS_VPC_ID"
	KeyAWSSGIDs               = "AWS_SG_IDS"
	KeyPodVMInstanceType      = "PODVM_INSTANCE_TYPE"
	KeyPodVMInstanceTypes     = "PODVM_INSTANCE_TYPES"
	KeyPodVMAMIID             = "PODVM_AMI_ID"
	KeyPodVMLaunchTemplate    = "PODVM_LAUNCHTEMPLATE_NAME"
	KeyUsePodVMLaunchTemplate = "USE_PODVM_LAUNCHTEMPLATE"
	KeyEnableScratchSpace     = "ENABLE_SCRATCH_SPACE"
	KeyBucketName             = "BUCKET_NAME"
	KeyAWSAccessKeyID         = "AWS_ACCESS_KEY_ID"
	KeyAWSSecretAccessKey     = "AWS_SECRET_ACCESS_KEY"
	KeyAzureRegion            = "AZURE_REGION"
	KeyAzureResourceGroup     = "AZURE_RESOURCE_GROUP"
	KeyAzureSubnetID          = "AZURE_SUBNET_ID"
	KeyAzureNSGID             = "AZURE_NSG_ID"
	KeyAzureInstanceSize      = "AZURE_INSTANCE_SIZE"
	KeyAzureInstanceSizes     = "AZURE_INSTANCE_SIZES"
	KeyAzureImageID           = "AZURE_IMAGE_ID"
	KeyAzureEnableSecureBoot  = "ENABLE_SECURE_BOOT"
	KeyAzureClientID          = "AZURE_CLIENT_ID"
	KeyAzureClientSecret      = "AZURE_CLIENT_SECRET"
	KeyAzureTenantID          = "AZURE_TENANT_ID"
	KeyAzureSubscriptionID    = "AZURE_SUBSCRIPTION_ID"
	KeyGCPProjectID           = "GCP_PROJECT_ID"
	KeyGCPZone                = "GCP_ZONE"
	KeyGCPNetwork             = "GCP_NETWORK"
	KeyGCPSubnetwork          = "GCP_SUBNETWORK"
	KeyGCPMachineType         = "GCP_MACHINE_TYPE"
	KeyGCPDiskType            = "GCP_DISK_TYPE"
	KeyGCPConfidentialType    = "GCP_CONFIDENTIAL_TYPE"
	KeyPodVMImageName         = "PODVM_IMAGE_NAME"
	KeyGCPCredentials         = "GCP_CREDENTIALS"
	KeyLibvirtURI             = "LIBVIRT_URI"
	KeyLibvirtPool            = "LIBVIRT_POOL"
	KeyLibvirtVolName         = "LIBVIRT_VOL_NAME"
	KeyLibvirtDirName         = "LIBVIRT_DIR_NAME"
	KeyLibvirtNet             = "LIBVIRT_NET"
	KeyLibvirtImageID         = "LIBVIRT_IMAGE_ID"
	KeyLibvirtCPU             = "LIBVIRT_CPU"
	KeyLibvirtMemory          = "LIBVIRT_MEMORY"
	KeyRedHatOfflineToken     = "REDHAT_OFFLINE_TOKEN"
	KeyHostKeyCerts           = "HOST_KEY_CERTS"
	KeySSHPrivateKey          = "id_rsa"
	KeySSHPublicKey           = "id_rsa.pub"
	KeySSHKnownHosts          = "known_hosts"
	entrypoint                = "CAA src/cloud-api-adaptor/entrypoint.sh "
	validator                 = "operator controllers/image_generator.go validatePeerPodsConfigs"
	caaFlag                   = "CAA src/cloud-providers/"
	operatorImageGenerator    = "operator controllers/image_generator.go newImageGenerator (CMimageIDKey), isImageIDSet"
	operatorHandler           = "operator config/peerpods/podvm/"
	caaDaemonSetMountsSSHKeys = "operator controllers/openshift_controller.go processDaemonsetForCAA (the whole ssh-key-secret at /root/.ssh, mode 0600)"
	azureKeyInMemory          = CAA111 + " src/cloud-providers/azure/provider.go generateSSHPublicKey (a key made in memory; cherry-pick 3a7eeb126f22, PR #248)"
	libvirtBoth               = "the 1.10 operator's validatePeerPodsConfigs wants them in peer-pods-cm, Red Hat's QE checkPeerPodSecrets in peer-pods-secret; CAA reads both through envFrom, peer-pods-cm winning"
)

var (
	reAzureRegion  = regexp.MustCompile(`^[a-z][a-z0-9]+$`)
	reAbsolutePath = regexp.MustCompile(`^/[^\x00]*$`)
	reAccessKeyID  = regexp.MustCompile(`^(AKIA|ASIA)[A-Z0-9]{16}$`)
)

// Formats shared by several keys.
var (
	awsRegion     = Pattern("an AWS region such as us-east-2", AWSRegionPattern)
	ec2Type       = Pattern("an EC2 instance type such as t3.medium", EC2InstanceTypePattern)
	azureSize     = Pattern("an Azure VM size such as Standard_B2als_v2", AzureVMSizePattern)
	libvirtName   = Pattern("a libvirt name (letters, digits, . _ + -)", LibvirtNamePattern)
	rootVolume    = IntRange(1, 65536)
	limitPerNode  = IntRange(1, 10000)
	gcpMachine    = Pattern("a GCP machine type such as e2-medium", GCPMachineTypePattern)
	gcpImageName  = Pattern("a GCP image name (lower case letters, digits and -, at most 63)", GCPNamePattern)
	azureImageID  = Pattern("an Azure image ID (/subscriptions/…, /CommunityGalleries/… or /SharedGalleries/…)", AzureImageIDPattern)
	azureSubnetID = AzureID("an Azure subnet ID (…/virtualNetworks/<vnet>/subnets/<subnet>)", "Microsoft.Network/virtualNetworks")
	azureNSGID    = AzureID("an Azure network security group ID", "Microsoft.Network/networkSecurityGroups")
)

// common are the keys every cloud's CAA reads, in every cloud's contract;
// cloudProvider is where CLOUD_PROVIDER goes and how much it is needed.
func common(c Cloud, cloudProviderIn Object, cloudProviderNeed Need) []Key {
	return join([]Key{
		{Name: KeyCloudProvider, In: cloudProviderIn, Need: cloudProviderNeed, Owner: Stack, Format: cloudName(c),
			Setting: "peerpods:cloud", Doc: "the cloud CAA drives",
			Source: validator + "; " + entrypoint + "(dispatch on $CLOUD_PROVIDER)"},
		{Name: KeyVXLANPort, In: ConfigMap, Owner: Stack, Format: Port, Setting: "peerpods:tunnelPort",
			Doc: "the VXLAN tunnel port between worker and pod VM", Source: entrypoint + "(-vxlan-port)"},
		{Name: KeyProxyTimeout, In: ConfigMap, Owner: Stack, Format: Duration, Setting: "peerpods:proxyTimeout",
			Doc: "how long CAA waits for a pod VM's agent", Source: entrypoint + "(-proxy-timeout)"},
		{Name: KeyPeerPodsLimitPerNode, In: ConfigMap, Owner: Stack, Format: limitPerNode, Setting: "peerpods:limitPerNode",
			Doc: "pod VMs per worker node (the PeerPodConfig's former spec.limit)", Source: entrypoint + "(-peerpods-limit-per-node); operator controllers/migrate.go migratePeerPodsLimit"},
		{Name: KeyDisableCVM, In: ConfigMap, Owner: OperatorOwned, Format: Bool, Setting: "none: the operator's confidential feature gate (ConfigMap osc-feature-gates)",
			Doc:    "true runs pod VMs without confidential computing; the operator rewrites it on every reconcile, so the stack never writes it",
			Source: entrypoint + "(-disable-cvm when \"true\"); operator controllers/confidential_handler.go handleFeatureConfidential, from fg_handler.go processFeatureGates"},
		{Name: KeyInitData, In: ConfigMap, Owner: OperatorOwned, Format: InitData, Setting: "peerpods:initdataFile or peerpods:initdata",
			Doc:    "default initdata (Kata agent policy and more) of every pod VM; written only when set (later operators write a default of their own)",
			Source: entrypoint + "(-initdata); CAA pkg/initdata/initdata.go Parse, checked at start in cmd/cloud-api-adaptor/main.go"},
	}, lineKeys())
}

// lineKeys are the keys of every cloud that only some lines read:
// secure comms, gone in 1.12, and the scratch space, new in 1.11.
func lineKeys() []Key {
	var out []Key
	for _, sc := range []struct {
		name, flag string
		format     Format
		doc        string
	}{
		{"SECURE_COMMS", "-secure-comms", Bool, "secure communications between CAA and the pod VM (SSH tunnels)"},
		{"SECURE_COMMS_NO_TRUSTEE", "-secure-comms-no-trustee", Bool, "secure comms without Trustee"},
		{"SECURE_COMMS_INBOUNDS", "-secure-comms-inbounds", Word, "inbound tunnels of secure comms"},
		{"SECURE_COMMS_OUTBOUNDS", "-secure-comms-outbounds", Word, "outbound tunnels of secure comms"},
		{"SECURE_COMMS_PP_INBOUNDS", "-secure-comms-pp-inbounds", Word, "pod VM inbound tunnels of secure comms"},
		{"SECURE_COMMS_PP_OUTBOUNDS", "-secure-comms-pp-outbounds", Word, "pod VM outbound tunnels of secure comms"},
		{"SECURE_COMMS_KBS_ADDR", "-secure-comms-kbs", Word, "the Trustee (KBS) address of secure comms"},
	} {
		out = append(out, Key{Name: sc.name, In: ConfigMap, Owner: User, Format: sc.format, Setting: ExtraSetting, Doc: sc.doc,
			Source: entrypoint + "(" + sc.flag + "); gone from " + CAA112 + " entrypoint.sh and cmd/cloud-api-adaptor/main.go", Until: Line112})
	}
	return append(out, Key{Name: KeyEnableScratchSpace, In: ConfigMap, Owner: User, Format: Bool, Setting: ExtraSetting,
		Doc:    "give the pod VM a scratch disk for container images",
		Source: CAA111 + " src/cloud-api-adaptor/entrypoint.sh (-enable-scratch-space); " + CAA112 + " cmd/cloud-api-adaptor/main.go BoolWithEnv", Since: Line111})
}

// vmKeys are the pod VM keys the public clouds' CAA reads.
func vmKeys(c Cloud) []Key {
	fn := string(c) + "()"
	return []Key{
		{Name: KeyRootVolumeSize, In: ConfigMap, Owner: Stack, Format: rootVolume, Setting: "peerpods:rootVolumeSize",
			Doc: "pod VM root volume size in GB", Source: entrypoint + fn + " (-root-volume-size)"},
		{Name: KeyTags, In: ConfigMap, Owner: User, Format: KeyValueList, Setting: "peerpods:tags",
			Doc: "tags of the pod VMs; written only when set, and on AWS with identity workload always, with kubernetes.io/cluster/<infraID>=owned, the tag the workload role's policy requires", Source: entrypoint + fn + " (-tags)"},
	}
}

func usePublicIP(c Cloud) Key {
	return Key{Name: KeyUsePublicIP, In: ConfigMap, Owner: User, Format: Bool, Setting: ExtraSetting,
		Doc: "give pod VMs a public IP and reach the agent through it", Source: entrypoint + string(c) + "() (-use-public-ip when \"true\")"}
}

func join(parts ...[]Key) []Key {
	var out []Key
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var sets = map[Cloud]Set{
	AWS: {Cloud: AWS, Keys: join(common(AWS, ConfigMap, NeededByOperator), []Key{
		{Name: KeyAWSRegion, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: awsRegion,
			Setting: "the AWS provider's region (peerpods:aws.region)", Doc: "region of the pod VMs", Source: validator + "; " + entrypoint + "aws() (-aws-region)"},
		{Name: KeyAWSSubnetID, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: Pattern("a subnet ID", AWSSubnetIDPattern),
			Setting: "discovered (peerpods:aws.subnetId)", Doc: "subnet of the pod VMs", Source: validator + "; " + entrypoint + "aws() (-subnetid)"},
		{Name: KeyAWSVPCID, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: Pattern("a VPC ID", AWSVPCIDPattern),
			Setting: "discovered (peerpods:aws.vpcId)", Doc: "the cluster VPC", Source: validator},
		{Name: KeyAWSSGIDs, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: CommaList(Pattern("a security group ID", AWSSecurityGroupIDPattern)),
			Setting: "discovered (peerpods:aws.securityGroupIds)", Doc: "security groups of the pod VMs", Source: validator + "; " + entrypoint + "aws() (-securitygroupids)"},
		{Name: KeyPodVMInstanceType, In: ConfigMap, Owner: Stack, Format: ec2Type, Setting: "peerpods:aws.podvmInstanceType",
			Doc:    "default pod VM instance type; must be one of PODVM_INSTANCE_TYPES",
			Source: entrypoint + "aws() (-instance-type); " + caaFlag + "util.go VerifyCloudInstanceType"},
		{Name: KeyPodVMInstanceTypes, In: ConfigMap, Owner: Stack, Format: CommaList(ec2Type), Setting: "peerpods:aws.podvmInstanceTypes",
			Doc: "instance types pods may ask for", Source: entrypoint + "aws() (-instance-types)"},
		{Name: KeyPodVMAMIID, In: ConfigMap, Owner: OperatorOwned, Format: Pattern("an AMI ID", AWSAMIIDPattern), Setting: "peerpods:aws.podvmAmiId",
			Doc:    "pod VM image; left to the operator's image job unless set",
			Source: operatorImageGenerator + " (peerpodsCMAWSImageKey); " + entrypoint + "aws() (-imageid)"},
	}, vmKeys(AWS), []Key{
		usePublicIP(AWS),
		{Name: KeyBucketName, In: ConfigMap, Owner: Stack, Format: Pattern("an S3 bucket name (3-63 lower case letters, digits, . and -)", S3BucketPattern),
			Setting: "created by the stack with static credentials and no peerpods:aws.podvmAmiId",
			Doc:     "S3 bucket the operator's image job uploads the pod VM disk to before importing it as an AMI (with the vmimport role); later operators' manual-credential path needs it made beforehand (docs/credentials-handling.md), while 1.10's ami-helper.sh create_bucket makes it itself without checking (set -e), which fails outside us-east-1 on a bucket that exists",
			Source:  operatorHandler + "osc-podvm-create-job.yaml (envFrom peer-pods-cm), aws-podvm-image-handler.sh prepare_for_prebuilt_artifact"},
		{Name: KeyPodVMLaunchTemplate, In: ConfigMap, Owner: User, Format: Word, Setting: ExtraSetting,
			Doc: "launch template for the pod VMs (takes precedence over the other VM keys); from 1.12 it only names the template, which USE_PODVM_LAUNCHTEMPLATE turns on", Source: entrypoint + "aws() (-use-lt -aws-lt-name); " + CAA112 + " src/cloud-providers/aws/manager.go ParseCmd"},
		{Name: KeyUsePodVMLaunchTemplate, In: ConfigMap, Owner: User, Format: Bool, Setting: ExtraSetting,
			Doc: "use the launch template PODVM_LAUNCHTEMPLATE_NAME names", Source: CAA112 + " src/cloud-providers/aws/manager.go ParseCmd (USE_PODVM_LAUNCHTEMPLATE)", Since: Line112},
		{Name: KeyAWSAccessKeyID, In: Secret, Need: NeededByOperator, Owner: User, Format: Pattern("an access key ID (AKIA or ASIA and 16 characters)", reAccessKeyID),
			Setting: "peerpods:awsAccessKeyId", Doc: "CAA's AWS credentials", Source: validator + "; " + entrypoint + "aws() (test_vars)"},
		{Name: KeyAWSSecretAccessKey, In: Secret, Need: NeededByOperator, Owner: User, Sensitive: true, Format: Opaque,
			Setting: "peerpods:awsSecretAccessKey", Doc: "CAA's AWS credentials", Source: validator + "; " + entrypoint + "aws() (test_vars)"},
	})},

	Azure: {Cloud: Azure, Keys: join(common(Azure, ConfigMap, NeededByOperator), []Key{
		{Name: KeyAzureRegion, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: Pattern("an Azure region such as eastus", reAzureRegion),
			Setting: "discovered from the resource group", Doc: "region of the pod VMs", Source: validator + "; " + entrypoint + "azure() (-region)"},
		{Name: KeyAzureResourceGroup, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: Pattern("a resource group name", AzureResourceGroupPattern),
			Setting: "peerpods:azure.podvmResourceGroup (default: with identity workload <resourceGroup>-podvms, a group the stack creates; else peerpods:azure.resourceGroup)", Doc: "where pod VMs are created", Source: validator + "; " + entrypoint + "azure() (test_vars)"},
		{Name: KeyAzureSubnetID, In: ConfigMap, Need: NeededByCAA, Owner: Stack, Format: azureSubnetID,
			Setting: "discovered, or the peer-pod subnet", Doc: "subnet of the pod VMs", Source: entrypoint + "azure() (test_vars)"},
		{Name: KeyAzureNSGID, In: ConfigMap, Owner: Stack, Format: azureNSGID,
			Setting: "discovered (peerpods:azure.nsgName)", Doc: "NSG of the pod VMs' NICs", Source: entrypoint + "azure() (-securitygroupid)"},
		{Name: KeyAzureInstanceSize, In: ConfigMap, Owner: Stack, Format: azureSize, Setting: "peerpods:azure.instanceSize",
			Doc: "default pod VM size; must be one of AZURE_INSTANCE_SIZES", Source: entrypoint + "azure() (-instance-size); " + caaFlag + "util.go VerifyCloudInstanceType"},
		{Name: KeyAzureInstanceSizes, In: ConfigMap, Owner: Stack, Format: CommaList(azureSize), Setting: "peerpods:azure.instanceSizes",
			Doc: "sizes pods may ask for", Source: entrypoint + "azure() (-instance-sizes)"},
		{Name: KeyAzureImageID, In: ConfigMap, Need: NeededByCAA, Owner: OperatorOwned, Format: azureImageID, Setting: "peerpods:azure.imageId",
			Doc:    "pod VM image; left to the operator's image job unless set",
			Source: operatorImageGenerator + " (peerpodsCMAzureImageKey); " + entrypoint + "azure() (test_vars)"},
	}, vmKeys(Azure), []Key{
		usePublicIP(Azure),
		{Name: KeyAzureEnableSecureBoot, In: ConfigMap, Owner: User, Format: Bool, Setting: ExtraSetting,
			Doc: "secure boot for the pod VMs", Source: entrypoint + "azure() (-enable-secure-boot when \"true\")"},
		{Name: KeyAzureClientID, In: Secret, Need: NeededByOperator, Owner: User, Format: UUID, Setting: "peerpods:azureClientId",
			Doc: "CAA's service principal", Source: validator + "; " + entrypoint + "azure() (test_vars)"},
		{Name: KeyAzureClientSecret, In: Secret, Need: NeededByOperator, Owner: User, Sensitive: true, Format: Opaque, Setting: "peerpods:azureClientSecret",
			Doc: "CAA's service principal", Source: validator},
		{Name: KeyAzureTenantID, In: Secret, Need: NeededByOperator, Owner: User, Format: UUID, Setting: "peerpods:azureTenantId",
			Doc: "CAA's service principal", Source: validator + "; " + entrypoint + "azure() (test_vars)"},
		{Name: KeyAzureSubscriptionID, In: Secret, Need: NeededByOperator, Owner: Stack, Format: UUID,
			Setting: "peerpods:azure.subscriptionId, or the resource group's", Doc: "subscription of the pod VMs", Source: validator + "; " + entrypoint + "azure() (test_vars)"},
	}), SSHKeys: []Key{
		{Name: KeySSHPublicKey, In: Secret, Need: NeededByCAA, Owner: Stack, Format: PublicKey, Setting: "generated, or from peerpods:sshPrivateKey",
			Doc: "installed in the pod VMs", Source: caaFlag + "azure/manager.go ParseCmd (-ssh-key-path $HOME/.ssh/id_rsa.pub), azure/provider.go CreateInstance; " + caaDaemonSetMountsSSHKeys + "; not read from 1.11: " + azureKeyInMemory,
			Until: Line111},
		{Name: KeySSHPrivateKey, In: Secret, Owner: Stack, Sensitive: true, Format: PrivateKey, Setting: "generated, or peerpods:sshPrivateKey",
			Doc: "the pair's private key", Source: operatorHandler + "osc-podvm-create-job.yaml (mounts only id_rsa at /root/.ssh)", Until: Line111},
	}},

	GCP: {Cloud: GCP, Keys: join(common(GCP, ConfigMap, NeededByOperator), []Key{
		{Name: KeyGCPProjectID, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: Pattern("a GCP project ID", GCPProjectPattern),
			Setting: "peerpods:gcp.projectId", Doc: "project of the pod VMs", Source: validator + "; " + entrypoint + "gcp() (test_vars, -gcp-project-id)"},
		{Name: KeyGCPZone, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: Pattern("a GCP zone such as us-central1-a", GCPZonePattern),
			Setting: "peerpods:gcp.zone", Doc: "zone of the pod VMs", Source: validator + "; " + entrypoint + "gcp() (test_vars, -zone)"},
		{Name: KeyGCPNetwork, In: ConfigMap, Owner: Stack, Format: Pattern("global/networks/<network>", GCPNetworkPathPattern),
			Setting: "peerpods:gcp.network", Doc: "VPC network of the pod VMs", Source: entrypoint + "gcp() (-network)"},
		{Name: KeyGCPSubnetwork, In: ConfigMap, Owner: User, Format: Pattern("a subnetwork name or regions/<region>/subnetworks/<name>", GCPSubnetworkPattern),
			Setting: "peerpods:gcp.subnetwork", Doc: "subnetwork of the pod VMs, needed in custom-mode VPCs",
			Source: CAA112 + " src/cloud-providers/gcp/manager.go ParseCmd (GCP_SUBNETWORK)", Since: Line112},
		{Name: KeyGCPMachineType, In: ConfigMap, Owner: Stack, Format: gcpMachine, Setting: "peerpods:gcp.machineType",
			Doc: "pod VM machine type", Source: entrypoint + "gcp() (-machine-type)"},
		{Name: KeyPodVMImageName, In: ConfigMap, Need: NeededByCAA, Owner: OperatorOwned, Format: gcpImageName, Setting: "peerpods:gcp.podvmImageName",
			Doc:    "pod VM image; CAA exits without it, so unless set the operator's image job builds one and writes it before it starts CAA",
			Source: operatorImageGenerator + " (peerpodsCMGCPImageKey); " + operatorHandler + "podvm-builder.sh create_podvm_image; " + entrypoint + "gcp() (test_vars, -image-name)"},
	}, vmKeys(GCP), []Key{
		{Name: KeyGCPDiskType, In: ConfigMap, Owner: User, Format: OneOf("pd-standard", "pd-ssd", "pd-balanced", "pd-extreme"), Setting: ExtraSetting,
			Doc: "pod VM disk type (default pd-standard)", Source: entrypoint + "gcp() (-disk-type); " + caaFlag + "gcp/manager.go ParseCmd"},
		{Name: KeyGCPConfidentialType, In: ConfigMap, Owner: User, Format: OneOf("TDX", "SEV", "SEV_SNP"), Setting: ExtraSetting,
			Doc: "confidential VM type when DISABLECVM is false", Source: entrypoint + "gcp() (-confidential-type); " + caaFlag + "gcp/manager.go ParseCmd"},
		{Name: KeyGCPCredentials, In: Secret, Need: NeededByOperator, Owner: User, Sensitive: true, Format: ServiceAccountKey, Setting: "peerpods:gcpCredentials",
			Doc: "CAA's service-account key", Source: validator + "; " + entrypoint + "gcp() (test_vars, GOOGLE_APPLICATION_CREDENTIALS)"},
	})},

	Libvirt: {Cloud: Libvirt, Keys: join(common(Libvirt, Both, NeededByOperator), []Key{
		{Name: KeyLibvirtURI, In: Secret, Need: NeededByOperator, Owner: Stack, Format: LibvirtURI,
			Setting: "from peerpods:libvirt.host", Doc: "qemu+ssh URI of the KVM host, host key checked", Source: validator + "; " + entrypoint + "libvirt() (test_vars, -uri)"},
		{Name: KeyLibvirtPool, In: Both, Need: NeededByOperator, Owner: Stack, Format: libvirtName, Setting: "peerpods:libvirt.pool",
			Doc: "storage pool of the pod VM volumes; in both objects, since the readers disagree on where (" + libvirtBoth + ")", Source: validator + "; " + entrypoint + "libvirt() (-pool-name)"},
		{Name: KeyLibvirtVolName, In: Both, Need: NeededByOperator, Owner: Stack, Format: libvirtName, Setting: "peerpods:libvirt.volume",
			Doc: "the pod VM base image volume; in both objects, as LIBVIRT_POOL", Source: validator + "; " + caaFlag + "libvirt/manager.go LoadEnv"},
		{Name: KeyLibvirtNet, In: ConfigMap, Owner: Stack, Format: libvirtName, Setting: "peerpods:libvirt.network",
			Doc: "libvirt network of the pod VMs", Source: entrypoint + "libvirt() (-network-name, default \"default\")"},
		{Name: KeyLibvirtDirName, In: ConfigMap, Need: NeededByOperator, Owner: Stack, Format: Pattern("an absolute path", reAbsolutePath), Setting: "peerpods:libvirt.dir",
			Doc: "directory of the storage pool (the operator's image job reads it; CAA does not)", Source: validator + "; " + operatorHandler + "libvirt-podvm-image-handler.sh (pool target)"},
		{Name: KeyLibvirtImageID, In: ConfigMap, Owner: OperatorOwned, Format: libvirtName,
			Setting: "LIBVIRT_VOL_NAME when the stack uploads peerpods:libvirt.image",
			Doc:     "set by the operator's image job once the image is in the volume; while set, the operator runs no image job of its own",
			Source:  operatorImageGenerator + " (peerpodsLibvirtImageKey); " + operatorHandler + "libvirt-podvm-image-handler.sh add_libvirt_vol_to_peer_pods_cm (LIBVIRT_IMAGE_ID=${LIBVIRT_VOL_NAME})"},
		{Name: KeyLibvirtCPU, In: ConfigMap, Owner: User, Format: IntRange(1, 512), Setting: ExtraSetting,
			Doc: "vCPUs of a pod VM (default 2)", Source: entrypoint + "libvirt() (-cpu); " + caaFlag + "libvirt/manager.go ParseCmd"},
		{Name: KeyLibvirtMemory, In: ConfigMap, Owner: User, Format: IntRange(128, 4194304), Setting: ExtraSetting,
			Doc: "memory of a pod VM in MiB (default 8192)", Source: entrypoint + "libvirt() (-memory); " + caaFlag + "libvirt/manager.go ParseCmd"},
		{Name: KeyHostKeyCerts, In: Secret, Owner: User, Format: Text, Setting: "peerpods:hostKeyCerts",
			Doc:    "IBM Z Secure Execution host key documents (PEM) for the operator's own image build; not read by CAA",
			Source: "operator config/peerpods/peerpodssecret.yaml (#HOST_KEY_CERTS); " + operatorHandler + "libvirt-podvm-image-handler.sh"},
		{Name: KeyRedHatOfflineToken, In: Secret, Owner: User, Sensitive: true, Format: Opaque, Setting: "peerpods:redhatOfflineToken",
			Doc:    "only for the operator's own image build (not needed when the stack uploads the image)",
			Source: operatorHandler + "libvirt-podvm-image-handler.sh (error_exit when empty)"},
	}), SSHKeys: []Key{
		{Name: KeySSHPrivateKey, In: Secret, Need: NeededByCAA, Owner: Stack, Sensitive: true, Format: PrivateKey, Setting: "generated, or peerpods:sshPrivateKey",
			Doc: "the key libvirt's qemu+ssh (OpenSSH) logs in to the KVM host with, ~/.ssh/id_rsa", Source: caaDaemonSetMountsSSHKeys + "; OpenSSH default identity"},
		{Name: KeySSHPublicKey, In: Secret, Owner: Stack, Format: PublicKey, Setting: "generated, or from peerpods:sshPrivateKey",
			Doc: "the pair's public key, installed on the KVM host", Source: "the docs' ssh-key-secret (--from-file=id_rsa.pub)"},
		{Name: KeySSHKnownHosts, In: Secret, Need: NeededByCAA, Owner: Stack, Format: KnownHosts, Setting: "the pinned host key (peerpods:libvirt.host.knownHostKey, or first contact)",
			Doc: "the KVM host's pinned key, ~/.ssh/known_hosts, which OpenSSH checks since LIBVIRT_URI has no no_verify", Source: caaDaemonSetMountsSSHKeys + "; OpenSSH UserKnownHostsFile"},
	}},
}
