package aws_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestLeftovers: an account whose subnet holds a pod VM cloud-api-adaptor
// left (tag Name podvm-...), its extra NIC and an orphaned one, and
// foreign objects the invokes' filters let through (a worker, an instance
// of another subnet, a NIC named otherwise): only cloud-api-adaptor's are
// listed, each with the aws command removing it; the invokes filter by the
// stack's subnet and go through the sweep's own provider in its region.
func TestLeftovers(t *testing.T) {
	pm := resource.NewPropertyMapFromMap
	const podvm, foreign, elsewhere = "i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2", "i-0ccccccccccccccc3"
	instances := map[string]map[string]any{
		podvm:     {"tags": map[string]any{"Name": "podvm-nginx-1a2b3c4d"}, "subnetId": subnet, "instanceState": "running"},
		foreign:   {"tags": map[string]any{"Name": "cluster-worker-a"}, "subnetId": subnet, "instanceState": "running"},
		elsewhere: {"tags": map[string]any{"Name": "podvm-db-99999999"}, "subnetId": "subnet-other", "instanceState": "stopped"},
	}
	nics := map[string]map[string]any{
		"eni-1": {"tags": map[string]any{"Name": "nic-" + podvm}, "subnetId": subnet, "attachments": []any{map[string]any{"instanceId": podvm}}},
		"eni-2": {"tags": map[string]any{"Name": "nic-i-0dddddddddddddddd"}, "subnetId": subnet},
		"eni-3": {"tags": map[string]any{"Name": "cluster-eni"}, "subnetId": subnet},
	}
	m := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{
		"aws:ec2/getInstances:getInstances": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"ids": []string{foreign, podvm, elsewhere}}), nil
		},
		"aws:ec2/getInstance:getInstance": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(instances[args["instanceId"].StringValue()]), nil
		},
		"aws:ec2/getNetworkInterfaces:getNetworkInterfaces": func(resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(map[string]any{"ids": []string{"eni-1", "eni-2", "eni-3"}}), nil
		},
		"aws:ec2/getNetworkInterface:getNetworkInterface": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			return pm(nics[args["id"].StringValue()]), nil
		},
	}}
	var got []leftovers.Item
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) (err error) {
		got, err = aws.Leftovers(ctx, map[string]string{contract.KeyAWSSubnetID: subnet, contract.KeyAWSRegion: "us-east-2"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	where := "subnet " + subnet
	want := []leftovers.Item{
		{Kind: "instance", Name: "podvm-nginx-1a2b3c4d", ID: podvm, Where: where, CAA: true, Note: "running",
			Command: "aws ec2 --region us-east-2 terminate-instances --instance-ids " + podvm},
		{Kind: "network interface", Name: "nic-" + podvm, ID: "eni-1", Where: where, CAA: true, Note: "attached to " + podvm,
			Command: "aws ec2 --region us-east-2 terminate-instances --instance-ids " + podvm + "; aws ec2 --region us-east-2 delete-network-interface --network-interface-id eni-1"},
		{Kind: "network interface", Name: "nic-i-0dddddddddddddddd", ID: "eni-2", Where: where, CAA: true, Note: "not attached",
			Command: "aws ec2 --region us-east-2 delete-network-interface --network-interface-id eni-2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("leftovers:\n got %+v\nwant %+v", got, want)
	}
	provs := m.OfType("pulumi:providers:aws")
	if len(provs) != 1 || provs[0].Inputs["region"].StringValue() != "us-east-2" {
		t.Fatalf("providers %+v", provs)
	}
	for _, inv := range m.Invokes() {
		if inv.Provider != provs[0].Ref() {
			t.Errorf("%s through provider %q, want the sweep's", inv.Token, inv.Provider)
		}
		if strings.HasSuffix(inv.Token, "s") {
			if f := inv.Args["filters"].ArrayValue(); len(f) == 0 || f[0].ObjectValue()["values"].ArrayValue()[0].StringValue() != subnet {
				t.Errorf("%s filters %v, want the subnet first", inv.Token, inv.Args["filters"])
			}
		}
	}
}

// TestLeftoversNeedsTheSubnet: a stack without AWS_SUBNET_ID (never up)
// is an error naming the fix, and nothing is invoked.
func TestLeftoversNeedsTheSubnet(t *testing.T) {
	m := &pulumitest.Mocks{}
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		_, err := aws.Leftovers(ctx, map[string]string{})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no AWS_SUBNET_ID") || !strings.Contains(err.Error(), "peerpods up --stack test") {
		t.Errorf("error %v", err)
	}
	if len(m.Invokes()) > 0 {
		t.Errorf("invokes %v", m.Invokes())
	}
}
