package aws

import (
	"fmt"
	"slices"

	"github.com/peerpods/provisioner/components"
	"github.com/peerpods/provisioner/components/contract"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Sources the workload-identity policies cite.
const (
	// caaSource is cloud-api-adaptor's AWS provider, OSC 1.10.
	caaSource = "openshift/cloud-api-adaptor@osc-release-v1.10 src/cloud-providers/aws/provider.go"
	// imageHandler and amiHelper are the operator's AWS image job
	// (OSC 1.10.0, 8bdc9075055a), which runs only with static keys
	// (verify_vars requires AWS_ACCESS_KEY_ID).
	imageHandler = "sandboxed-containers-operator@8bdc9075055a config/peerpods/podvm/aws-podvm-image-handler.sh"
	amiHelper    = "sandboxed-containers-operator@8bdc9075055a config/peerpods/podvm/ami-helper.sh"
	// irsaImageHandler and irsaAMIHelper are the newer job, which also
	// runs with a web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE).
	irsaImageHandler = "openshift/sandboxed-containers-operator@1a77e56459d7 config/peerpods/podvm/aws-podvm-image-handler.sh"
	irsaAMIHelper    = "openshift/sandboxed-containers-operator@11a668a9005e config/peerpods/podvm/ami-helper.sh"
	// stsCredentialsRequest is what the operator asks of ccoctl for its
	// image job in the STS flow: S3 on podvm-* buckets, IAM writes on
	// role/vmimport (openshift/sandboxed-containers-operator@c75475003eac
	// config/peerpods/credentials-requests/ccoctl/credentials_request_aws_sts.yaml).
	// The stack grants neither: it provides the bucket and the role.
	stsCredentialsRequest = "sandboxed-containers-operator@c75475003eac credentials_request_aws_sts.yaml"
)

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
	host := components.IssuerHost(args.OIDCIssuer)
	want := a.oidcProvider(host)
	const how = "the cluster must be installed with short-lived credentials (ccoctl aws create-all, or create-identity-provider, makes the provider with the cluster's S3-hosted issuer); check that the AWS provider uses the cluster's account and that the issuer is the cluster's: oc get authentication cluster -o jsonpath='{.spec.serviceAccountIssuer}'"
	url := "https://" + host // as IAM keeps it: no trailing slash
	p, err := iam.LookupOpenIdConnectProvider(ctx, &iam.LookupOpenIdConnectProviderArgs{Url: &url}, via)
	if err != nil {
		return workloadPlan{}, components.Invalid(settingIssuer,
			fmt.Sprintf("is %q, but the IAM OIDC provider %s cannot be read (%v)", args.OIDCIssuer, want, err), how)
	}
	if p.Arn != want {
		return workloadPlan{}, components.Invalid(settingIssuer,
			fmt.Sprintf("is %q, and the IAM OIDC provider for it is %s, not %s in the AWS provider's account", args.OIDCIssuer, p.Arn, want), how)
	}
	if !slices.Contains(p.ClientIdLists, contract.WorkloadAudience) {
		return workloadPlan{}, components.Invalid(settingIssuer,
			fmt.Sprintf("is %q, whose IAM OIDC provider %s does not accept the audience %q of the token the operator gives cloud-api-adaptor (it accepts %v)", args.OIDCIssuer, want, contract.WorkloadAudience, p.ClientIdLists),
			fmt.Sprintf("aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn %s --client-id %s", want, contract.WorkloadAudience))
	}
	return workloadPlan{arns: a, provider: want, host: host}, nil
}

// lookupAccount reads the account and partition of the AWS provider.
func lookupAccount(ctx *pulumi.Context, region string, via pulumi.InvokeOption) (arns, error) {
	id, err := awsp.GetCallerIdentity(ctx, nil, via)
	if err != nil {
		return arns{}, components.LookupFailed("aws", "the account of the AWS credentials", err, "check the AWS credentials (aws sts get-caller-identity)")
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
		return arns{}, components.LookupFailed("aws", "the partition of the AWS provider", err, "check aws.region and the AWS credentials")
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
// groups, and pod VMs.
func (w workloadPlan) CAAPolicy(n Network) PolicyDocument {
	a := w.arns
	region := n.Region
	subnet := a.ec2("subnet", n.SubnetID)
	var groups []string
	for _, sg := range n.SecurityGroupIDs {
		groups = append(groups, a.ec2("security-group", sg))
	}
	instances, volumes, nics, eips := a.ec2("instance", "*"), a.ec2("volume", "*"), a.ec2("network-interface", "*"), a.ec2("elastic-ip", "*")
	return checkWildcards(policy(
		// DescribeInstances: getPublicIP and the InstanceRunning waiter
		// (getPublicIP, createAddonNICforInstance,
		// createElasticIPforInstance); DescribeInstanceTypes:
		// getInstanceTypeInformation (updateInstanceTypeSpecList);
		// DescribeImages: getDeviceNameAndSize (NewProvider, for
		// ROOT_VOLUME_SIZE); DescribeAddresses: deleteElasticIPforInstance
		// (DeleteInstance). All of caaSource.
		allow("CAADescribe", []string{"ec2:DescribeAddresses", "ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeInstances"},
			[]string{AnyResource}).inRegion(region),
		// RunInstances: CreateInstance (caaSource), on what it names: the
		// AMI (PODVM_AMI_ID or the pod's image annotation), the subnet and
		// groups of peer-pods-cm, the key pair (-keyname), the launch
		// template (-use-lt), and the instance, root volume and network
		// interface it makes.
		allow("CAARunInstances", []string{"ec2:RunInstances"}, append([]string{
			instances, volumes, nics, a.ec2Public("image"), subnet,
			a.ec2("key-pair", "*"), a.ec2("launch-template", "*"),
		}, groups...)).inRegion(region),
		// CreateTags only while creating: CreateInstance tags the instance
		// (TagSpecifications: Name, TAGS), createAddonNICforInstance the
		// network interface, createElasticIPforInstance the Elastic IP;
		// a launch template may tag the root volume.
		allow("CAATagOnCreate", []string{"ec2:CreateTags"}, []string{instances, volumes, nics, eips}).
			inRegion(region).when("StringEquals", "ec2:CreateAction", []string{"AllocateAddress", "CreateNetworkInterface", "RunInstances"}),
		// TerminateInstances: DeleteInstance (caaSource, also used by the
		// peer-pods controller for leftover VMs), only on pod VMs:
		// CreateInstance names each podvm-<pod>-<sandbox> (tag Name,
		// src/cloud-providers/util/instance.go GenerateInstanceName).
		allow("CAATerminatePodVMs", []string{"ec2:TerminateInstances"}, []string{instances}).
			inRegion(region).when("StringLike", "aws:ResourceTag/Name", "podvm-*"),
		// A second network interface for multi-NIC pods:
		// createAddonNICforInstance creates it in the subnet with the
		// groups, attaches it, sets DeleteOnTermination
		// (ModifyNetworkInterfaceAttribute) and deletes it when the attach
		// fails.
		allow("CAANetworkInterfaces", []string{"ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"},
			append([]string{nics, instances, subnet}, groups...)).inRegion(region),
		// Elastic IPs with USE_PUBLIC_IP and multi-NIC pods:
		// createElasticIPforInstance allocates and associates one (and
		// releases it when that fails), deleteElasticIPforInstance
		// disassociates and releases it.
		allow("CAAElasticIPs", []string{"ec2:AllocateAddress", "ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress"},
			[]string{eips, instances, nics}).inRegion(region),
	))
}

// ImagePolicy is what the operator's image job does with the workload
// role when no AMI is given (PODVM_AMI_ID unset), with the bucket (ARN
// bucketARN) and the vmimport role the stack provides
// (newImageResources): it uploads the pod VM disk, imports it as a
// snapshot, registers the AMI and empties the bucket.
//
// It grants no IAM action. The operator's own CredentialsRequest
// (stsCredentialsRequest) lets the job create role/vmimport and put any
// policy on it: while no vmimport role exists, the holder could make one
// that trusts itself and assume it. The caller of ImportSnapshot needs no
// iam:PassRole: AWS's required permissions for it list none (VM
// Import/Export user guide, required-permissions.html), and the job names
// no role, so AWS uses the one named vmimport. S3 is granted on the
// stack's bucket only, not on the job's own podvm-image-<version> buckets.
//
// The operator's image job does not yet work with this role. OSC 1.10.0's
// job does not run without static keys at all (imageHandler verify_vars).
// The newer job's web-identity branch (irsaImageHandler
// prepare_for_prebuilt_artifact) runs ami-helper.sh -s -b BUCKET_NAME
// (irsaAMIHelper), which, under set -e, checks nothing first: it calls
// s3api create-bucket (BucketAlreadyOwnedByYou on an existing bucket
// outside us-east-1; access denied here anyway, with no s3:CreateBucket),
// then get-role (create-role when that fails) and always put-role-policy,
// which fail with no IAM action granted. The job stops there, before the
// upload; only its static-keys branch checks the bucket (head-bucket)
// instead of making it. Until the operator's web-identity branch accepts
// existing resources, give podvmAmiId with workload identity: the stack
// does not grant IAM writes to get past it.
func (w workloadPlan) ImagePolicy(bucketARN string) PolicyDocument {
	a := w.arns
	region := a.region
	return checkWildcards(policy(
		// GetBucketLocation: VM Import/Export's required permissions for
		// the caller of ImportSnapshot; ListBucket: the job's cleanup
		// (irsaImageHandler cleanup_prebuilt_intermediate_resources,
		// ami-helper.sh -s -d: aws s3 rm --recursive) lists what it
		// deletes. Not DeleteBucket: the bucket is the stack's (the
		// cleanup's delete-bucket then fails, which the job only warns
		// of); not CreateBucket or GetBucketAcl, which no call needs on a
		// bucket that exists.
		allow("ImageBucket", []string{"s3:GetBucketLocation", "s3:ListBucket"}, []string{bucketARN}),
		// PutObject: upload_image_to_s3 (aws s3 cp); GetObject: VM
		// Import/Export's required permissions for the caller;
		// DeleteObject: the cleanup's aws s3 rm --recursive, so that the
		// disk does not stay in the bucket.
		allow("ImageObjects", []string{"s3:DeleteObject", "s3:GetObject", "s3:PutObject"}, []string{bucketARN + "/*"}),
		// ImportSnapshot, DescribeImportSnapshotTasks and DescribeSnapshots
		// (aws ec2 wait snapshot-completed): import_snapshot_n_wait;
		// RegisterImage: register_ami; DescribeImages: ami_exists and
		// get_ami_id. All of imageHandler.
		allow("ImageImport", []string{"ec2:DescribeImages", "ec2:DescribeImportSnapshotTasks", "ec2:DescribeSnapshots", "ec2:ImportSnapshot", "ec2:RegisterImage"},
			[]string{AnyResource}).inRegion(region),
		// DeregisterImage and DeleteSnapshot: delete_ami_using_id and
		// delete_ami_snapshots, which create_ami calls when the AMI of its
		// name differs from the one peer-pods-cm records (ami_exists).
		allow("ImageReplace", []string{"ec2:DeleteSnapshot", "ec2:DeregisterImage"},
			[]string{a.ec2Public("image"), a.ec2Public("snapshot")}).inRegion(region),
	))
}

// workloadRole is the workload identity's IAM role and its policies.
type workloadRole struct {
	role     *iam.Role
	policies []*iam.RolePolicy
}

// newWorkloadRole creates the role CAA assumes, its EC2 policy and, when
// the stack provides the image job's bucket (bucket not nil: no AMI
// given), the image job's policy on that bucket, a separate one so that it
// can be detached once the image exists.
func newWorkloadRole(ctx *pulumi.Context, name string, args Args, w workloadPlan, n Network, bucket *s3.BucketV2, opts ...pulumi.ResourceOption) (workloadRole, error) {
	role, err := iam.NewRole(ctx, name+"-caa", &iam.RoleArgs{
		Description:      pulumi.String(fmt.Sprintf("peer pods: cloud-api-adaptor (%s) through the OIDC issuer %s", contract.WorkloadSubject, args.OIDCIssuer)),
		AssumeRolePolicy: pulumi.String(w.TrustPolicy().JSON()),
		Tags:             pulumi.StringMap{components.ManagedByTag: pulumi.String(components.ManagedBy)},
	}, opts...)
	if err != nil {
		return workloadRole{}, err
	}
	out := workloadRole{role: role}
	type inline struct {
		name, policyName string
		doc              pulumi.StringInput
	}
	docs := []inline{{name + "-caa", "cloud-api-adaptor", pulumi.String(w.CAAPolicy(n).JSON())}}
	if bucket != nil {
		doc := bucket.Arn.ApplyT(func(arn string) string { return w.ImagePolicy(arn).JSON() }).(pulumi.StringOutput)
		docs = append(docs, inline{name + "-podvm-image", "podvm-image", doc})
	}
	for _, d := range docs {
		p, err := iam.NewRolePolicy(ctx, d.name, &iam.RolePolicyArgs{
			Role: role.Name, Name: pulumi.String(d.policyName), Policy: d.doc,
		}, opts...)
		if err != nil {
			return workloadRole{}, err
		}
		out.policies = append(out.policies, p)
	}
	return out, nil
}
