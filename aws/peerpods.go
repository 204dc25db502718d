package aws

import (
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/netrules"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PeerPodsType is the type token of PeerPods.
const PeerPodsType = "peerpods:aws:PeerPods"

// PeerPods opens the peer-pods ports within each worker security group and
// holds the AWS peer-pods values.
type PeerPods struct {
	pulumi.ResourceState

	// Network is the worker network the rules were written for.
	Network Network
	// Result holds the values and the rules: one ingress rule per group,
	// port and protocol, created or (Adopted) already there.
	values.Result

	// Cloud, ConfigMap, Secret and SSHKeySecret are the values as
	// outputs (values.Outputs).
	Cloud        pulumi.StringOutput    `pulumi:"cloud"`
	ConfigMap    pulumi.StringMapOutput `pulumi:"configMap"`
	Secret       pulumi.StringMapOutput `pulumi:"secret" provider:"secret"`
	SSHKeySecret pulumi.StringMapOutput `pulumi:"sshKeySecret" provider:"secret"`
	// RuleIDs are the IDs of the ingress rules, created or adopted.
	RuleIDs pulumi.StringArrayOutput `pulumi:"ruleIds"`
	// RoleArn is the IAM role cloud-api-adaptor assumes with workload
	// identity (the operator's ROLEARN); empty in the other modes.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// BucketName is the bucket the operator's image job uploads the pod VM
	// disk to (BUCKET_NAME) with static identity and no AMI; empty
	// otherwise.
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
}

// NewPeerPods validates args, discovers the worker network through the AWS
// provider passed with pulumi.Provider or pulumi.Providers, and opens the
// peer-pods ports within each worker security group, with the group itself
// as the source: a rule per group, port and protocol, unless a rule listed
// in AdoptRules already allows it (planSlot). With identity
// workload (which requires an AMI: workloadWithoutAMI) it creates the IAM
// role CAA assumes, with CAA's EC2 policy only; with identity static and
// no AMI, the bucket and vmimport role the operator's image job needs.
// Every lookup comes first: nothing is registered when args are invalid or
// a lookup fails.
func NewPeerPods(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*PeerPods, error) {
	args = args.WithDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	provider, err := providers.RequireProvider("aws", "AWS", opts)
	if err != nil {
		return nil, err
	}
	network, err := Discover(ctx, args, provider)
	if err != nil {
		return nil, err
	}
	if err := args.checkWorkloadNetwork(network); err != nil {
		return nil, err
	}
	found := args.discovered(network)
	via := pulumi.Provider(provider)
	ingress, err := ExistingIngress(ctx, network.SecurityGroupIDs, via)
	if err != nil {
		return nil, err
	}
	plans, err := args.planRules(network.SecurityGroupIDs, ingress)
	if err != nil {
		return nil, err
	}
	var workload workloadPlan
	var image imagePlan
	withImage := args.providesImage()
	if args.Identity == contract.IdentityWorkload {
		if workload, err = lookupWorkload(ctx, args, network.Region, via); err != nil {
			return nil, err
		}
	}
	if withImage {
		a, err := lookupPartition(ctx, network.Region, via) // S3 ARNs name no account
		if err != nil {
			return nil, err
		}
		if image, err = lookupImage(ctx, a, via); err != nil {
			return nil, err
		}
		found[RecordedVMImport] = image.vmimportRecord()
	}

	c := &PeerPods{Network: network}
	c.Discovered = found
	if err := ctx.RegisterComponentResource(PeerPodsType, name, c, opts...); err != nil {
		return nil, err
	}
	childOpts := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Provider(provider)}

	var ruleIDs pulumi.StringArray
	var ready []pulumi.Resource
	for _, sg := range network.SecurityGroupIDs {
		for _, port := range args.Settings.Ports() {
			ruleName := fmt.Sprintf("%s-%s-%s", name, sg, port.Key())
			plan := plans[sg][port.Key()]
			if existing := plan.use; existing != nil {
				id := pulumi.ID(existing.ID).ToIDOutput()
				c.Rules = append(c.Rules, values.Rule{Name: ruleName, ID: id, Target: sg, Ports: []netrules.Port{port}, Adopted: true})
				ruleIDs = append(ruleIDs, id.ToStringOutput())
				continue
			}
			ruleOpts := childOpts
			if plan.importID != "" {
				// Adopted: imported as it is (its description and tags
				// are not compared, never rewritten) and kept on destroy.
				ruleOpts = append(slices.Clip(childOpts), pulumi.Import(pulumi.ID(plan.importID)), pulumi.RetainOnDelete(true),
					pulumi.IgnoreChanges([]string{"description", "tags"}))
			}
			rule, err := vpc.NewSecurityGroupIngressRule(ctx, ruleName, &vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId:           pulumi.String(sg),
				ReferencedSecurityGroupId: pulumi.String(sg),
				IpProtocol:                pulumi.String(string(port.Protocol)),
				FromPort:                  pulumi.Int(port.Number),
				ToPort:                    pulumi.Int(port.Number),
				Description:               pulumi.String(fmt.Sprintf("peer pods %s %s within %s", port.Role, port, sg)),
				Tags: pulumi.StringMap{
					"Name": pulumi.String(ruleName), common.ManagedByTag: pulumi.String(common.ManagedBy),
				},
			}, ruleOpts...)
			if err != nil {
				return nil, err
			}
			c.Rules = append(c.Rules, values.Rule{Name: ruleName, ID: rule.ID(), Target: sg, Ports: []netrules.Port{port}, Adopted: plan.importID != ""})
			ruleIDs = append(ruleIDs, rule.ID().ToStringOutput())
			ready = append(ready, rule)
		}
	}

	c.Values = args.values(network)
	c.RoleArn, c.BucketName = pulumi.String("").ToStringOutput(), pulumi.String("").ToStringOutput()
	own := pulumi.Map{}
	if withImage {
		ir, err := newImageResources(ctx, name, image, childOpts...)
		if err != nil {
			return nil, err
		}
		c.BucketName = ir.bucket.Bucket
		c.Values.ConfigMap[contract.KeyBucketName] = ir.bucket.Bucket
		ready = append(ready, ir.ready...)
		own["bucketName"] = c.BucketName
	}
	if args.Identity == contract.IdentityWorkload {
		wr, err := newWorkloadRole(ctx, name, args, workload, network, childOpts...)
		if err != nil {
			return nil, err
		}
		c.RoleArn = wr.role.Arn
		c.Values.OperatorEnv = pulumi.StringMap{contract.OperatorEnv(contract.AWS)[0]: wr.role.Arn}
		ready = append(ready, wr.role, wr.policy)
		own["roleArn"] = c.RoleArn
	}
	c.Values.Ready = ready
	c.CloudOutputs = own
	o := c.Values.Outputs()
	c.Cloud, c.ConfigMap, c.Secret, c.SSHKeySecret = o.Cloud, o.ConfigMap, o.Secret, o.SSHKeySecret
	c.RuleIDs = ruleIDs.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(c, o.With(pulumi.Map{
		"ruleIds":    c.RuleIDs,
		"roleArn":    c.RoleArn,
		"bucketName": c.BucketName,
	})); err != nil {
		return nil, err
	}
	return c, nil
}

// planRules plans each group's rule for each port (planSlot), by group
// and port key, after checking the adopted rule IDs; every problem comes
// in one error.
func (a Args) planRules(groups []string, ingress map[string][]IngressRule) (map[string]map[string]slot, error) {
	var p problems.List
	p.Add(checkAdopted(a.AdoptRules, ingress, a.Settings.Ports()))
	plans := map[string]map[string]slot{}
	for _, sg := range groups {
		plans[sg] = map[string]slot{}
		for _, port := range a.Settings.Ports() {
			s, err := planSlot(ingress[sg], sg, port, a.AdoptRules)
			p.Add(err)
			plans[sg][port.Key()] = s
		}
	}
	return plans, p.Err()
}

// providesImage tells whether the stack provides the operator's image job
// with its bucket and the vmimport role: no AMI is given and the identity
// is static (with cco the operator's CredentialsRequest lets the job make
// its own; workload identity requires an AMI).
func (a Args) providesImage() bool {
	return a.PodVMAMIID == "" && a.Identity == contract.IdentityStatic
}

// values are the AWS peer-pods values for the network.
func (a Args) values(n Network) values.Values {
	cm := a.Settings.ConfigMap(contract.AWS)
	if tags := a.podVMTags(n); len(tags) > 0 {
		cm[contract.KeyTags] = check.FormatTags(tags)
	}
	cm[contract.KeyAWSRegion] = n.Region
	cm[contract.KeyAWSSubnetID] = n.SubnetID
	cm[contract.KeyAWSVPCID] = n.VPCID
	cm[contract.KeyAWSSGIDs] = strings.Join(n.SecurityGroupIDs, ",")
	cm[contract.KeyPodVMInstanceType] = a.PodVMInstanceType
	cm[contract.KeyPodVMInstanceTypes] = strings.Join(a.PodVMInstanceTypes, ",")
	if a.PodVMAMIID != "" { // else the operator's image job owns the key
		cm[contract.KeyPodVMAMIID] = a.PodVMAMIID
	}

	v := values.Values{Cloud: contract.AWS, Identity: a.Identity, ConfigMap: values.PlainMap(cm)}
	if !contract.WritesSecret(a.Identity) { // the operator writes peer-pods-secret
		return v
	}
	v.Secret = pulumi.StringMap{}
	if a.AccessKeyID != nil {
		v.Secret[contract.KeyAWSAccessKeyID] = pulumi.ToSecret(a.AccessKeyID).(pulumi.StringOutput)
	}
	if a.SecretAccessKey != nil {
		v.Secret[contract.KeyAWSSecretAccessKey] = pulumi.ToSecret(a.SecretAccessKey).(pulumi.StringOutput)
	}
	return v
}
