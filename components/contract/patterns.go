package contract

import "regexp"

// Patterns of cloud identifiers: the contract's formats and the settings'
// validation (aws, azure, gcp, stacks) use the same ones.
var (
	AWSRegionPattern          = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	AWSSubnetIDPattern        = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	AWSVPCIDPattern           = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	AWSSecurityGroupIDPattern = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	AWSAMIIDPattern           = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	EC2InstanceTypePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	GUIDPattern               = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	AzureImageIDPattern       = regexp.MustCompile(`^/(subscriptions|CommunityGalleries|SharedGalleries)/\S+$`)
	GCPProjectPattern         = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	GCPZonePattern            = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+-[a-z]$`)
	// GCPNamePattern is an RFC 1035 name (networks, images, firewall
	// rules, tags).
	GCPNamePattern = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
)
