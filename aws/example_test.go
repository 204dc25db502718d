package aws_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A Go program of one's own using the aws component: the AWS provider is
// the program's, the worker network is found from a worker instance, and
// the values for peer-pods-cm are outputs, resolved once the ingress
// rules exist. (Here on Pulumi's mocks, with a fake AWS account; a real
// program is pulumi.Run(program).)
func Example() {
	program := func(ctx *pulumi.Context) error {
		provider, err := awsp.NewProvider(ctx, "aws", &awsp.ProviderArgs{Region: pulumi.String("us-east-2")})
		if err != nil {
			return err
		}
		podvms, err := aws.NewPeerPods(ctx, "podvms", aws.Args{InstanceID: awsmock.Worker}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("configMap", podvms.ConfigMap)
		// What the program's stack outputs would show.
		pulumi.All(podvms.ConfigMap, podvms.RuleIDs).ApplyT(func(v []any) error {
			cm := v[0].(map[string]string)
			for _, k := range slices.Sorted(maps.Keys(cm)) {
				fmt.Printf("%s=%s\n", k, cm[k])
			}
			fmt.Println("rules:", v[1])
			return nil
		})
		return nil
	}
	err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", awsmock.Mocks().Recording()))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// AWS_REGION=us-east-2
	// AWS_SG_IDS=sg-0aaaaaaaaaaaaaaa0
	// AWS_SUBNET_ID=subnet-0aaaaaaaaaaaaaaa0
	// AWS_VPC_ID=vpc-0aaaaaaaaaaaaaaa0
	// CLOUD_PROVIDER=aws
	// PEERPODS_LIMIT_PER_NODE=10
	// PODVM_INSTANCE_TYPE=t3.medium
	// PODVM_INSTANCE_TYPES=t2.small,t2.medium,t3.medium,t3.large
	// PROXY_TIMEOUT=5m
	// ROOT_VOLUME_SIZE=6
	// VXLAN_PORT=9000
	// rules: [podvms-sg-0aaaaaaaaaaaaaaa0-kata-agent-tcp-id podvms-sg-0aaaaaaaaaaaaaaa0-tunnel-tcp-id podvms-sg-0aaaaaaaaaaaaaaa0-tunnel-udp-id]
}
