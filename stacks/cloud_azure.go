//go:build !peerpods_clouds || azure

package stacks

import (
	"fmt"
	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/sshkey"
	"github.com/peerpods/provisioner/components/values"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	azureclassic "github.com/pulumi/pulumi-azure/sdk/v6/go/azure"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func init() { register(azureCloud{}) }

// azureCloud is Azure in the registry of clouds.
type azureCloud struct{}

var _ Cloud = azureCloud{}

// Name implements Cloud.
func (azureCloud) Name() contract.Cloud { return contract.Azure }

// NewStack implements Cloud.
func (azureCloud) NewStack() Stack { return &azureStack{} }

// Credentials implements Cloud.
func (azureCloud) Credentials() []string { return []string{SSHPrivateKeySetting} }

// Component implements Cloud: PeerPods.
func (azureCloud) Component() infer.InferredComponent { return infer.ComponentF(azure.NewPeerPods) }

// Examples implements Cloud.
func (azureCloud) Examples() []string { return []string{"azure-worker-subnet", "azure-peer-vnet"} }

// azureStack is peerpods:azure: the subscription of the providers and the
// component's arguments.
type azureStack struct {
	// Subscription is the subscription ID (a GUID) of the azure providers,
	// and the pod VMs' subscription: AZURE_SUBSCRIPTION_ID of
	// peer-pods-secret with identity static, the operator's SUBSCRIPTIONID
	// with identity workload. Empty uses the providers' default (the
	// current subscription of your Azure login) and the resource group's
	// subscription.
	Subscription string `json:"subscriptionId,omitzero"`
	azure.Args
	sshPrivateKey Secret
}

// defaults implements defaulter; identityName (osc-<resourceGroup>),
// podvmResourceGroup (<resourceGroup>-podvms with identity workload, else
// resourceGroup) and peerVnet.subnetPrefix (the VNet's prefix) follow
// other settings.
func (s *azureStack) defaults() any {
	d := azure.Args{}.WithDefaults()
	d.IdentityName = ""
	d.PodVMResourceGroup = ""
	d.PeerVNet.SubnetPrefix = ""
	return d
}

// Prepare implements Stack.
func (s *azureStack) Prepare(in Input) {
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

// Deploy implements Stack: the azure-native provider, the classic
// azure provider when the component needs one, the tls provider unless a
// key pair is supplied, and PeerPods. The client credentials go to the
// component in static mode only.
func (s *azureStack) Deploy(ctx *pulumi.Context, in DeployArgs) (values.Result, error) {
	args := s.Args
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
	return values.ResultOf(azure.NewPeerPods(ctx, "peerpods", args, pulumi.Providers(provs...)))
}

// CheckRules implements RuleChecker: the NSG rules in their NSGs, the NAT
// gateway on the pod VMs' subnet.
func (azureCloud) CheckRules(ctx *pulumi.Context, cm map[string]string, rules []values.DeclaredRule) ([]values.RuleFinding, error) {
	return azure.CheckRules(ctx, cm, rules)
}

// Leftovers implements Sweeper.
func (azureCloud) Leftovers(ctx *pulumi.Context, cm map[string]string) ([]leftovers.Item, error) {
	return azure.Leftovers(ctx, cm)
}

// FromCluster implements Cloud: the resource group, the network
// resource group when the cluster has one of its own (ARO, or an
// installer-provisioned cluster in an existing VNet), and the OIDC issuer
// for workload identity.
func (azureCloud) FromCluster(f cluster.Facts, id contract.Identity) []cluster.Found {
	var out []cluster.Found
	if n := f.AzureNetworkResourceGroup; n != "" && n != f.AzureResourceGroup {
		out = append(out, cluster.Found{Setting: "azure.networkResourceGroup", Value: n, From: cluster.FromInfrastructure + "platformStatus.azure.networkResourceGroupName"})
	}
	if id == contract.IdentityWorkload && f.ServiceAccountIssuer != "" {
		out = append(out, cluster.Found{Setting: "azure.oidcIssuer", Value: f.ServiceAccountIssuer, From: cluster.FromIssuer})
	}
	if f.AzureResourceGroup != "" {
		out = append(out, cluster.Found{Setting: "azure.resourceGroup", Value: f.AzureResourceGroup, From: cluster.FromInfrastructure + "platformStatus.azure.resourceGroupName"})
	}
	return out
}
