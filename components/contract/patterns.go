package contract

import "regexp"

// Fragments of the patterns below, each written once.
const (
	// rfc1035 is a GCP resource name: 1-63 characters, a lower-case
	// letter first, then lower-case letters, digits and '-', not ending
	// in '-' (RFC 1035; GCP's naming convention for networks, subnetworks,
	// firewall rules, images and network tags).
	rfc1035 = `[a-z]([-a-z0-9]{0,61}[a-z0-9])?`
	// gcpProject is a project ID: 6-30 characters, a lower-case letter
	// first, lower-case letters, digits and '-', not ending in '-'.
	gcpProject = `[a-z][a-z0-9-]{4,28}[a-z0-9]`
	// gcpRegion is a region such as us-central1.
	gcpRegion = `[a-z]+-[a-z]+[0-9]+`
	// awsID is the hex part of an EC2 resource ID (8 or 17 digits).
	awsID = `([0-9a-f]{8}|[0-9a-f]{17})`
	// azureNameChar is a character of an Azure network resource name
	// (ASCII letters and digits, '_', '.', '-'); azureNameEnd is its
	// first and last character: alphanumeric, or '_' at the end.
	azureNameChar  = `[A-Za-z0-9_.-]`
	azureNameStart = `[A-Za-z0-9]`
	azureNameEnd   = `[A-Za-z0-9_]`
	// azureRGChar is a character of a resource group name: .NET's \w
	// (Unicode letters, non-spacing marks, decimal digits, connector
	// punctuation such as '_'), '-', '.', '(' and ')'. azureRGEnd is its
	// last character, anything but '.'.
	azureRGChar = `[-\p{L}\p{Mn}\p{Nd}\p{Pc}.()]`
	azureRGEnd  = `[-\p{L}\p{Mn}\p{Nd}\p{Pc}()]`
)

// Patterns of cloud identifiers and names: the contract's formats and the
// settings' validation (aws, azure, gcp, libvirt, stacks) use the same
// ones, so that each rule is written once.
var (
	AWSRegionPattern          = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	AWSInstanceIDPattern      = regexp.MustCompile(`^i-` + awsID + `$`)
	AWSSubnetIDPattern        = regexp.MustCompile(`^subnet-` + awsID + `$`)
	AWSVPCIDPattern           = regexp.MustCompile(`^vpc-` + awsID + `$`)
	AWSSecurityGroupIDPattern = regexp.MustCompile(`^sg-` + awsID + `$`)
	// AWSSecurityGroupRuleIDPattern is a security group rule ID (sgr-).
	AWSSecurityGroupRuleIDPattern = regexp.MustCompile(`^sgr-` + awsID + `$`)
	AWSAMIIDPattern               = regexp.MustCompile(`^ami-` + awsID + `$`)
	// S3BucketPattern is an S3 bucket name (AWS general purpose bucket naming rules).
	S3BucketPattern        = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	EC2InstanceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	// OpenShiftInfraIDPattern is a cluster's infrastructure name
	// (<cluster name>-<5 random characters>, at most 32).
	OpenShiftInfraIDPattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$`)

	GUIDPattern         = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	AzureImageIDPattern = regexp.MustCompile(`^/(subscriptions|CommunityGalleries|SharedGalleries)/\S+$`)
	// AzureResourceGroupPattern is a resource group name: 1-90 Unicode
	// letters, digits, '_', '-', '.', '(' and ')', not ending in '.'
	// (Azure's naming rules, Microsoft.Resources/resourcegroups; the
	// Resources REST API's pattern ^[-\w\._\(\)]+$ with .NET's Unicode \w).
	// The length counts characters, not bytes.
	AzureResourceGroupPattern = regexp.MustCompile(`^` + azureRGChar + `{0,89}` + azureRGEnd + `$`)
	// AzureVNetNamePattern is a virtual network name: 2-64 characters
	// (Azure's naming rules, Microsoft.Network/virtualNetworks).
	AzureVNetNamePattern = regexp.MustCompile(`^` + azureNameStart + azureNameChar + `{0,62}` + azureNameEnd + `$`)
	// AzureNetworkNamePattern is the name of a subnet, network security
	// group, NAT gateway, public IP address or VNet peering: 1-80
	// characters (Azure's naming rules for those Microsoft.Network types).
	AzureNetworkNamePattern = regexp.MustCompile(`^` + azureNameStart + `(` + azureNameChar + `{0,78}` + azureNameEnd + `)?$`)
	// AzureVMSizePattern is a VM size such as Standard_B2als_v2.
	AzureVMSizePattern = regexp.MustCompile(`^[A-Za-z]+_[A-Za-z0-9_]+$`)

	GCPProjectPattern = regexp.MustCompile(`^` + gcpProject + `$`)
	GCPZonePattern    = regexp.MustCompile(`^` + gcpRegion + `-[a-z]$`)
	// GCPNamePattern is an RFC 1035 name (networks, images, firewall
	// rules, tags): 1-63 characters.
	GCPNamePattern = regexp.MustCompile(`^` + rfc1035 + `$`)
	// GCPNetworkPathPattern is GCP_NETWORK: global/networks/<name>,
	// optionally under projects/<project>/.
	GCPNetworkPathPattern = regexp.MustCompile(`^(projects/` + gcpProject + `/)?global/networks/` + rfc1035 + `$`)
	// GCPSubnetworkPattern is GCP_SUBNETWORK: a name, or
	// regions/<region>/subnetworks/<name>, optionally under
	// projects/<project>/.
	GCPSubnetworkPattern  = regexp.MustCompile(`^((projects/` + gcpProject + `/)?regions/` + gcpRegion + `/subnetworks/)?` + rfc1035 + `$`)
	GCPMachineTypePattern = regexp.MustCompile(`^[a-z][a-z0-9]*-[a-z0-9-]+$`)

	// LibvirtNamePattern is a libvirt name as cloud-api-adaptor's
	// entrypoint.sh can pass it (unquoted, so no white space): letters,
	// digits, '.', '_', '+', '-'.
	LibvirtNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.+-]*$`)
)
