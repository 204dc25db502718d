package aws

import (
	"fmt"

	"github.com/peerpods/provisioner/components/cloud"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cloud is AWS in the registry of clouds.
type Cloud struct{}

var _ cloud.Cloud = Cloud{}

// Name implements cloud.Cloud.
func (Cloud) Name() contract.Cloud { return contract.AWS }

// NewStack implements cloud.Cloud.
func (Cloud) NewStack() cloud.Stack { return &Stack{} }

// Credentials implements cloud.Cloud: the AWS keys are peer-pods-secret
// keys of the contract.
func (Cloud) Credentials() []string { return nil }

// Component implements cloud.Cloud: PeerPods.
func (Cloud) Component() infer.InferredComponent { return infer.ComponentF(NewPeerPods) }

// Examples implements cloud.Cloud.
func (Cloud) Examples() []string { return []string{"aws-example"} }

// Stack is peerpods:aws: the AWS provider's settings and the component's
// arguments.
type Stack struct {
	// Region is the AWS provider's region; empty uses AWS_REGION or the
	// profile's region.
	Region string `json:"region,omitempty"`
	// Profile is the shared-credentials profile of the AWS provider.
	Profile string `json:"profile,omitempty"`
	Args
}

// Prepare implements cloud.Stack.
func (s *Stack) Prepare(in cloud.Input) {
	if s.Region != "" && !contract.AWSRegionPattern.MatchString(s.Region) {
		in.Check(problems.Invalid("aws.region", fmt.Sprintf("is %q, which is not an AWS region", s.Region), `use a region name such as "us-east-2"`))
	}
	s.Settings = in.Settings()
	s.Identity = in.Identity()
	s.Args = s.Args.WithDefaults()
	in.Check(s.Args.Validate())
}

// Deploy implements cloud.Stack: the AWS provider and PeerPods.
func (s *Stack) Deploy(ctx *pulumi.Context, in cloud.Deploy) (values.Result, error) {
	args := s.Args
	var err error
	if args.Recorded, err = in.Recorded(); err != nil {
		return values.Result{}, err
	}
	if contract.WritesSecret(args.Identity) { // else the operator writes peer-pods-secret
		args.AccessKeyID = in.Secret(contract.KeyAWSAccessKeyID)
		args.SecretAccessKey = in.Secret(contract.KeyAWSSecretAccessKey)
	}
	provider, err := awsp.NewProvider(ctx, "aws", &awsp.ProviderArgs{
		Region:  providers.OptionalString(s.Region),
		Profile: providers.OptionalString(s.Profile),
	})
	if err != nil {
		return values.Result{}, err
	}
	return values.ResultOf(NewPeerPods(ctx, "peerpods", args, pulumi.Provider(provider)))
}

// The mocks' AWS account and network: one worker in subnet A of VPC A,
// with security group A, in account MockAccount, whose IAM OIDC provider
// is MockIssuer's.
const (
	MockSecurityGroup = "sg-0aaaaaaaaaaaaaaa0"
	MockSubnet        = "subnet-0aaaaaaaaaaaaaaa0"
	MockVPC           = "vpc-0aaaaaaaaaaaaaaa0"
	MockWorker        = "i-0aaaaaaaaaaaaaaa0"
	MockAccessKeyID   = "AKIAEXAMPLEKEYID0001"
	MockAccount       = "123456789012"
	MockRegion        = "us-east-2"
	MockIssuer        = "https://mycluster-x7k2p-oidc.s3.us-east-2.amazonaws.com"
)

// MockCall answers an invoke in the mocks.
type MockCall = func(resource.PropertyMap) (resource.PropertyMap, error)

// Mocks implements cloud.Cloud: discovery finds MockWorker in MockRegion,
// whose security group has no rule yet; no vmimport role exists; the
// OIDC provider of MockIssuer does. Buckets and roles get the names and
// ARNs AWS would give them.
func (Cloud) Mocks() cloud.Mocks {
	pm := resource.NewPropertyMapFromMap
	return cloud.Mocks{
		Calls: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"aws:index/getRegion:getRegion": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"name": MockRegion}), nil
			},
			"aws:index/getCallerIdentity:getCallerIdentity": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"accountId": MockAccount, "arn": "arn:aws:iam::" + MockAccount + ":user/admin", "userId": "AIDAEXAMPLE"}), nil
			},
			"aws:index/getPartition:getPartition": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com"}), nil
			},
			"aws:ec2/getInstances:getInstances": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"ids": []string{MockWorker}}), nil
			},
			"aws:ec2/getInstance:getInstance": MockWorkerIn(MockSubnet, MockSecurityGroup),
			"aws:ec2/getSubnet:getSubnet": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"vpcId": MockVPC}), nil
			},
			TokenSecurityGroupRules:    MockIngress(nil)[TokenSecurityGroupRules],
			TokenSecurityGroupRule:     MockIngress(nil)[TokenSecurityGroupRule],
			TokenRoles:                 MockVMImportRole(false),
			TokenOpenIDConnectProvider: MockOIDCProvider(MockIssuer, contract.WorkloadAudience, "sts.amazonaws.com"),
		},
		Resources: map[string]func(string, resource.PropertyMap) (string, resource.PropertyMap){
			TypeBucket: func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
				bucket := MockBucketName(name)
				return bucket, pm(map[string]any{"bucket": bucket, "arn": "arn:aws:s3:::" + bucket})
			},
			TypeRole: func(name string, in resource.PropertyMap) (string, resource.PropertyMap) {
				role := name + "-7c1e2f3" // autonamed, as Pulumi does
				if n, ok := in["name"]; ok && n.IsString() {
					role = n.StringValue()
				}
				return role, pm(map[string]any{"name": role, "arn": "arn:aws:iam::" + MockAccount + ":role/" + role})
			},
		},
		Secrets: map[string]string{
			"peerpods:awsAccessKeyId":     MockAccessKeyID,
			"peerpods:awsSecretAccessKey": cloud.FakeSecret,
		},
	}
}

// Invoke tokens and resource types the mocks answer beyond discovery.
const (
	TokenSecurityGroupRules    = "aws:vpc/getSecurityGroupRules:getSecurityGroupRules"
	TokenSecurityGroupRule     = "aws:vpc/getSecurityGroupRule:getSecurityGroupRule"
	TokenRoles                 = "aws:iam/getRoles:getRoles"
	TokenOpenIDConnectProvider = "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"
	TypeBucket                 = "aws:s3/bucketV2:BucketV2"
	TypeRole                   = "aws:iam/role:Role"
	TypeRolePolicy             = "aws:iam/rolePolicy:RolePolicy"
	TypeIngressRule            = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
)

// MockBucketName is the name the mocks give the bucket of resource name,
// as Pulumi's autonaming would.
func MockBucketName(name string) string { return name + "-9f8e7d6" }

// MockWorkerIn answers getInstance with a worker in subnet with the
// security group sg, as after the cluster's workers were replaced.
func MockWorkerIn(subnet, sg string) func(resource.PropertyMap) (resource.PropertyMap, error) {
	return func(resource.PropertyMap) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]any{"subnetId": subnet, "vpcSecurityGroupIds": []string{sg}}), nil
	}
}

// MockGroupRule is an ingress rule of a security group in the mocks.
type MockGroupRule struct {
	// Group is the security group the rule belongs to.
	Group string
	IngressRule
}

// MockIngress answers getSecurityGroupRules and getSecurityGroupRule
// (by token) with the rules, in any order, as AWS lists them.
func MockIngress(rules []MockGroupRule) map[string]MockCall {
	pm := resource.NewPropertyMapFromMap
	return map[string]MockCall{
		TokenSecurityGroupRules: func(args resource.PropertyMap) (resource.PropertyMap, error) {
			var group string
			for _, f := range args["filters"].ArrayValue() {
				if f.ObjectValue()["name"].StringValue() == "group-id" {
					group = f.ObjectValue()["values"].ArrayValue()[0].StringValue()
				}
			}
			ids := []string{}
			for i := len(rules) - 1; i >= 0; i-- { // not sorted
				if rules[i].Group == group {
					ids = append(ids, rules[i].ID)
				}
			}
			return pm(map[string]any{"ids": ids}), nil
		},
		TokenSecurityGroupRule: func(args resource.PropertyMap) (resource.PropertyMap, error) {
			id := args["securityGroupRuleId"].StringValue()
			for _, r := range rules {
				if r.ID == id {
					tags := map[string]any{}
					for k, v := range r.Tags {
						tags[k] = v
					}
					return pm(map[string]any{
						"id": id, "securityGroupRuleId": id, "securityGroupId": r.Group, "isEgress": false,
						"ipProtocol": r.Protocol, "fromPort": r.FromPort, "toPort": r.ToPort,
						"referencedSecurityGroupId": r.Source, "tags": tags,
					}), nil
				}
			}
			return nil, fmt.Errorf("InvalidSecurityGroupRuleId.NotFound: %s", id)
		},
	}
}

// MockVMImportRole answers getRoles: the account has a role named
// vmimport, or none.
func MockVMImportRole(exists bool) MockCall {
	return func(resource.PropertyMap) (resource.PropertyMap, error) {
		names, arns := []string{}, []string{}
		if exists {
			names, arns = []string{VMImportRole}, []string{"arn:aws:iam::" + MockAccount + ":role/" + VMImportRole}
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "arns": arns}), nil
	}
}

// MockOIDCProvider answers getOpenIdConnectProvider: the account has an
// OIDC provider for issuer only, accepting the audiences clientIDs; issuer
// "" has none.
func MockOIDCProvider(issuer string, clientIDs ...string) MockCall {
	return func(args resource.PropertyMap) (resource.PropertyMap, error) {
		url := args["url"].StringValue()
		if issuer == "" || url != issuer {
			return nil, fmt.Errorf("finding IAM OIDC Provider (%s): couldn't find resource", url)
		}
		host := identity.IssuerHost(issuer)
		return resource.NewPropertyMapFromMap(map[string]any{
			"arn": "arn:aws:iam::" + MockAccount + ":oidc-provider/" + host, "url": host, "clientIdLists": clientIDs,
		}), nil
	}
}
