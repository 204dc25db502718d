package gcp_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/peerpods/provisioner/gcp"
	"github.com/peerpods/provisioner/tests/testkit/mocks/gcpmock"
	gcpp "github.com/pulumi/pulumi-gcp/sdk/v7/go/gcp"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A Go program of one's own using the gcp component: the GCP provider is
// the program's, the firewall rule lets the cluster's network reach the
// pod VMs, and the values for peer-pods-cm are outputs, resolved once the
// rule exists. (Here on Pulumi's mocks, with a fake GCP project; a real
// program is pulumi.Run(program).)
func Example() {
	program := func(ctx *pulumi.Context) error {
		provider, err := gcpp.NewProvider(ctx, "gcp", &gcpp.ProviderArgs{Project: pulumi.String("my-project")})
		if err != nil {
			return err
		}
		podvms, err := gcp.NewPeerPods(ctx, "podvms", gcp.Args{
			ProjectID: "my-project", Zone: "us-central1-a", Network: "mycluster-x7k2p-network",
			SourceRanges: []string{"10.0.0.0/16"},
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("configMap", podvms.ConfigMap)
		// What the program's stack outputs would show.
		pulumi.All(podvms.ConfigMap, podvms.FirewallID).ApplyT(func(v []any) error {
			cm := v[0].(map[string]string)
			for _, k := range slices.Sorted(maps.Keys(cm)) {
				fmt.Printf("%s=%s\n", k, cm[k])
			}
			fmt.Println("firewall:", v[1])
			return nil
		})
		return nil
	}
	err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", gcpmock.Mocks().Recording()))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// CLOUD_PROVIDER=gcp
	// GCP_MACHINE_TYPE=e2-medium
	// GCP_NETWORK=global/networks/mycluster-x7k2p-network
	// GCP_PROJECT_ID=my-project
	// GCP_ZONE=us-central1-a
	// PEERPODS_LIMIT_PER_NODE=10
	// PROXY_TIMEOUT=5m
	// ROOT_VOLUME_SIZE=6
	// VXLAN_PORT=9000
	// firewall: podvms-firewall-id
}
