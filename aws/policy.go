package aws

import (
	"encoding/json"
	"fmt"
	"slices"
)

// PolicyDocument is an IAM policy document: a role's trust policy or an
// inline role policy. Its JSON is deterministic (fields in a fixed order,
// map keys sorted).
type PolicyDocument struct {
	// Version is the policy language version, always 2012-10-17.
	Version string `json:"Version"`
	// Statement are the policy's statements.
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument.
type Statement struct {
	// Sid names the statement (letters and digits).
	Sid string `json:"Sid,omitempty"`
	// Effect is Allow: the stack writes no Deny.
	Effect string `json:"Effect"`
	// Principal is who may assume a role (trust policies only), such as
	// {"Federated": <OIDC provider ARN>}.
	Principal map[string]string `json:"Principal,omitempty"`
	// Action are the API actions allowed.
	Action []string `json:"Action"`
	// Resource are the ARNs the actions are allowed on; empty in trust
	// policies.
	Resource []string `json:"Resource,omitempty"`
	// Condition maps an operator (StringEquals, StringLike) to condition
	// keys and their values.
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// policyVersion is the current IAM policy language version.
const policyVersion = "2012-10-17"

// JSON renders the document.
func (d PolicyDocument) JSON() string {
	b, err := json.Marshal(d)
	if err != nil { // only strings, maps and slices: cannot fail
		panic(fmt.Sprintf("aws: policy document: %v", err))
	}
	return string(b)
}

// policy is a document of the statements, Version set.
func policy(statements ...Statement) PolicyDocument {
	return PolicyDocument{Version: policyVersion, Statement: statements}
}

// allow is an Allow statement of the actions on the resources.
func allow(sid string, actions, resources []string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

// when returns s with the condition op key = value added.
func (s Statement) when(op, key string, value any) Statement {
	c := make(map[string]map[string]any, len(s.Condition)+1)
	for o, kv := range s.Condition {
		c[o] = make(map[string]any, len(kv))
		for k, v := range kv {
			c[o][k] = v
		}
	}
	if c[op] == nil {
		c[op] = map[string]any{}
	}
	c[op][key] = value
	s.Condition = c
	return s
}

// inRegion limits s to API calls made to region (aws:RequestedRegion).
func (s Statement) inRegion(region string) Statement {
	return s.when("StringEquals", "aws:RequestedRegion", region)
}

// AnyResource is the Resource of a statement whose actions cannot be
// limited to resource ARNs. WildcardActions lists the only actions the
// stack grants on it.
const AnyResource = "*"

// describeReason is why EC2 Describe calls are granted on AnyResource.
const describeReason = "EC2's Describe actions support no resource-level permissions"

// WildcardActions are the actions the stack allows on every resource
// (AnyResource), each with the reason it cannot be scoped to ARNs. Every
// statement on AnyResource is also limited to the cluster's region
// (aws:RequestedRegion), except the VM Import service role's, whose calls
// AWS makes itself.
var WildcardActions = map[string]string{
	"ec2:DescribeInstances":       describeReason,
	"ec2:DescribeInstanceTypes":   describeReason,
	"ec2:DescribeImages":          describeReason,
	"ec2:DescribeAddresses":       describeReason,
	"ec2:RegisterImage":           "the vmimport service role's policy as AWS VM Import/Export documents it; the image it makes has no ID before the call",
	"ec2:ModifySnapshotAttribute": "the vmimport service role's policy as AWS VM Import/Export documents it (required-permissions.html, Required service role): AWS acts on snapshots it makes during the import",
	"ec2:CopySnapshot":            "the vmimport service role's policy as AWS VM Import/Export documents it",
	"ec2:Describe*":               "the vmimport service role's policy as AWS VM Import/Export documents it; " + describeReason,
}

// checkWildcards panics when a statement of d allows an action on
// AnyResource that WildcardActions does not list: a programming error the
// tests would catch first.
func checkWildcards(d PolicyDocument) PolicyDocument {
	for _, s := range d.Statement {
		if !slices.Contains(s.Resource, AnyResource) {
			continue
		}
		for _, a := range s.Action {
			if _, ok := WildcardActions[a]; !ok {
				panic(fmt.Sprintf("aws: statement %s allows %s on every resource", s.Sid, a))
			}
		}
	}
	return d
}

// arns names the resources of one account and region in a partition.
type arns struct {
	partition, region, account string
}

// ec2 is the ARN of EC2 resources of type typ with the ID id ("*" for
// every one) in the account and region.
func (a arns) ec2(typ, id string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:%s/%s", a.partition, a.region, a.account, typ, id)
}

// ec2Image is the ARN of the image id (an AMI of any owner) in the
// region.
func (a arns) ec2Image(id string) string {
	return fmt.Sprintf("arn:%s:ec2:%s::image/%s", a.partition, a.region, id)
}

// s3 is the ARN of the bucket (or bucket/key pattern) name.
func (a arns) s3(name string) string { return fmt.Sprintf("arn:%s:s3:::%s", a.partition, name) }

// oidcProvider is the ARN of the IAM OIDC provider of the issuer host
// (the issuer without https://).
func (a arns) oidcProvider(host string) string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", a.partition, a.account, host)
}
