package aws

import (
	"slices"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Without an AMI (PODVM_AMI_ID unset) the operator's image job uploads the
// pod VM disk to BUCKET_NAME and imports it from there as the vmimport
// role (aws-podvm-image-handler.sh upload_image_to_s3,
// import_snapshot_n_wait). With static keys the bucket and the role must
// exist before the KataConfig (sandboxed-containers-operator@b5a71be3
// docs/credentials-handling.md, AWS manual credentials), and the stack
// provides them: lookupImage, then newImageResources. Workload identity
// requires an AMI instead (workloadWithoutAMI).

// RecordedVMImport is the key under which the informational "discovered"
// output says whether the stack manages the vmimport role ("created") or
// uses one it does not own ("adopted"). No run reads it back: ownership is
// the role's StackTag (lookupImage).
const RecordedVMImport = "aws.vmimportRole"

// VMImport values of RecordedVMImport.
const (
	VMImportCreated = "created"
	VMImportAdopted = "adopted"
)

// StackTag names, on the vmimport role the stack creates, the stack that
// owns it (project/stack): a role it created is its own at the next run
// too, although the role then exists.
const StackTag = "peerpods-stack"

// imagePlan is what the image resources (static identity, no AMI) read
// from the account before anything is registered.
type imagePlan struct {
	arns arns
	// createRole is true when the stack manages the vmimport role (none
	// exists, or the existing one is this stack's).
	createRole bool
	// stack is the StackTag value of this stack.
	stack string
}

// lookupImage reads whether the vmimport role exists and whose it is; a
// names the partition. A role tagged StackTag with this stack is the
// stack's; so is one tagged managed-by peerpods without StackTag (created
// by a version that recorded ownership in a stack output, which the
// stack's update then tags).
func lookupImage(ctx *pulumi.Context, a arns, via pulumi.InvokeOption) (imagePlan, error) {
	p := imagePlan{arns: a, stack: ctx.Project() + "/" + ctx.Stack()}
	roles, err := iam.GetRoles(ctx, &iam.GetRolesArgs{NameRegex: pulumi.StringRef("^" + VMImportRole + "$")}, via)
	if err != nil {
		return imagePlan{}, problems.LookupFailed("aws", "the IAM role "+VMImportRole, err, "check that the AWS credentials may call iam:ListRoles")
	}
	if !slices.Contains(roles.Names, VMImportRole) {
		p.createRole = true
		return p, nil
	}
	role, err := iam.LookupRole(ctx, &iam.LookupRoleArgs{Name: VMImportRole}, via)
	if err != nil {
		return imagePlan{}, problems.LookupFailed("aws", "the IAM role "+VMImportRole, err, "check that the AWS credentials may call iam:GetRole (its tags say whether the role is this stack's)")
	}
	owner, tagged := role.Tags[StackTag]
	p.createRole = owner == p.stack || !tagged && role.Tags[common.ManagedByTag] == common.ManagedBy
	return p, nil
}

// VMImportTrustPolicy lets AWS VM Import/Export assume the vmimport role,
// with the external ID AWS documents (vm-import/latest/userguide/
// required-permissions.html, Required service role).
func VMImportTrustPolicy() PolicyDocument {
	return policy(Statement{
		Effect:    "Allow",
		Principal: map[string]string{"Service": "vmie.amazonaws.com"},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string]any{"StringEquals": {"sts:ExternalId": VMImportRole}},
	})
}

// VMImportPolicy is what AWS VM Import/Export does as the vmimport role to
// import from bucket, as AWS documents the import part of the service
// role's policy: read the bucket, and make the snapshot and image.
func (p imagePlan) VMImportPolicy(bucket string) PolicyDocument {
	return checkWildcards(policy(
		allow("ReadImportBucket", []string{"s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"},
			[]string{p.arns.s3(bucket), p.arns.s3(bucket + "/*")}),
		allow("ImportSnapshots", []string{"ec2:CopySnapshot", "ec2:Describe*", "ec2:ModifySnapshotAttribute", "ec2:RegisterImage"},
			[]string{AnyResource}),
	))
}

// imageResources are the image job's bucket and the vmimport role
// resources.
type imageResources struct {
	bucket *s3.BucketV2
	role   *iam.Role // nil when adopted
	ready  []pulumi.Resource
}

// newImageResources creates the private bucket the image job uploads to,
// the vmimport role unless one is adopted, and an inline policy of the
// stack's own on the role for that bucket (the operator's script writes
// its own policy, named vmimport, on the same role: ami-helper.sh
// set_service_role).
func newImageResources(ctx *pulumi.Context, name string, p imagePlan, opts ...pulumi.ResourceOption) (imageResources, error) {
	tags := pulumi.StringMap{common.ManagedByTag: pulumi.String(common.ManagedBy)}
	// ForceDestroy: a destroy empties the bucket the job uploaded to.
	bucket, err := s3.NewBucketV2(ctx, name+"-podvm", &s3.BucketV2Args{ForceDestroy: pulumi.Bool(true), Tags: tags}, opts...)
	if err != nil {
		return imageResources{}, err
	}
	block, err := s3.NewBucketPublicAccessBlock(ctx, name+"-podvm", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return imageResources{}, err
	}
	// SSE-S3: the vmimport role reads the objects without KMS grants.
	sse, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-podvm", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, opts...)
	if err != nil {
		return imageResources{}, err
	}
	out := imageResources{bucket: bucket, ready: []pulumi.Resource{bucket, block, sse}}

	roleName := pulumi.String(VMImportRole).ToStringOutput()
	if p.createRole {
		tags := pulumi.StringMap{common.ManagedByTag: pulumi.String(common.ManagedBy), StackTag: pulumi.String(p.stack)}
		// The role's name is account-wide and other clusters may come to
		// use it: a destroy leaves it (with no policy of the stack's).
		out.role, err = iam.NewRole(ctx, name+"-vmimport", &iam.RoleArgs{
			Name:             pulumi.String(VMImportRole),
			Description:      pulumi.String("AWS VM Import/Export service role (peer pods image import)"),
			AssumeRolePolicy: pulumi.String(VMImportTrustPolicy().JSON()),
			Tags:             tags,
		}, append(slices.Clone(opts), pulumi.RetainOnDelete(true))...)
		if err != nil {
			return imageResources{}, err
		}
		roleName = out.role.Name
		out.ready = append(out.ready, out.role)
	}
	policy, err := iam.NewRolePolicy(ctx, name+"-vmimport", &iam.RolePolicyArgs{
		Role: roleName,
		Name: pulumi.Sprintf("peerpods-%s", bucket.Bucket),
		Policy: bucket.Bucket.ApplyT(func(b string) string {
			return p.VMImportPolicy(b).JSON()
		}).(pulumi.StringOutput),
	}, opts...)
	if err != nil {
		return imageResources{}, err
	}
	out.ready = append(out.ready, policy)
	return out, nil
}

// vmimportRecord is the RecordedVMImport value of p.
func (p imagePlan) vmimportRecord() string {
	if p.createRole {
		return VMImportCreated
	}
	return VMImportAdopted
}
