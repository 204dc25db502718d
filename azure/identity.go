package azure

import (
	"regexp"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi-azure/sdk/v6/go/azure/armmsi"
	"github.com/pulumi/pulumi-azure/sdk/v6/go/azure/authorization"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Workload identity names and facts.
const (
	// identityNamePrefix and the resource group make the managed
	// identity's default name, as the operator team's CI names it
	// (openshift/release ci-operator/step-registry/sandboxed-containers-operator/
	// peerpods/param-cm, create_osc_managed_identity: osc-${AZURE_RESOURCE_GROUP}).
	identityNamePrefix = "osc-"
	// FederatedCredentialName names the federated credential of the
	// managed identity (its name is scoped to the identity).
	FederatedCredentialName = "openshift-sandboxed-containers"
	// settingIssuer and the client credential settings name the inputs
	// checkIdentity checks, as the stack's settings call them.
	settingIssuer       = "azure.oidcIssuer"
	settingClientID     = "azureClientId"
	settingClientSecret = "azureClientSecret"
	settingTenantID     = "azureTenantId"
	// whatIdentityName describes a valid identity name
	// (learn.microsoft.com azure-resource-manager/management/resource-name-rules,
	// Microsoft.ManagedIdentity userAssignedIdentities).
	whatIdentityName = "a managed identity name (3-128 ASCII letters, digits, '-' or '_', starting with a letter or digit)"
)

// identityNamePattern is Azure's rule for user-assigned identity names.
var identityNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

// Built-in role definition IDs, the same GUID in every subscription
// (learn.microsoft.com azure/role-based-access-control/built-in-roles,
// "Azure built-in roles": the ID column).
const (
	// RoleReader views every resource and changes none.
	RoleReader = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	// RoleVirtualMachineContributor manages VMs, their disks and network
	// interfaces, and may join subnets and NSGs (its actions include
	// Microsoft.Network/networkInterfaces/*,
	// virtualNetworks/subnets/join/action and
	// networkSecurityGroups/join/action), but not manage networks.
	RoleVirtualMachineContributor = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
	// RoleNetworkContributor manages networks, public IPs among them.
	RoleNetworkContributor = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	// RoleStorageAccountContributor manages storage accounts and reads
	// their keys.
	RoleStorageAccountContributor = "17d1049b-9a84-46fb-8f53-869881c3d3ab"
	// RoleComputeGalleryArtifactsPublisher manages Azure Compute Galleries
	// and their images (Microsoft.Compute/galleries/*).
	RoleComputeGalleryArtifactsPublisher = "85a2d0d9-2eba-4c9c-b355-11c2cc0788ab"
)

// Sources of the roles' justification.
const (
	// caaAzure is cloud-api-adaptor's Azure provider as the operator ships
	// it.
	caaAzure = "openshift/cloud-api-adaptor@osc-release-v1.10 src/cloud-providers/azure/provider.go"
	// imageJob is the operator's pod VM image job for Azure, which logs in
	// with the workload identity's token too (login_to_azure,
	// AZURE_FEDERATED_TOKEN_FILE).
	imageJob = "openshift/sandboxed-containers-operator@0d14cc8c config/peerpods/podvm/azure-podvm-image-handler.sh"
)

// RoleAssignment is one role the workload identity is given.
type RoleAssignment struct {
	// Key names the assignment's Pulumi resource (<name>-role-<key>).
	Key string
	// Role is the built-in role's definition ID (a GUID).
	Role string
	// Scope is the ARM ID the role applies to.
	Scope string
	// Why says which calls need it.
	Why string
}

// RoleAssignments are the roles the workload identity of args (after
// WithDefaults) needs on the network n, each at the least scope its calls
// allow: the cluster's
// resource group (where CAA creates the pod VMs and the image job its
// gallery), the worker subnet when it lies in another resource group, and
// the subscription only for the one call ARM authorises there. Network
// Contributor, which the operator team's CI and the operator's
// CredentialsRequest grant, is not needed unless pod VMs get public IPs:
// CAA creates no network but the VMs' network interfaces.
func (a Args) RoleAssignments(n Network) []RoleAssignment {
	sub := "/subscriptions/" + n.SubscriptionID
	rg := sub + "/resourceGroups/" + a.ResourceGroup
	out := []RoleAssignment{
		{Key: "reader", Role: RoleReader, Scope: sub,
			// NewProvider fails unless updateInstanceSizeSpecList can
			// list the region's VM sizes (VirtualMachineSizesClient
			// NewListPager: GET /subscriptions/{id}/providers/
			// Microsoft.Compute/locations/{region}/vmSizes), which ARM
			// authorises at the subscription: with roles on the
			// resource group alone it answers 403 for
			// Microsoft.Compute/locations/vmSizes/read
			// (confidential-containers/cloud-api-adaptor#1453). No
			// narrower built-in role grants that read; Reader grants
			// reads only.
			Why: "list the region's VM sizes at start (" + caaAzure + " updateInstanceSizeSpecList, authorised at the subscription)"},
		{Key: "vm-contributor", Role: RoleVirtualMachineContributor, Scope: rg,
			// VirtualMachinesClient BeginCreateOrUpdate and BeginDelete
			// in AZURE_RESOURCE_GROUP, with the network interface and OS
			// disk the VM creates and deletes with itself
			// (networkInterfaceConfigurations, DeleteOptionsDelete),
			// InterfacesClient.Get in getIPs, the join of AZURE_NSG_ID
			// (the cluster NSG, in this resource group) and of
			// AZURE_SUBNET_ID when the subnet is here too.
			Why: "create and delete pod VMs, their disks and network interfaces, join the NSG (" + caaAzure + " create, DeleteInstance, getIPs, buildNetworkConfig)"},
	}
	if a.Outbound == OutboundWorkerSubnet && !strings.EqualFold(a.NetworkResourceGroup, a.ResourceGroup) {
		// The worker subnet lies in the network resource group: the
		// VM's network interface joins it
		// (Microsoft.Network/virtualNetworks/subnets/join/action, one
		// of Virtual Machine Contributor's actions), granted on that
		// subnet alone.
		out = append(out, RoleAssignment{Key: "subnet-join", Role: RoleVirtualMachineContributor, Scope: n.WorkerSubnetID,
			Why: "join the pod VMs' network interfaces to the worker subnet of the network resource group (" + caaAzure + " buildNetworkConfig)"})
	}
	if a.Settings.Extra[contract.KeyUsePublicIP] == "true" {
		// USE_PUBLIC_IP: each VM gets a public IP configuration, a
		// public IP the VM creates in the resource group
		// (Microsoft.Network/publicIPAddresses/write, not one of
		// Virtual Machine Contributor's actions), read back with
		// PublicIPAddressesClient.Get.
		out = append(out, RoleAssignment{Key: "network-contributor", Role: RoleNetworkContributor, Scope: rg,
			Why: "create and read the pod VMs' public IPs, USE_PUBLIC_IP (" + caaAzure + " buildNetworkConfig, getIPs)"})
	}
	if a.ImageID == "" {
		// The operator's image job builds the pod VM image in
		// AZURE_RESOURCE_GROUP: a storage account for the VHD (az
		// storage account create, keys list, delete) and a gallery
		// with the image definition and versions (az sig create,
		// image-definition create, image-version create and delete).
		out = append(out,
			RoleAssignment{Key: "image-storage", Role: RoleStorageAccountContributor, Scope: rg,
				Why: "create, read the keys of and delete the storage account of the pod VM image's VHD (" + imageJob + ")"},
			RoleAssignment{Key: "image-gallery", Role: RoleComputeGalleryArtifactsPublisher, Scope: rg,
				Why: "create and delete the pod VM image's gallery, definition and versions (" + imageJob + ")"})
	}
	return out
}

// checkIdentity checks the identity mode and what it needs: the client
// credentials only in static mode, the issuer and the identity's name in
// workload mode.
func (a Args) checkIdentity() error {
	var p problems.List
	p.Add(identity.CheckIdentity(contract.Azure, a.Identity, identity.Credential{Setting: settingClientID, Given: a.ClientID != nil}, identity.Credential{Setting: settingClientSecret, Given: a.ClientSecret != nil}, identity.Credential{Setting: settingTenantID, Given: a.TenantID != nil}))
	if a.Identity == contract.IdentityWorkload {
		p.Add(identity.CheckIssuer(settingIssuer, a.OIDCIssuer))
		p.Add(check.Pattern("azure.identityName", a.IdentityName, identityNamePattern, whatIdentityName))
	}
	return p.Err()
}

// WorkloadIdentity is the managed identity of workload mode and what
// trusts it.
type WorkloadIdentity struct {
	// Identity is the user-assigned managed identity.
	Identity *authorization.UserAssignedIdentity
	// Credential is its federated credential for CAA's service account.
	Credential *armmsi.FederatedIdentityCredential
	// Roles are its role assignments, in the order of RoleAssignments.
	Roles []*authorization.Assignment
}

// newWorkloadIdentity creates the managed identity, its federated
// credential and its role assignments with the classic azure provider
// (azure-native's managedidentity module is not available to this build).
func newWorkloadIdentity(ctx *pulumi.Context, name string, a Args, n Network, opts ...pulumi.ResourceOption) (*WorkloadIdentity, error) {
	w := &WorkloadIdentity{}
	var err error
	w.Identity, err = authorization.NewUserAssignedIdentity(ctx, name+"-identity", &authorization.UserAssignedIdentityArgs{
		Name:              pulumi.String(a.IdentityName),
		ResourceGroupName: pulumi.String(a.ResourceGroup),
		Location:          pulumi.String(n.Region),
		Tags:              pulumi.StringMap{common.ManagedByTag: pulumi.String(common.ManagedBy)},
	}, opts...)
	if err != nil {
		return nil, err
	}
	// The operator projects a service account token with audience
	// contract.WorkloadAudience into CAA, whose service account is
	// contract.WorkloadSubject; the token's issuer is the cluster's.
	w.Credential, err = armmsi.NewFederatedIdentityCredential(ctx, name+"-federation", &armmsi.FederatedIdentityCredentialArgs{
		Name:              pulumi.String(FederatedCredentialName),
		ResourceGroupName: pulumi.String(a.ResourceGroup),
		ParentId:          w.Identity.ID().ToStringOutput(),
		Issuer:            pulumi.String(a.OIDCIssuer),
		Subject:           pulumi.String(contract.WorkloadSubject),
		Audience:          pulumi.String(contract.WorkloadAudience),
	}, opts...)
	if err != nil {
		return nil, err
	}
	for _, r := range a.RoleAssignments(n) {
		role, err := authorization.NewAssignment(ctx, name+"-role-"+r.Key, &authorization.AssignmentArgs{
			Scope:            pulumi.String(r.Scope),
			RoleDefinitionId: pulumi.String("/subscriptions/" + n.SubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + r.Role),
			PrincipalId:      w.Identity.PrincipalId,
			// A new identity's service principal may not have reached
			// every directory replica yet: the principal type spares
			// ARM the lookup (learn.microsoft.com
			// role-based-access-control/role-assignments-template,
			// "New service principal"), the flag spares the provider
			// its own.
			PrincipalType:                pulumi.String("ServicePrincipal"),
			SkipServicePrincipalAadCheck: pulumi.Bool(true),
			Description:                  pulumi.String("peer pods: " + r.Why),
		}, opts...)
		if err != nil {
			return nil, err
		}
		w.Roles = append(w.Roles, role)
	}
	return w, nil
}
