package aws

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args are the inputs of PeerPods. The json tags are the stack config names
// (under peerpods:aws) and the names validation errors use.
type Args struct {
	// InstanceID is a worker instance (i-...) whose security groups and
	// subnet are used, the docs' way of finding the worker network.
	// Exclusive with InfraID.
	InstanceID string `json:"instanceId,omitzero" pulumi:"instanceId,optional"`
	// InfraID is the cluster's infrastructure name: of the running
	// instances tagged kubernetes.io/cluster/<InfraID>=owned and named
	// <InfraID>-worker-*, the one with the lowest instance ID gives the
	// security groups and subnet (a stable choice while that worker
	// lives). With peerpods:kubeconfig it is read from the cluster
	// (Infrastructure cluster status.infrastructureName) unless InstanceID
	// is set. Exclusive with InstanceID; one of them is required unless
	// both SecurityGroupIDs and SubnetID are set. With identity workload
	// the pod VMs are tagged kubernetes.io/cluster/<InfraID>=owned (TAGS),
	// the only instances the workload role may create and terminate: the
	// name is then required, from this setting (which may come with both
	// SecurityGroupIDs and SubnetID) or from InstanceID's tags.
	InfraID string `json:"infraId,omitzero" pulumi:"infraId,optional"`

	// SecurityGroupIDs are the worker security groups (AWS_SG_IDS), each
	// of which gets the ingress rules (kata agent and tunnel ports, the
	// group itself as source); they replace the groups read from the
	// worker (default: discovered). With SubnetID set too, no worker is
	// looked up.
	SecurityGroupIDs []string `json:"securityGroupIds,omitzero" pulumi:"securityGroupIds,optional"`
	// SubnetID is the subnet pod VMs are created in (AWS_SUBNET_ID); it
	// replaces the worker's subnet (default: discovered).
	SubnetID string `json:"subnetId,omitzero" pulumi:"subnetId,optional"`
	// VPCID is the cluster VPC (AWS_VPC_ID); it replaces the one read from
	// the subnet (default: the subnet's VPC).
	VPCID string `json:"vpcId,omitzero" pulumi:"vpcId,optional"`

	// PodVMInstanceType is PODVM_INSTANCE_TYPE, the pod VMs' default
	// instance type, default t3.medium. It must be one of
	// PodVMInstanceTypes: cloud-api-adaptor refuses a type that is not
	// listed.
	PodVMInstanceType string `json:"podvmInstanceType,omitzero" pulumi:"podvmInstanceType,optional" jsonschema:"minLength=1"`
	// PodVMInstanceTypes is PODVM_INSTANCE_TYPES, the instance types pods
	// may ask for, default t2.small, t2.medium, t3.medium, t3.large (the
	// docs' list and the default type, DefaultInstanceTypes).
	PodVMInstanceTypes []string `json:"podvmInstanceTypes,omitzero" pulumi:"podvmInstanceTypes,optional"`
	// PodVMAMIID is PODVM_AMI_ID, the pod VM image. Empty (the default)
	// leaves the key to the operator's image job, which builds an AMI;
	// with identity static the stack then makes the S3 bucket
	// (BUCKET_NAME) and the vmimport role the job imports it with.
	// Required with identity workload, whose image job would need rights
	// the stack does not grant.
	PodVMAMIID string `json:"podvmAmiId,omitzero" pulumi:"podvmAmiId,optional"`

	// AdoptRules are IDs (sgr-...) of ingress rules of the worker groups
	// that the stack uses as they are instead of creating its own: a rule
	// made by hand or with the docs' command that lets a peer-pods port in
	// from the group itself. An adopted rule identical to the one the
	// stack would create is imported into the stack's state; a wider one
	// (such as 9000-9999) replaces the stack's rule for the ports it
	// covers. The stack never changes an adopted rule, and destroy leaves
	// it. Without this, a rule identical to the stack's that the stack did
	// not make stops the run before anything is created (AWS would refuse
	// the stack's as a duplicate); the error names the ID to list here.
	AdoptRules []string `json:"adoptRules,omitzero" pulumi:"adoptRules,optional"`

	// Settings are the common peer-pods settings; what is nil or zero
	// takes the default (Settings.WithDefaults).
	Settings *common.Settings `json:"-" pulumi:"settings,optional"`
	// Identity is how cloud-api-adaptor gets its AWS credentials: cco (the
	// default: the operator's CredentialsRequest), static (AccessKeyID and
	// SecretAccessKey in peer-pods-secret) or workload (an IAM role the
	// stack creates, trusted for CAA's service account through the
	// cluster's OIDC issuer, handed to the operator as ROLEARN).
	Identity contract.Identity `json:"-" pulumi:"identity,optional"`
	// OIDCIssuer is the cluster's service-account issuer (Authentication
	// cluster, spec.serviceAccountIssuer), an https URL whose IAM OIDC
	// provider exists in the account; the stack's IAM role trusts it.
	// Workload identity only, where it is required; with
	// peerpods:kubeconfig it is read from the cluster.
	OIDCIssuer string `json:"oidcIssuer,omitzero" pulumi:"oidcIssuer,optional"`
	// AccessKeyID and SecretAccessKey are the credentials cloud-api-adaptor
	// uses; nil leaves them out of the values. They are made secret. Only
	// with identity static.
	AccessKeyID     pulumi.StringInput `json:"-" pulumi:"accessKeyId,optional" provider:"secret"`
	SecretAccessKey pulumi.StringInput `json:"-" pulumi:"secretAccessKey,optional" provider:"secret"`
}

// Defaults of the AWS settings.
const DefaultInstanceType = "t3.medium"

// DefaultInstanceTypes is the default PODVM_INSTANCE_TYPES: the docs' list
// and the default type, which CAA refuses unless listed (CAA
// src/cloud-providers/util.go VerifyCloudInstanceType).
var DefaultInstanceTypes = []string{"t2.small", "t2.medium", "t3.medium", "t3.large"}

// Setting names of the identity inputs.
const (
	settingIssuer          = "aws.oidcIssuer"
	settingAdoptRules      = "aws.adoptRules"
	settingAccessKeyID     = "awsAccessKeyId"
	settingSecretAccessKey = "awsSecretAccessKey"
)

const (
	whatInstance = "a worker instance ID (i- and 8 or 17 hex digits)"
	whatSG       = "a security group ID (sg- and 8 or 17 hex digits)"
	whatSubnet   = "a subnet ID (subnet- and 8 or 17 hex digits)"
	whatVPC      = "a VPC ID (vpc- and 8 or 17 hex digits)"
	whatAMI      = "an AMI ID (ami- and 8 or 17 hex digits), or empty to let the operator build one"
	whatInfraID  = "the cluster's infrastructure name (oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}')"
	whatType     = "an EC2 instance type such as t3.medium"
	whatRule     = "a security group rule ID (sgr- and 8 or 17 hex digits)"
)

// WithDefaults returns a copy of a with the AWS defaults filled in.
func (a Args) WithDefaults() Args {
	a.Settings = a.Settings.WithDefaults(contract.AWS)
	a.Identity = contract.IdentityOr(contract.AWS, a.Identity)
	if a.PodVMInstanceType == "" {
		a.PodVMInstanceType = DefaultInstanceType
	}
	if a.PodVMInstanceTypes == nil {
		a.PodVMInstanceTypes = slices.Clone(DefaultInstanceTypes)
	}
	return a
}

// Validate checks the arguments (after WithDefaults) and reports every
// problem in one error. Settings are named as under the peerpods:aws config
// key, prefixed "aws."; the identity and the keys as the top-level stack
// settings (identity, awsAccessKeyId, awsSecretAccessKey).
func (a Args) Validate() error {
	var p problems.List
	p.Add(identity.CheckIdentity(contract.AWS, a.Identity, identity.Credential{Setting: settingAccessKeyID, Given: a.AccessKeyID != nil}, identity.Credential{Setting: settingSecretAccessKey, Given: a.SecretAccessKey != nil}))
	if a.Identity == contract.IdentityWorkload { // else the issuer is not used
		p.Add(identity.CheckIssuer(settingIssuer, a.OIDCIssuer))
		if a.PodVMAMIID == "" {
			p.Add(workloadWithoutAMI())
		}
	}
	p.Add(a.Settings.ValidateFor(contract.AWS))
	// Without groups or subnet a worker must be found; the VPC can always
	// be read from the subnet.
	needWorker := len(a.SecurityGroupIDs) == 0 || a.SubnetID == ""
	switch {
	case a.InstanceID != "" && a.InfraID != "":
		p.Add(problems.Invalid("aws.instanceId", "and aws.infraId are both set", "set only one of them: they are two ways to find the same worker"))
	case a.InstanceID == "" && a.InfraID == "" && needWorker:
		p.Add(problems.Invalid("aws", "names no way to find the worker network",
			"set aws.instanceId (a worker instance) or aws.infraId (the cluster's infrastructure name), or both aws.securityGroupIds and aws.subnetId"))
	}
	if a.Identity == contract.IdentityWorkload && a.InstanceID == "" && a.InfraID == "" && !needWorker {
		p.Add(problems.Invalid("aws.infraId", "is not set, but identity is workload: the workload role lets cloud-api-adaptor create and terminate only pod VMs tagged "+ClusterTag("<infraId>")+"=owned, and with aws.securityGroupIds and aws.subnetId no worker is read to learn the name",
			"set aws.infraId to "+whatInfraID+", or set aws.instanceId to a worker of the cluster"))
	}
	if a.InstanceID != "" {
		p.Add(check.Pattern("aws.instanceId", a.InstanceID, contract.AWSInstanceIDPattern, whatInstance))
	}
	if a.InfraID != "" {
		p.Add(check.Pattern("aws.infraId", a.InfraID, contract.OpenShiftInfraIDPattern, whatInfraID))
	}
	if a.SecurityGroupIDs != nil {
		if len(a.SecurityGroupIDs) == 0 {
			p.Add(problems.Invalid("aws.securityGroupIds", "is an empty list", "list the worker security groups, or remove the setting to discover them"))
		}
		p.Add(check.Each("aws.securityGroupIds", a.SecurityGroupIDs, contract.AWSSecurityGroupIDPattern, whatSG))
	}
	if a.SubnetID != "" {
		p.Add(check.Pattern("aws.subnetId", a.SubnetID, contract.AWSSubnetIDPattern, whatSubnet))
	}
	if a.VPCID != "" {
		p.Add(check.Pattern("aws.vpcId", a.VPCID, contract.AWSVPCIDPattern, whatVPC))
	}
	p.Add(check.Each(settingAdoptRules, a.AdoptRules, contract.AWSSecurityGroupRuleIDPattern, whatRule))
	if a.PodVMAMIID != "" {
		p.Add(check.Pattern(settingAMI, a.PodVMAMIID, contract.AWSAMIIDPattern, whatAMI))
	}
	p.Add(check.Pattern("aws.podvmInstanceType", a.PodVMInstanceType, contract.EC2InstanceTypePattern, whatType))
	p.Add(check.Each("aws.podvmInstanceTypes", a.PodVMInstanceTypes, contract.EC2InstanceTypePattern, whatType))
	if contract.EC2InstanceTypePattern.MatchString(a.PodVMInstanceType) {
		p.Add(check.Listed("aws.podvmInstanceType", a.PodVMInstanceType, "aws.podvmInstanceTypes", a.PodVMInstanceTypes))
	}
	return p.Err()
}

// discovered are the values of n that discovery decided (the settings the
// user did not give), by setting name.
func (a Args) discovered(n Network) map[string]string {
	m := map[string]string{}
	if a.SubnetID == "" {
		m["aws.subnetId"] = n.SubnetID
	}
	if a.VPCID == "" {
		m["aws.vpcId"] = n.VPCID
	}
	if len(a.SecurityGroupIDs) == 0 {
		m["aws.securityGroupIds"] = strings.Join(n.SecurityGroupIDs, ",")
	}
	return m
}

// PodVMTagValue is the value of the pod VMs' ClusterTag, as the OpenShift
// installer tags what the cluster owns.
const PodVMTagValue = "owned"

// podVMTags are TAGS, the tags cloud-api-adaptor puts on each pod VM
// (CAA osc-release-v1.12 src/cloud-providers/aws/provider.go
// CreateInstance, TagSpecifications of the instance): peerpods:tags and,
// with identity workload, the cluster's ClusterTag, which the workload
// role's policy requires on every instance it creates or terminates
// (CAAPolicy).
func (a Args) podVMTags(n Network) map[string]string {
	tags := maps.Clone(a.Settings.Tags)
	if a.Identity == contract.IdentityWorkload {
		if tags == nil {
			tags = map[string]string{}
		}
		tags[ClusterTag(n.InfraID)] = PodVMTagValue
	}
	return tags
}

// checkWorkloadNetwork checks that workload identity knows the cluster's
// infrastructure name (from aws.infraId or the worker's tags) and that
// peerpods:tags does not give the cluster tag another value.
func (a Args) checkWorkloadNetwork(n Network) error {
	if a.Identity != contract.IdentityWorkload {
		return nil
	}
	if n.InfraID == "" {
		return problems.Invalid("aws.instanceId", fmt.Sprintf("is %q, a worker without one %s=owned tag, but identity workload tags the pod VMs with the cluster's tag", n.InstanceID, ClusterTag("<infraId>")),
			"set aws.infraId to "+whatInfraID+" instead")
	}
	key := ClusterTag(n.InfraID)
	if v, ok := a.Settings.Tags[key]; ok && v != PodVMTagValue {
		return problems.Invalid("tags."+key, fmt.Sprintf("is %q, but identity workload tags the pod VMs %s=%s: the workload role may create and terminate only instances tagged so", v, key, PodVMTagValue),
			"remove the tag from peerpods:tags (the stack adds it)")
	}
	return nil
}
