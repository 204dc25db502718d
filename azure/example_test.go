package azure_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/tests/testkit/mocks/azuremock"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	classic "github.com/pulumi/pulumi-azure/sdk/v6/go/azure"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A Go program of one's own using the azure component: the providers
// (azure-native, azure for the lookups, tls for the SSH key) are the
// program's, the cluster's network is found from its resource group, and
// the values for peer-pods-cm are outputs, resolved once the network
// security rules exist. (Here on Pulumi's mocks, with a fake Azure
// subscription; a real program is pulumi.Run(program).)
func Example() {
	program := func(ctx *pulumi.Context) error {
		native, err := azurenative.NewProvider(ctx, "azure-native", &azurenative.ProviderArgs{})
		if err != nil {
			return err
		}
		lookups, err := classic.NewProvider(ctx, "azure", &classic.ProviderArgs{})
		if err != nil {
			return err
		}
		keys, err := tls.NewProvider(ctx, "tls", &tls.ProviderArgs{})
		if err != nil {
			return err
		}
		podvms, err := azure.NewPeerPods(ctx, "podvms", azure.Args{ResourceGroup: "mycluster-x7k2p-rg"},
			pulumi.Providers(native, lookups, keys))
		if err != nil {
			return err
		}
		ctx.Export("configMap", podvms.ConfigMap)
		// What the program's stack outputs would show.
		pulumi.All(podvms.ConfigMap, podvms.SSHKeySecret).ApplyT(func(v []any) error {
			cm := v[0].(map[string]string)
			for _, k := range slices.Sorted(maps.Keys(cm)) {
				fmt.Printf("%s=%s\n", k, cm[k])
			}
			fmt.Println("ssh-key-secret:", slices.Sorted(maps.Keys(v[1].(map[string]string))))
			for _, rule := range podvms.Rules {
				fmt.Println("rule:", rule.Name, rule.Ports)
			}
			return nil
		})
		return nil
	}
	err := pulumi.RunErr(program, pulumi.WithMocks("project", "stack", azuremock.Mocks().Recording()))
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// AZURE_INSTANCE_SIZE=Standard_B2als_v2
	// AZURE_INSTANCE_SIZES=Standard_B2als_v2,Standard_D2as_v5,Standard_D4as_v5,Standard_D2ads_v5
	// AZURE_NSG_ID=/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/mycluster-x7k2p-rg/providers/Microsoft.Network/networkSecurityGroups/mycluster-x7k2p-nsg
	// AZURE_REGION=eastus
	// AZURE_RESOURCE_GROUP=mycluster-x7k2p-rg
	// AZURE_SUBNET_ID=/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/mycluster-x7k2p-rg/providers/Microsoft.Network/virtualNetworks/mycluster-x7k2p-vnet/subnets/mycluster-x7k2p-worker-subnet
	// CLOUD_PROVIDER=azure
	// PEERPODS_LIMIT_PER_NODE=10
	// PROXY_TIMEOUT=5m
	// ROOT_VOLUME_SIZE=6
	// VXLAN_PORT=9000
	// ssh-key-secret: [id_rsa id_rsa.pub]
	// rule: Allow-Kata-Agent-Internal [15150/tcp]
	// rule: Allow-VXLAN-Internal [9000/tcp]
	// rule: Allow-VXLAN-Internal-UDP [9000/udp]
}
