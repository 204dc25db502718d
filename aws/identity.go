package aws

import (
	"fmt"
	"slices"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/problems"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Sources the workload-identity code cites.
const (
	// caaSource is cloud-api-adaptor's AWS provider, OSC 1.12 (the same
	// calls as in 1.10 and 1.11).
	caaSource = "openshift/cloud-api-adaptor@osc-release-v1.12 src/cloud-providers/aws/provider.go"
	// imageHandler is the operator's AWS image job in OSC 1.10.0, which
	// runs only with static keys (verify_vars requires AWS_ACCESS_KEY_ID
	// and AWS_SECRET_ACCESS_KEY).
	imageHandler = "sandboxed-containers-operator@8bdc9075055a config/peerpods/podvm/aws-podvm-image-handler.sh"
	// irsaImageHandler and irsaAMIHelper are the newer job, which also
	// runs with a web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE).
	irsaImageHandler = "openshift/sandboxed-containers-operator@1a77e56459d7 config/peerpods/podvm/aws-podvm-image-handler.sh"
	irsaAMIHelper    = "openshift/sandboxed-containers-operator@11a668a9005e config/peerpods/podvm/ami-helper.sh"
	// stsCredentialsRequest is what the operator asks of ccoctl for its
	// image job in the STS flow: S3 on podvm-* buckets, IAM writes on
	// role/vmimport (openshift/sandboxed-containers-operator@c75475003eac
	// config/peerpods/credentials-requests/ccoctl/credentials_request_aws_sts.yaml).
	stsCredentialsRequest = "sandboxed-containers-operator@c75475003eac credentials_request_aws_sts.yaml"
)

// settingAMI is the setting of the pod VM AMI.
const settingAMI = "aws.podvmAmiId"

// workloadWithoutAMI is the error of workload identity without an AMI:
// the operator's image job cannot build one with a least-privilege role.
// Its web-identity branch (irsaImageHandler prepare_for_prebuilt_artifact)
// runs ami-helper.sh -s -b BUCKET_NAME (irsaAMIHelper), which, under
// set -e, always calls s3api create-bucket, then get-role (create-role
// when that fails) and put-role-policy on vmimport; only the static-keys
// branch checks for an existing bucket (head-bucket). It thus needs
// s3:CreateBucket and IAM writes on role/vmimport (as
// stsCredentialsRequest asks), with which the role, while no vmimport
// role exists, could create one trusting itself, give it any policy and
// assume it: account admin. The stack grants neither, so it neither
// provides the bucket and vmimport role nor gives the workload role an
// image policy. OSC 1.10.0's job has no web-identity support at all
// (imageHandler verify_vars).
func workloadWithoutAMI() error {
	return problems.Invalid(settingAMI,
		fmt.Sprintf("is not set, but identity is workload: the operator's image job would build the AMI as the workload role, and under workload identity (%s, prepare_for_prebuilt_artifact) it always creates an S3 bucket and writes the policy of the IAM role vmimport, rights this stack does not grant (they would let the role make itself account administrator)", irsaImageHandler),
		"build or choose the pod VM AMI and set aws.podvmAmiId (for example build it once with peerpods:identity static or cco), then use workload identity")
}

// VMImportRole is the service role AWS VM Import/Export assumes; its name
// is fixed and account-wide.
const VMImportRole = "vmimport"

// workloadPlan is what workload identity reads from the account before
// anything is registered.
type workloadPlan struct {
	arns arns
	// provider is the ARN of the IAM OIDC provider of the issuer, host
	// the issuer without https://.
	provider, host string
}

// lookupWorkload reads the account, the partition and the IAM OIDC
// provider of the cluster's issuer, which must exist: the stack never
// creates or deletes it (ccoctl made it with the cluster).
func lookupWorkload(ctx *pulumi.Context, args Args, region string, via pulumi.InvokeOption) (workloadPlan, error) {
	a, err := lookupAccount(ctx, region, via)
	if err != nil {
		return workloadPlan{}, err
	}
	host := identity.IssuerHost(args.OIDCIssuer)
	want := a.oidcProvider(host)
	const how = "the cluster must be installed with short-lived credentials (ccoctl aws create-all, or create-identity-provider, makes the provider with the cluster's S3-hosted issuer); check that the AWS provider uses the cluster's account and that the issuer is the cluster's: oc get authentication cluster -o jsonpath='{.spec.serviceAccountIssuer}'"
	url := "https://" + host // as IAM keeps it: no trailing slash
	p, err := iam.LookupOpenIdConnectProvider(ctx, &iam.LookupOpenIdConnectProviderArgs{Url: &url}, via)
	if err != nil {
		return workloadPlan{}, problems.Invalid(settingIssuer,
			fmt.Sprintf("is %q, but the IAM OIDC provider %s cannot be read (%v)", args.OIDCIssuer, want, err), how)
	}
	if p.Arn != want {
		return workloadPlan{}, problems.Invalid(settingIssuer,
			fmt.Sprintf("is %q, and the IAM OIDC provider for it is %s, not %s in the AWS provider's account", args.OIDCIssuer, p.Arn, want), how)
	}
	if !slices.Contains(p.ClientIdLists, contract.WorkloadAudience) {
		return workloadPlan{}, problems.Invalid(settingIssuer,
			fmt.Sprintf("is %q, whose IAM OIDC provider %s does not accept the audience %q of the token the operator gives cloud-api-adaptor (it accepts %v)", args.OIDCIssuer, want, contract.WorkloadAudience, p.ClientIdLists),
			fmt.Sprintf("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn %s --client-id %s", want, contract.WorkloadAudience))
	}
	return workloadPlan{arns: a, provider: want, host: host}, nil
}

// lookupAccount reads the account and partition of the AWS provider.
func lookupAccount(ctx *pulumi.Context, region string, via pulumi.InvokeOption) (arns, error) {
	id, err := awsp.GetCallerIdentity(ctx, nil, via)
	if err != nil {
		return arns{}, problems.LookupFailed("aws", "the account of the AWS credentials", err, "check the AWS credentials (aws sts get-caller-identity)")
	}
	a, err := lookupPartition(ctx, region, via)
	a.account = id.AccountId
	return a, err
}

// lookupPartition reads the partition of the AWS provider (aws, aws-cn,
// aws-us-gov), without the account.
func lookupPartition(ctx *pulumi.Context, region string, via pulumi.InvokeOption) (arns, error) {
	part, err := awsp.GetPartition(ctx, nil, via)
	if err != nil {
		return arns{}, problems.LookupFailed("aws", "the partition of the AWS provider", err, "check aws.region and the AWS credentials")
	}
	return arns{partition: part.Partition, region: region}, nil
}

// TrustPolicy is the trust policy of the workload role: only tokens the
// cluster's issuer signed for CAA's service account, with the audience the
// operator projects, may assume it (AssumeRoleWithWebIdentity through the
// account's OIDC provider of the issuer).
func (w workloadPlan) TrustPolicy() PolicyDocument {
	return policy(Statement{
		Effect:    "Allow",
		Principal: map[string]string{"Federated": w.provider},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]any{"StringEquals": {
			w.host + ":sub": contract.WorkloadSubject,
			w.host + ":aud": contract.WorkloadAudience,
		}},
	})
}

// CAAPolicy is what cloud-api-adaptor's AWS provider calls (caaSource),
// limited to the region and, where EC2 allows it, to the account's
// resources of the kinds it makes, the cluster's subnet and security
// groups, pod VMs of the listed instance types from the pod VM image
// (args.PodVMAMIID, which workload identity requires), and Elastic IPs
// only with USE_PUBLIC_IP.
//
// Instances carry the cluster's tag (ClusterTag of n.InfraID, value
// PodVMTagValue; TAGS, podVMTags): the role may create an instance only
// with that tag in the request (aws:RequestTag), may tag only while
// creating (ec2:CreateAction), and may terminate, attach to or associate
// with only instances that carry it (ec2:ResourceTag). As it cannot tag
// an existing instance, it cannot make another instance its own; the
// cluster's own nodes carry the tag too but are not named podvm-*, and
// the role cannot rename them. CAA tags the network interfaces and
// Elastic IPs it makes with a Name only (createAddonNICforInstance,
// createElasticIPforInstance), so those are not limited by tag.
func (w workloadPlan) CAAPolicy(n Network, args Args) PolicyDocument {
	a := w.arns
	region := n.Region
	subnet := a.ec2("subnet", n.SubnetID)
	var groups []string
	for _, sg := range n.SecurityGroupIDs {
		groups = append(groups, a.ec2("security-group", sg))
	}
	instances, volumes, nics, eips := a.ec2("instance", "*"), a.ec2("volume", "*"), a.ec2("network-interface", "*"), a.ec2("elastic-ip", "*")
	tag := ClusterTag(n.InfraID)
	// ours limits s to instances that carry the cluster's tag.
	ours := func(s Statement) Statement { return s.when("StringEquals", "ec2:ResourceTag/"+tag, PodVMTagValue) }
	d := policy(
		// DescribeInstances: getPublicIP and the InstanceRunning waiter
		// (createAddonNICforInstance, createElasticIPforInstance);
		// DescribeInstanceTypes: getInstanceTypeInformation
		// (updateInstanceTypeSpecList); DescribeImages:
		// getDeviceNameAndSize (NewProvider, for ROOT_VOLUME_SIZE);
		// DescribeAddresses: deleteElasticIPforInstance (DeleteInstance).
		allow("CAADescribe", []string{"ec2:DescribeAddresses", "ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeInstances"},
			[]string{AnyResource}).inRegion(region),
		// RunInstances: CreateInstance, on what it names: the AMI
		// (PODVM_AMI_ID or the pod's image annotation), the subnet and
		// groups of peer-pods-cm (also as the network interface
		// specification of USE_PUBLIC_IP), the key pair (-keyname), the
		// launch template (USE_PODVM_LAUNCHTEMPLATE), and the root volume
		// and network interface it makes. A pod asking for another image
		// by annotation is refused by AWS.
		allow("CAARunInstances", []string{"ec2:RunInstances"}, append([]string{
			volumes, nics, a.ec2Image(args.PodVMAMIID), subnet,
			a.ec2("key-pair", "*"), a.ec2("launch-template", "*"),
		}, groups...)).inRegion(region),
		// The instance itself: only of a type PODVM_INSTANCE_TYPES lists
		// (CAA refuses the others: util.go VerifyCloudInstanceType), and
		// only with the cluster's tag in its TagSpecifications (TAGS).
		allow("CAARunPodVMs", []string{"ec2:RunInstances"}, []string{instances}).
			inRegion(region).when("StringEquals", "ec2:InstanceType", slices.Clone(args.PodVMInstanceTypes)).
			when("StringEquals", "aws:RequestTag/"+tag, PodVMTagValue),
		// CreateTags only while creating: CreateInstance tags the
		// instance (TagSpecifications: Name and TAGS), with the cluster's
		// tag.
		allow("CAATagPodVMsOnCreate", []string{"ec2:CreateTags"}, []string{instances}).
			inRegion(region).when("StringEquals", "ec2:CreateAction", "RunInstances").
			when("StringEquals", "aws:RequestTag/"+tag, PodVMTagValue),
		// TerminateInstances: DeleteInstance (also how the peer-pods
		// controller removes leftover VMs), only on pod VMs: the
		// cluster's tag, and the name CreateInstance gives each,
		// podvm-<pod>-<sandbox> (src/cloud-providers/util/instance.go
		// GenerateInstanceName).
		ours(allow("CAATerminatePodVMs", []string{"ec2:TerminateInstances"}, []string{instances}).
			inRegion(region).when("StringLike", "ec2:ResourceTag/Name", "podvm-*")),
		// A second network interface for multi-NIC pods:
		// createAddonNICforInstance creates it in the subnet with the
		// groups, tagging it (Name) while creating it, ...
		allow("CAACreateNetworkInterfaces", []string{"ec2:CreateNetworkInterface"}, append([]string{nics, subnet}, groups...)).inRegion(region),
		allow("CAATagNetworkInterfacesOnCreate", []string{"ec2:CreateTags"}, []string{nics}).
			inRegion(region).when("StringEquals", "ec2:CreateAction", "CreateNetworkInterface"),
		// ... attaches it, sets DeleteOnTermination
		// (ModifyNetworkInterfaceAttribute) and deletes it when the attach
		// fails; ...
		allow("CAANetworkInterfaces", []string{"ec2:AttachNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"},
			[]string{nics}).inRegion(region),
		// ... on a pod VM only.
		ours(allow("CAANetworkInterfacesOfPodVMs", []string{"ec2:AttachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"},
			[]string{instances}).inRegion(region)),
	)
	// Elastic IPs with USE_PUBLIC_IP: createElasticIPforInstance allocates
	// one, tagged (Name) while allocated, and associates it with the
	// pod VM's second interface (and releases it when that fails);
	// deleteElasticIPforInstance disassociates and releases it. Without
	// USE_PUBLIC_IP (peerpods:extra) no right over any address.
	if args.Settings != nil && args.Settings.Extra[contract.KeyUsePublicIP] == "true" {
		d.Statement = append(d.Statement,
			allow("CAAElasticIPs", []string{"ec2:AllocateAddress", "ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress"},
				[]string{eips, nics}).inRegion(region),
			allow("CAATagElasticIPsOnCreate", []string{"ec2:CreateTags"}, []string{eips}).
				inRegion(region).when("StringEquals", "ec2:CreateAction", "AllocateAddress"),
			ours(allow("CAAElasticIPsOfPodVMs", []string{"ec2:AssociateAddress", "ec2:DisassociateAddress"}, []string{instances}).inRegion(region)))
	}
	return checkWildcards(d)
}

// workloadRole is the workload identity's IAM role and its policy.
type workloadRole struct {
	role   *iam.Role
	policy *iam.RolePolicy
}

// newWorkloadRole creates the role CAA assumes and its EC2 policy, the
// role's only one.
func newWorkloadRole(ctx *pulumi.Context, name string, args Args, w workloadPlan, n Network, opts ...pulumi.ResourceOption) (workloadRole, error) {
	role, err := iam.NewRole(ctx, name+"-caa", &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("peer pods: cloud-api-adaptor (%s) through the OIDC issuer %s", contract.WorkloadSubject, args.OIDCIssuer)),
		AssumeRolePolicy: pulumi.String(w.TrustPolicy().JSON()),
		Tags:             pulumi.StringMap{common.ManagedByTag: pulumi.String(common.ManagedBy)},
	}, opts...)
	if err != nil {
		return workloadRole{}, err
	}
	p, err := iam.NewRolePolicy(ctx, name+"-caa", &iam.RolePolicyArgs{
		Role: role.Name, Name: pulumi.String("cloud-api-adaptor"), Policy: pulumi.String(w.CAAPolicy(n, args).JSON()),
	}, opts...)
	if err != nil {
		return workloadRole{}, err
	}
	return workloadRole{role: role, policy: p}, nil
}
