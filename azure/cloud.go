package azure

import (
	"fmt"

	"github.com/peerpods/provisioner/components/cloud"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/sshkey"
	"github.com/peerpods/provisioner/components/values"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	azureclassic "github.com/pulumi/pulumi-azure/sdk/v6/go/azure"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cloud is Azure in the registry of clouds.
type Cloud struct{}

var _ cloud.Cloud = Cloud{}

// Name implements cloud.Cloud.
func (Cloud) Name() contract.Cloud { return contract.Azure }

// NewStack implements cloud.Cloud.
func (Cloud) NewStack() cloud.Stack { return &Stack{} }

// SSHPrivateKeySetting is the stack setting of a supplied ssh-key-secret
// key pair's private key (a secret); without it one is generated.
const SSHPrivateKeySetting = "sshPrivateKey"

// Credentials implements cloud.Cloud.
func (Cloud) Credentials() []string { return []string{SSHPrivateKeySetting} }

// Component implements cloud.Cloud: PeerPods.
func (Cloud) Component() infer.InferredComponent { return infer.ComponentF(NewPeerPods) }

// Examples implements cloud.Cloud.
func (Cloud) Examples() []string { return []string{"azure-worker-subnet", "azure-peer-vnet"} }

// Stack is peerpods:azure: the subscription of the providers and the
// component's arguments.
type Stack struct {
	// Subscription is the subscription of the azure providers and
	// AZURE_SUBSCRIPTION_ID; empty uses the providers' default and the
	// resource group's subscription.
	Subscription string `json:"subscriptionId,omitempty"`
	Args
	sshPrivateKey cloud.Secret
}

// Prepare implements cloud.Stack.
func (s *Stack) Prepare(in cloud.Input) {
	if s.Subscription != "" && !contract.GUIDPattern.MatchString(s.Subscription) {
		in.Check(problems.Invalid("azure.subscriptionId", fmt.Sprintf("is %q, which is not a subscription ID", s.Subscription), "use the subscription's GUID (az account show --query id)"))
	}
	s.Settings = in.Settings()
	s.Identity = in.Identity()
	s.Args = s.Args.WithDefaults()
	in.Check(s.Args.Validate())
	if s.sshPrivateKey = in.Credential(SSHPrivateKeySetting); s.sshPrivateKey.IsSet() {
		in.Check(sshkey.CheckPrivateKey(SSHPrivateKeySetting, s.sshPrivateKey.Reveal()))
	}
}

// Deploy implements cloud.Stack: the azure-native provider, the classic
// azure provider when the component needs one, the tls provider unless a
// key pair is supplied, and PeerPods. The client credentials go to the
// component in static mode only.
func (s *Stack) Deploy(ctx *pulumi.Context, in cloud.Deploy) (values.Result, error) {
	args := s.Args
	var err error
	if args.Recorded, err = in.Recorded(); err != nil {
		return values.Result{}, err
	}
	if contract.WritesSecret(args.Identity) { // else the operator writes peer-pods-secret
		args.ClientID = in.Secret(contract.KeyAzureClientID)
		args.ClientSecret = in.Secret(contract.KeyAzureClientSecret)
		args.TenantID = in.Secret(contract.KeyAzureTenantID)
	}
	if s.Subscription != "" {
		args.SubscriptionID = pulumi.String(s.Subscription)
	}
	native, err := azurenative.NewProvider(ctx, "azure-native", &azurenative.ProviderArgs{SubscriptionId: providers.OptionalString(s.Subscription)})
	if err != nil {
		return values.Result{}, err
	}
	provs := []pulumi.ProviderResource{native}
	if args.NeedsClassicProvider() {
		classic, err := azureclassic.NewProvider(ctx, "azure", &azureclassic.ProviderArgs{
			Features:       &azureclassic.ProviderFeaturesArgs{},
			SubscriptionId: providers.OptionalString(s.Subscription),
		})
		if err != nil {
			return values.Result{}, err
		}
		provs = append(provs, classic)
	}
	if s.sshPrivateKey.IsSet() {
		args.SSHPrivateKey = s.sshPrivateKey.Input()
	} else {
		t, err := tls.NewProvider(ctx, "tls", &tls.ProviderArgs{})
		if err != nil {
			return values.Result{}, err
		}
		provs = append(provs, t)
	}
	return values.ResultOf(NewPeerPods(ctx, "peerpods", args, pulumi.Providers(provs...)))
}

// The mocks' Azure cluster: resource group, VNet and worker subnet of an
// installer-made cluster.
const (
	mockRG     = "mycluster-x7k2p-rg"
	mockRGID   = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/" + mockRG
	mockVNetID = mockRGID + "/providers/Microsoft.Network/virtualNetworks/mycluster-x7k2p-vnet"
)

// The mocks' workload identity: what Azure gives a new user-assigned
// managed identity.
const (
	MockIdentityClientID    = "0a1b2c3d-0000-4000-8000-00000000c1e7"
	MockIdentityPrincipalID = "0a1b2c3d-0000-4000-8000-000000000bec"
	MockIdentityTenantID    = "0a1b2c3d-0000-4000-8000-0000000071d0"
)

// Mocks implements cloud.Cloud: discovery finds an installer-made cluster
// in eastus; the tls provider's key pair is cloud.FakeKeyPair(1); a
// managed identity gets MockIdentityClientID, MockIdentityPrincipalID and
// MockIdentityTenantID.
func (Cloud) Mocks() cloud.Mocks {
	pm := resource.NewPropertyMapFromMap
	str := resource.NewStringProperty
	private, public := cloud.FakeKeyPair(1)
	return cloud.Mocks{
		Resources: map[string]func(string, resource.PropertyMap) (string, resource.PropertyMap){
			"tls:index/privateKey:PrivateKey": func(name string, _ resource.PropertyMap) (string, resource.PropertyMap) {
				return name + "-id", resource.PropertyMap{"privateKeyOpenssh": resource.MakeSecret(str(private)), "publicKeyOpenssh": str(public + "\n")}
			},
			"azure:authorization/userAssignedIdentity:UserAssignedIdentity": func(_ string, in resource.PropertyMap) (string, resource.PropertyMap) {
				return mockRGID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + in["name"].StringValue(),
					pm(map[string]any{"clientId": MockIdentityClientID, "principalId": MockIdentityPrincipalID, "tenantId": MockIdentityTenantID})
			},
			"azure-native:network:Subnet": func(name string, in resource.PropertyMap) (string, resource.PropertyMap) {
				return mockRGID + "/providers/Microsoft.Network/virtualNetworks/" + in["virtualNetworkName"].StringValue() + "/subnets/" + in["subnetName"].StringValue(), nil
			},
		},
		Calls: map[string]func(resource.PropertyMap) (resource.PropertyMap, error){
			"azure-native:resources:getResourceGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": mockRGID, "location": "eastus", "name": mockRG}), nil
			},
			"azure:core/getResources:getResources": func(a resource.PropertyMap) (resource.PropertyMap, error) {
				name := "mycluster-x7k2p-nsg"
				if a["type"].StringValue() == "Microsoft.Network/virtualNetworks" {
					name = "mycluster-x7k2p-vnet"
				}
				return pm(map[string]any{"resources": []any{map[string]any{"name": name}}}), nil
			},
			"azure-native:network:getVirtualNetwork": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": mockVNetID, "addressSpace": map[string]any{"addressPrefixes": []any{"10.0.0.0/14"}},
					"subnets": []any{map[string]any{"name": "mycluster-x7k2p-worker-subnet"}}}), nil
			},
			"azure-native:network:getSubnet": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": mockVNetID + "/subnets/mycluster-x7k2p-worker-subnet", "addressPrefix": "10.0.128.0/17"}), nil
			},
			"azure-native:network:getNetworkSecurityGroup": func(resource.PropertyMap) (resource.PropertyMap, error) {
				return pm(map[string]any{"id": mockRGID + "/providers/Microsoft.Network/networkSecurityGroups/mycluster-x7k2p-nsg"}), nil
			},
		},
		Secrets: map[string]string{
			"peerpods:azureClientId":     "0a1b2c3d-0000-4000-8000-00000000c11d",
			"peerpods:azureClientSecret": cloud.FakeSecret,
			"peerpods:azureTenantId":     "0a1b2c3d-0000-4000-8000-0000000071d0",
		},
	}
}
