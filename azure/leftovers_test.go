package azure_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestLeftovers: a peer-pod subnet whose IP configurations belong to a
// pod VM's NIC (podvm-...-net, attached), an orphaned pod VM NIC, a
// worker's NIC and a private endpoint: only cloud-api-adaptor's are
// listed, the VM with az vm delete (NIC and disk go with it), the lone
// NIC with az network nic delete.
func TestLeftovers(t *testing.T) {
	const (
		sub  = "/subscriptions/00000000-0000-0000-0000-000000000001"
		rg   = sub + "/resourceGroups/cluster-rg"
		snet = rg + "/providers/Microsoft.Network/virtualNetworks/peerpod-vnet/subnets/peerpod-subnet"
		nics = rg + "/providers/Microsoft.Network/networkInterfaces/"
		vm   = rg + "/providers/Microsoft.Compute/virtualMachines/podvm-nginx-1a2b3c4d"
	)
	pm := resource.NewPropertyMapFromMap
	var lookedUp []string
	m := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{
		"azure-native:network:getSubnet": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			if args["resourceGroupName"].StringValue() != "cluster-rg" || args["virtualNetworkName"].StringValue() != "peerpod-vnet" || args["subnetName"].StringValue() != "peerpod-subnet" {
				t.Errorf("getSubnet %v", args)
			}
			return pm(map[string]any{"name": "peerpod-subnet", "ipConfigurations": []any{
				map[string]any{"id": nics + "podvm-nginx-1a2b3c4d-net/ipConfigurations/ip-config"},
				map[string]any{"id": nics + "podvm-web-0badf00d-net/ipConfigurations/ip-config"},
				map[string]any{"id": nics + "cluster-worker-a-nic/ipConfigurations/pipConfig"},
				map[string]any{"id": rg + "/providers/Microsoft.Network/privateEndpoints/pe/ipConfigurations/x"},
			}}), nil
		},
		"azure-native:network:getNetworkInterface": func(args resource.PropertyMap) (resource.PropertyMap, error) {
			name := args["networkInterfaceName"].StringValue()
			lookedUp = append(lookedUp, name)
			if name == "podvm-nginx-1a2b3c4d-net" {
				return pm(map[string]any{"name": name, "virtualMachine": map[string]any{"id": vm}}), nil
			}
			return pm(map[string]any{"name": name}), nil
		},
	}}
	var got []leftovers.Item
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) (err error) {
		got, err = azure.Leftovers(ctx, map[string]string{contract.KeyAzureSubnetID: snet})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	where := "subnet peerpod-subnet of peerpod-vnet"
	want := []leftovers.Item{
		{Kind: "network interface", Name: "podvm-web-0badf00d-net", ID: nics + "podvm-web-0badf00d-net", Where: where, CAA: true,
			Note: "of no virtual machine", Command: "az network nic delete --ids " + nics + "podvm-web-0badf00d-net"},
		{Kind: "virtual machine", Name: "podvm-nginx-1a2b3c4d", ID: vm, Where: where, CAA: true,
			Note: "with network interface podvm-nginx-1a2b3c4d-net and OS disk podvm-nginx-1a2b3c4d-disk, deleted with it", Command: "az vm delete --yes --ids " + vm},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("leftovers:\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(lookedUp, []string{"podvm-nginx-1a2b3c4d-net", "podvm-web-0badf00d-net"}) {
		t.Errorf("NICs read: %v, want only the pod VMs'", lookedUp)
	}
	provs := m.OfType("pulumi:providers:azure-native")
	if len(provs) != 1 || provs[0].Inputs["subscriptionId"].StringValue() != "00000000-0000-0000-0000-000000000001" {
		t.Fatalf("providers %+v", provs)
	}
	for _, inv := range m.Invokes() {
		if inv.Provider != provs[0].Ref() {
			t.Errorf("%s through provider %q, want the sweep's", inv.Token, inv.Provider)
		}
	}
}

// TestLeftoversNeedsTheSubnet: no AZURE_SUBNET_ID is an error naming the
// fix.
func TestLeftoversNeedsTheSubnet(t *testing.T) {
	err := pulumitest.Run(&pulumitest.Mocks{}, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		_, err := azure.Leftovers(ctx, map[string]string{})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no AZURE_SUBNET_ID") {
		t.Errorf("error %v", err)
	}
}
