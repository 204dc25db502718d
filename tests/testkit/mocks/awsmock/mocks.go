// Package awsmock holds the fakes of cloud aws for tests on Pulumi
// mocks: the answers of its discovery invokes, the outputs of its
// resources, the secret values of its example stacks.
package awsmock

import (
	"fmt"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/tests/testkit/mocks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The mocks' AWS account and network: one worker in subnet A of VPC A,
// with security group A, in account Account, whose IAM OIDC provider
// is Issuer's.
const (
	SecurityGroup = "sg-0aaaaaaaaaaaaaaa0"
	Subnet        = "subnet-0aaaaaaaaaaaaaaa0"
	VPC           = "vpc-0aaaaaaaaaaaaaaa0"
	Worker        = "i-0aaaaaaaaaaaaaaa0"
	AccessKeyID   = "AKIAEXAMPLEKEYID0001"
	Account       = "123456789012"
	Region        = "us-east-2"
	Issuer        = "https://mycluster-x7k2p-oidc.s3.us-east-2.amazonaws.com"
)

// Call answers an invoke in the mocks.
type Call = func(resource.PropertyMap) (resource.PropertyMap, error)

// Mocks are the fakes of the cloud: discovery finds Worker in Region,
// whose security group has no rule yet; no vmimport role exists; the
// OIDC provider of Issuer does. Buckets and roles get the names and
// ARNs AWS would give them.
func Mocks() mocks.Mocks {
	pm := resource.NewPropertyMapFromMap
	return mocks.Mocks{
		Calls: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"aws:index/getRegion:getRegion": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"name": Region}), nil
			},
			"aws:index/getCallerIdentity:getCallerIdentity": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/admin", "userId": "AIDAEXAMPLE"}), nil
			},
			"aws:index/getPartition:getPartition": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com"}), nil
			},
			"aws:ec2/getInstances:getInstances": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"ids": []string{Worker}}), nil
			},
			"aws:ec2/getInstance:getInstance": WorkerIn(Subnet, SecurityGroup),
			"aws:ec2/getSubnet:getSubnet": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"vpcId": VPC}), nil
			},
			TokenSecurityGroupRules:    Ingress(nil)[TokenSecurityGroupRules],
			TokenSecurityGroupRule:     Ingress(nil)[TokenSecurityGroupRule],
			TokenRoles:                 VMImportRoles(false),
			TokenOpenIDConnectProvider: OIDCProvider(Issuer, contract.WorkloadAudience, "sts.amazonaws.com"),
		},
		Resources: map[string]func(string, resource.PropertyMap) (string, resource.PropertyMap){
			TypeBucket: func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
				bucket := BucketName(name)
				return bucket, pm(map[string]any{"bucket": bucket, "arn": "arn:aws:s3:::" + bucket})
			},
			TypeRole: func(name string, in resource.PropertyMap) (string, resource.PropertyMap) {
				role := name + "-7c1e2f3" // autonamed, as Pulumi does
				if n, ok := in["name"]; ok && n.IsString() {
					role = n.StringValue()
				}
				return role, pm(map[string]any{"name": role, "arn": "arn:aws:iam::" + Account + ":role/" + role})
			},
		},
		Secrets: map[string]string{
			"peerpods:awsAccessKeyId":     AccessKeyID,
			"peerpods:awsSecretAccessKey": mocks.FakeSecret,
		},
	}
}

// Invoke tokens and resource types the mocks answer beyond discovery.
const (
	TokenSecurityGroupRules    = "aws:vpc/getSecurityGroupRules:getSecurityGroupRules"
	TokenSecurityGroupRule     = "aws:vpc/getSecurityGroupRule:getSecurityGroupRule"
	TokenRoles                 = "aws:iam/getRoles:getRoles"
	TokenRole                  = "aws:iam/getRole:getRole"
	TokenOpenIDConnectProvider = "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"
	TypeBucket                 = "aws:s3/bucketV2:BucketV2"
	TypeRole                   = "aws:iam/role:Role"
	TypeRolePolicy             = "aws:iam/rolePolicy:RolePolicy"
	TypeIngressRule            = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
)

// BucketName is the name the mocks give the bucket of resource name,
// as Pulumi's autonaming would.
func BucketName(name string) string { return name + "-9f8e7d6" }

// WorkerIn answers getInstance with a worker in subnet with the
// security group sg, as after the cluster's workers were replaced.
func WorkerIn(subnet, sg string) func(resource.PropertyMap) (resource.PropertyMap, error) {
	return func(resource.PropertyMap) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(map[string]any{"subnetId": subnet, "vpcSecurityGroupIds": []string{sg}}), nil
	}
}

// GroupRule is an ingress rule of a security group in the mocks.
type GroupRule struct {
	// Group is the security group the rule belongs to.
	Group string
	aws.IngressRule
}

// Ingress answers getSecurityGroupRules and getSecurityGroupRule
// (by token) with the rules, in any order, as AWS lists them.
func Ingress(rules []GroupRule) map[string]Call {
	pm := resource.NewPropertyMapFromMap
	return map[string]Call{
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

// VMImportRoles answers getRoles: the account has a role named
// vmimport, or none.
func VMImportRoles(exists bool) Call {
	return func(resource.PropertyMap) (resource.PropertyMap, error) {
		names, arns := []string{}, []string{}
		if exists {
			names, arns = []string{aws.VMImportRole}, []string{"arn:aws:iam::" + Account + ":role/" + aws.VMImportRole}
		}
		return resource.NewPropertyMapFromMap(map[string]any{"names": names, "arns": arns}), nil
	}
}

// VMImportRoleTagged answers getRole: the vmimport role with tags.
func VMImportRoleTagged(tags map[string]string) Call {
	return func(resource.PropertyMap) (resource.PropertyMap, error) {
		t := map[string]any{}
		for k, v := range tags {
			t[k] = v
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": aws.VMImportRole, "arn": "arn:aws:iam::" + Account + ":role/" + aws.VMImportRole, "tags": t,
		}), nil
	}
}

// OIDCProvider answers getOpenIdConnectProvider: the account has an
// OIDC provider for issuer only, accepting the audiences clientIDs; issuer
// "" has none.
func OIDCProvider(issuer string, clientIDs ...string) Call {
	return func(args resource.PropertyMap) (resource.PropertyMap, error) {
		url := args["url"].StringValue()
		if issuer == "" || url != issuer {
			return nil, fmt.Errorf("finding IAM OIDC Provider (%s): couldn't find resource", url)
		}
		host := identity.IssuerHost(issuer)
		return resource.NewPropertyMapFromMap(map[string]any{
			"arn": "arn:aws:iam::" + Account + ":oidc-provider/" + host, "url": host, "clientIdLists": clientIDs,
		}), nil
	}
}
