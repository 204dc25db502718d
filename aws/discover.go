package aws

import (
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/problems"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Network is the AWS network of the cluster's workers: what the pod VMs
// join and what the ingress rules are written for.
type Network struct {
	// Region is the provider's region.
	Region string
	// VPCID, SubnetID and SecurityGroupIDs are the worker network.
	VPCID            string
	SubnetID         string
	SecurityGroupIDs []string
	// InstanceID is the worker instance the network was read from; empty
	// when every value was given.
	InstanceID string
	// InfraID is the cluster's infrastructure name: aws.infraId, else the
	// name in the worker's ClusterTag (tagged owned); empty when neither
	// is known.
	InfraID string
}

// Discover finds the worker network through the given provider: explicit
// values in args win, the rest is read from the worker instance (given, or
// found by the cluster tag).
func Discover(ctx *pulumi.Context, args Args, provider pulumi.ProviderResource) (Network, error) {
	via := pulumi.Provider(provider)
	region, err := awsp.GetRegion(ctx, nil, via)
	if err != nil {
		return Network{}, problems.LookupFailed("aws.region", "the AWS provider's region", err, "set aws.region (or AWS_REGION) and check the AWS credentials")
	}
	n := Network{
		Region:           region.Name,
		InfraID:          args.InfraID,
		VPCID:            args.VPCID,
		SubnetID:         args.SubnetID,
		SecurityGroupIDs: slices.Clone(args.SecurityGroupIDs),
	}
	if len(n.SecurityGroupIDs) == 0 || n.SubnetID == "" {
		n.InstanceID = args.InstanceID
		if n.InstanceID == "" {
			if n.InstanceID, err = findWorker(ctx, args.InfraID, via); err != nil {
				return Network{}, err
			}
		}
		inst, err := ec2.LookupInstance(ctx, &ec2.LookupInstanceArgs{InstanceId: &n.InstanceID}, via)
		if err != nil {
			setting := "aws.instanceId"
			if args.InstanceID == "" {
				setting = "aws.infraId"
			}
			return Network{}, problems.LookupFailed(setting, "worker instance "+n.InstanceID, err, "check the instance ID (aws ec2 describe-instances) and aws.region")
		}
		if len(n.SecurityGroupIDs) == 0 {
			n.SecurityGroupIDs = slices.Sorted(slices.Values(inst.VpcSecurityGroupIds))
		}
		if n.SubnetID == "" {
			n.SubnetID = inst.SubnetId
		}
		if n.InfraID == "" {
			n.InfraID = infraIDOf(inst.Tags)
		}
	}
	if n.VPCID == "" {
		subnet, err := ec2.LookupSubnet(ctx, &ec2.LookupSubnetArgs{Id: &n.SubnetID}, via)
		if err != nil {
			return Network{}, problems.LookupFailed("aws.subnetId", "subnet "+n.SubnetID, err, "check the subnet ID and aws.region, or set aws.vpcId")
		}
		n.VPCID = subnet.VpcId
	}
	if len(n.SecurityGroupIDs) == 0 {
		return Network{}, problems.Invalid("aws.securityGroupIds", fmt.Sprintf("cannot be discovered: worker %s has no VPC security group", n.InstanceID),
			"set aws.securityGroupIds to the worker security groups")
	}
	if n.SubnetID == "" || n.VPCID == "" {
		return Network{}, problems.Invalid("aws.subnetId", fmt.Sprintf("cannot be discovered: worker %s reports no subnet or VPC", n.InstanceID),
			"set aws.subnetId and aws.vpcId")
	}
	return n, nil
}

// ClusterTag is the tag key the OpenShift installer puts on every resource
// of the cluster with infrastructure name infraID.
func ClusterTag(infraID string) string { return "kubernetes.io/cluster/" + infraID }

// infraIDOf is the infrastructure name of the cluster that owns an
// instance with these tags (its ClusterTag with the value owned), or empty
// when there is not exactly one.
func infraIDOf(tags map[string]string) string {
	var ids []string
	for k, v := range tags {
		if id, ok := strings.CutPrefix(k, ClusterTag("")); ok && v == "owned" && id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		return ""
	}
	return ids[0]
}

// findWorker returns the running worker of the cluster with the lowest
// instance ID, so that the choice is stable from run to run.
func findWorker(ctx *pulumi.Context, infraID string, via pulumi.InvokeOption) (string, error) {
	res, err := ec2.GetInstances(ctx, &ec2.GetInstancesArgs{
		Filters: []ec2.GetInstancesFilter{
			{Name: "tag:" + ClusterTag(infraID), Values: []string{"owned"}},
			{Name: "tag:Name", Values: []string{infraID + "-worker-*"}},
		},
		InstanceStateNames: []string{"running"},
	}, via)
	if err != nil {
		return "", problems.LookupFailed("aws.infraId", "the workers of cluster "+infraID, err, "check aws.region and the AWS credentials, or set aws.instanceId")
	}
	if len(res.Ids) == 0 {
		return "", problems.Invalid("aws.infraId", fmt.Sprintf("is %q, but no running instance is tagged %s=owned and named %s-worker-*", infraID, ClusterTag(infraID), infraID),
			"check the infrastructure name (oc get infrastructure cluster -o jsonpath='{.status.infrastructureName}') and the provider's region, or set aws.instanceId")
	}
	return slices.Min(res.Ids), nil
}
