package handoff_test

import (
	"fmt"
	"strings"

	"github.com/peerpods/provisioner/aws"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/tests/testkit/mocks/awsmock"
	awsp "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A Go program of one's own that hands a cloud component's values on to
// the cluster: the aws component opens the worker network, then the
// ClusterHandoff writes peer-pods-cm. The order comes with the values:
// NewArgs carries the resources they need (Values.Ready, the ingress
// rules), and every object of the handoff depends on them, with no
// pulumi.DependsOn of the program's. (Here on Pulumi's mocks, with a fake
// AWS account; a real program is pulumi.Run(program).)
func Example() {
	program := func(ctx *pulumi.Context) error {
		cloud, err := awsp.NewProvider(ctx, "aws", &awsp.ProviderArgs{Region: pulumi.String("us-east-2")})
		if err != nil {
			return err
		}
		podvms, err := aws.NewPeerPods(ctx, "podvms", aws.Args{InstanceID: awsmock.Worker}, pulumi.Provider(cloud))
		if err != nil {
			return err
		}
		cluster, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{
			EnableConfigMapMutable: pulumi.Bool(true), EnableSecretMutable: pulumi.Bool(true),
		})
		if err != nil {
			return err
		}
		_, err = handoff.NewClusterHandoff(ctx, "handoff", handoff.NewArgs(podvms.Values, handoff.Options{}), pulumi.Provider(cluster))
		return err
	}
	mocks := awsmock.Mocks().Recording()
	if err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", mocks)); err != nil {
		fmt.Println(err)
	}
	// What the engine was told: each object, and what it waits for.
	name := func(urn string) string { return urn[strings.LastIndex(urn, "::")+2:] }
	for _, r := range mocks.Resources() {
		if strings.HasPrefix(r.Type, "kubernetes:core/") {
			var deps []string
			for _, d := range r.Dependencies {
				deps = append(deps, name(d))
			}
			fmt.Printf("%s %s after %s\n", strings.TrimPrefix(r.Type, "kubernetes:core/v1:"), name(r.URN), strings.Join(deps, ", "))
		}
	}
	// Output:
	// Namespace handoff-openshift-sandboxed-containers-operator after podvms-sg-0aaaaaaaaaaaaaaa0-kata-agent-tcp, podvms-sg-0aaaaaaaaaaaaaaa0-tunnel-tcp, podvms-sg-0aaaaaaaaaaaaaaa0-tunnel-udp
	// ConfigMap handoff-peer-pods-cm after podvms-sg-0aaaaaaaaaaaaaaa0-kata-agent-tcp, podvms-sg-0aaaaaaaaaaaaaaa0-tunnel-tcp, podvms-sg-0aaaaaaaaaaaaaaa0-tunnel-udp, handoff-openshift-sandboxed-containers-operator
}
