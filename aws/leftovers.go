package aws

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// caaNIC is the Name tag of the extra network interface cloud-api-adaptor
// adds to a pod VM ("nic-<instance ID>": src/cloud-providers/aws/provider.go
// createAddonNICforInstance, openshift/cloud-api-adaptor osc-release-v1.10
// bb4e602c).
var caaNIC = regexp.MustCompile(`^nic-i-[0-9a-f]+$`)

// Leftovers finds, with invokes only (for peerpods sweep): the instances cloud-api-adaptor ran
// in the stack's AWS_SUBNET_ID and did not terminate, and the extra
// network interfaces it created there. cloud-api-adaptor tags each pod VM
// instance Name=<pod VM name> (provider.go CreateInstance: the Name tag
// from util.GenerateInstanceName, then the TAGS of peer-pods-cm) and
// runs it in AWS_SUBNET_ID; its root volume goes with the instance
// (DeleteOnTermination of the AMI's root device), so terminating the
// instance removes it. Instances are found by subnet and Name tag
// (ec2.GetInstances), then each read (ec2.LookupInstance) and kept only
// if its Name is a pod VM name and its subnet the stack's.
func Leftovers(ctx *pulumi.Context, cm map[string]string) ([]leftovers.Item, error) {
	subnet, region := cm[contract.KeyAWSSubnetID], cm[contract.KeyAWSRegion]
	if subnet == "" {
		return nil, fmt.Errorf("the stack's configMap output has no %s: nothing tells where cloud-api-adaptor runs pod VMs; fix: run peerpods up --stack %s first", contract.KeyAWSSubnetID, ctx.Stack())
	}
	prov, err := awsp.NewProvider(ctx, "sweep", &awsp.ProviderArgs{Region: pulumi.StringPtr(region)})
	if err != nil {
		return nil, err
	}
	opt := pulumi.Provider(prov)
	where := "subnet " + subnet
	cli := "aws ec2"
	if region != "" {
		cli += " --region " + region
	}
	found, err := ec2.GetInstances(ctx, &ec2.GetInstancesArgs{
		Filters: []ec2.GetInstancesFilter{
			{Name: "subnet-id", Values: []string{subnet}},
			{Name: "tag:Name", Values: []string{"podvm-*"}},
		},
		InstanceStateNames: []string{"pending", "running", "stopping", "stopped"},
	}, opt)
	if err != nil {
		return nil, fmt.Errorf("listing the instances of %s: %w", where, err)
	}
	var items []leftovers.Item
	for _, id := range found.Ids {
		id := id
		in, err := ec2.LookupInstance(ctx, &ec2.LookupInstanceArgs{InstanceId: &id}, opt)
		if err != nil {
			return nil, fmt.Errorf("reading instance %s: %w", id, err)
		}
		name := in.Tags["Name"]
		if !leftovers.IsPodVMName(name) || in.SubnetId != subnet {
			continue
		}
		items = append(items, leftovers.Item{Kind: "instance", Name: name, ID: id, Where: where, CAA: true,
			Note: in.InstanceState, Command: cli + " terminate-instances --instance-ids " + id})
	}
	nics, err := ec2.GetNetworkInterfaces(ctx, &ec2.GetNetworkInterfacesArgs{
		Filters: []ec2.GetNetworkInterfacesFilter{
			{Name: "subnet-id", Values: []string{subnet}},
			{Name: "tag:Name", Values: []string{"nic-i-*"}},
		},
	}, opt)
	if err != nil {
		return nil, fmt.Errorf("listing the network interfaces of %s: %w", where, err)
	}
	for _, id := range nics.Ids {
		id := id
		nic, err := ec2.LookupNetworkInterface(ctx, &ec2.LookupNetworkInterfaceArgs{Id: &id}, opt)
		if err != nil {
			return nil, fmt.Errorf("reading network interface %s: %w", id, err)
		}
		name := nic.Tags["Name"]
		if !caaNIC.MatchString(name) || nic.SubnetId != subnet {
			continue
		}
		note, cmd := "not attached", cli+" delete-network-interface --network-interface-id "+id
		var on []string
		for _, a := range nic.Attachments {
			on = append(on, a.InstanceId)
		}
		if len(on) > 0 {
			// Deleted with its instance once terminated (CAA sets
			// DeleteOnTermination on the attachment).
			note = "attached to " + strings.Join(on, ", ")
			cmd = cli + " terminate-instances --instance-ids " + strings.Join(on, " ") + "; " + cmd
		}
		items = append(items, leftovers.Item{Kind: "network interface", Name: name, ID: id, Where: where, CAA: true, Note: note, Command: cmd})
	}
	leftovers.Sort(items)
	return items, nil
}
