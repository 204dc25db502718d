// Package azuremock holds the fakes of cloud azure for tests on Pulumi
// mocks: the answers of its discovery invokes, the outputs of its
// resources, the secret values of its example stacks.
package azuremock

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The mocks' Azure cluster: resource group, VNet and worker subnet of an
// installer-made cluster.
const (
	Subscription = "11111111-2222-3333-4444-555555555555"
	RG           = "mycluster-x7k2p-rg"
	RGID         = "/subscriptions/" + Subscription + "/resourceGroups/" + RG
	VNetID       = RGID + "/providers/Microsoft.Network/virtualNetworks/mycluster-x7k2p-vnet"
)

// Type tokens of the resources of workload identity the mocks fake.
const (
	TypeResourceGroup  = "azure-native:resources:ResourceGroup"
	TypeRoleDefinition = "azure:authorization/roleDefinition:RoleDefinition"
)

// RoleDefinitionID is the ARM ID the mocks give the custom role definition
// of Pulumi resource name: its name stands for the GUID Azure would make.
func RoleDefinitionID(name string) string {
	return "/subscriptions/" + Subscription + "/providers/Microsoft.Authorization/roleDefinitions/" + name
}

// The mocks' workload identity: what Azure gives a new user-assigned
// managed identity.
const (
	IdentityClientID    = "0a1b2c3d-0000-4000-8000-00000000c1e7"
	IdentityPrincipalID = "0a1b2c3d-0000-4000-8000-000000000bec"
	IdentityTenantID    = "0a1b2c3d-0000-4000-8000-0000000071d0"
)

// Mocks are the fakes of the cloud: discovery finds an installer-made
// cluster in eastus; the tls provider's key pair is mocks.FakeKeyPair(1);
// a managed identity gets IdentityClientID, IdentityPrincipalID and
// IdentityTenantID.
func Mocks() mocks.Mocks {
	pm := resource.NewPropertyMapFromMap
	str := resource.NewStringProperty
	private, public := mocks.FakeKeyPair(1)
	return mocks.Mocks{
		Resources: map[string]func(string, resource.PropertyMap) (string, resource.PropertyMap){
			"tls:index/privateKey:PrivateKey": func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
				return name + "-id", resource.PropertyMap{"privateKeyOpenssh": resource.MakeSecret(str(private)), "publicKeyOpenssh": str(public + "\n")}
			},
			"azure:authorization/userAssignedIdentity:UserAssignedIdentity": func(_ string, in resource.PropertyMap) (string, resource.PropertyMap) {
				return RGID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + in["name"].StringValue(),
					pm(map[string]any{"clientId": IdentityClientID, "principalId": IdentityPrincipalID, "tenantId": IdentityTenantID})
			},
			TypeResourceGroup: func(_ string, in resource.PropertyMap) (string, resource.PropertyMap) {
				return "/subscriptions/" + Subscription + "/resourceGroups/" + in["resourceGroupName"].StringValue(), nil
			},
			TypeRoleDefinition: func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
				id := RoleDefinitionID(name)
				return id + "|" + name, pm(map[string]any{"roleDefinitionResourceId": id})
			},
			"azure-native:network:Subnet": func(name string, in resource.PropertyMap) (string, resource.PropertyMap) {
				return RGID + "/providers/Microsoft.Network/virtualNetworks/" + in["virtualNetworkName"].StringValue() + "/subnets/" + in["subnetName"].StringValue(), nil
			},
		},
		Calls: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"azure-native:resources:getResourceGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": RGID, "location": "eastus", "name": RG}), nil
			},
			"azure:core/getResources:getResources": func(a resource.PropertyMap) (resource.PropertyMap, error) {
				name := "mycluster-x7k2p-nsg"
				if a["type"].StringValue() == "Microsoft.Network/virtualNetworks" {
					name = "mycluster-x7k2p-vnet"
				}
				return pm(map[string]any{"resources": []any{map[string]any{"name": name}}}), nil
			},
			"azure-native:network:getVirtualNetwork": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": VNetID, "addressSpace": map[string]any{"addressPrefixes": []any{"10.0.0.0/14"}},
					"subnets": []any{map[string]any{"name": "mycluster-x7k2p-worker-subnet"}}}), nil
			},
			"azure-native:network:getSubnet": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": VNetID + "/subnets/mycluster-x7k2p-worker-subnet", "addressPrefix": "10.0.128.0/17"}), nil
			},
			"azure-native:network:getNetworkSecurityGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": RGID + "/providers/Microsoft.Network/networkSecurityGroups/mycluster-x7k2p-nsg"}), nil
			},
		},
		Secrets: map[string]string{
			"peerpods:azureClientId":     "0a1b2c3d-0000-4000-8000-00000000c11d",
			"peerpods:azureClientSecret": mocks.FakeSecret,
			"peerpods:azureTenantId":     "0a1b2c3d-0000-4000-8000-0000000071d0",
		},
	}
}
