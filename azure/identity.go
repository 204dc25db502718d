package azure

import (
	"fmt"
	"regexp"
	"slices"
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
// "Azure built-in roles": the ID column). Only the operator's image job
// gets built-in roles (ImageBuildRoles); CAA's are custom (RoleAssignments).
const (
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
	// it (the same calls in osc-release-v1.10 and v1.11).
	caaAzure = "openshift/cloud-api-adaptor@osc-release-v1.12 src/cloud-providers/azure/provider.go"
	// imageJob is the operator's pod VM image job for Azure, which logs in
	// with the workload identity's token too (login_to_azure,
	// AZURE_FEDERATED_TOKEN_FILE) and builds in AZURE_RESOURCE_GROUP.
	imageJob = "openshift/sandboxed-containers-operator@0d14cc8c config/peerpods/podvm/azure-podvm-image-handler.sh"
)

// Settings of the pod VM resource group and the image job's roles.
const (
	settingPodVMGroup      = "azure.podvmResourceGroup"
	settingImageBuildRoles = "azure.imageBuildRoles"
	// podVMGroupSuffix makes the default PodVMResourceGroup of workload
	// identity from ResourceGroup.
	podVMGroupSuffix = "-podvms"
)

// Actions of CAA's Azure provider (caaAzure), by the calls that need
// them; testdata/caa-actions.json cites each.
var (
	// podVMActions: create (VirtualMachinesClient.BeginCreateOrUpdate,
	// its poller's final GET) makes the VM with its OS disk
	// (getVMParameters: OSDisk FromImage) and network interface
	// (buildNetworkConfig: networkInterfaceConfigurations, which the VM
	// joins); getIPs reads the interface (InterfacesClient.Get);
	// DeleteInstance (BeginDelete) deletes the VM, and with it the disk
	// and interface (DeleteOption Delete).
	podVMActions = []string{
		"Microsoft.Compute/virtualMachines/read",
		"Microsoft.Compute/virtualMachines/write",
		"Microsoft.Compute/virtualMachines/delete",
		"Microsoft.Compute/disks/write",
		"Microsoft.Compute/disks/delete",
		"Microsoft.Network/networkInterfaces/read",
		"Microsoft.Network/networkInterfaces/write",
		"Microsoft.Network/networkInterfaces/delete",
		"Microsoft.Network/networkInterfaces/join/action",
	}
	// publicIPActions, with USE_PUBLIC_IP: buildNetworkConfig gives the
	// interface a public IP configuration, which creates the public IP
	// the interface joins (deleted with the VM, DeleteOption Delete);
	// getIPs reads it (PublicIPAddressesClient.Get).
	publicIPActions = []string{
		"Microsoft.Network/publicIPAddresses/read",
		"Microsoft.Network/publicIPAddresses/write",
		"Microsoft.Network/publicIPAddresses/delete",
		"Microsoft.Network/publicIPAddresses/join/action",
	}
	// galleryImageRead: getVMParameters names AZURE_IMAGE_ID as the VM's
	// ImageReference, which the VM's creation reads; the operator's image
	// job makes a gallery image version.
	galleryImageRead = "Microsoft.Compute/galleries/images/versions/read"
	// galleryImageDefRead: the same for an image definition, whose latest
	// version the VM takes.
	galleryImageDefRead = "Microsoft.Compute/galleries/images/read"
	// managedImageRead: the same for a managed image
	// (.../providers/Microsoft.Compute/images/<name>).
	managedImageRead = "Microsoft.Compute/images/read"
	// vmSizesActions: NewProvider fails unless updateInstanceSizeSpecList
	// lists the region's VM sizes (VirtualMachineSizesClient
	// NewListPager: GET /subscriptions/{id}/providers/
	// Microsoft.Compute/locations/{region}/vmSizes), which ARM authorises
	// at the subscription only (with roles on resource groups alone it
	// answers 403, confidential-containers/cloud-api-adaptor#1453); the
	// create and delete pollers (PollUntilDone) read the operation's
	// status under the same subscription-level path
	// (.../locations/{region}/operations/{id}).
	vmSizesActions = []string{
		"Microsoft.Compute/locations/vmSizes/read",
		"Microsoft.Compute/locations/operations/read",
	}
	// subnetJoin: buildNetworkConfig puts the interface on AZURE_SUBNET_ID.
	subnetJoin = "Microsoft.Network/virtualNetworks/subnets/join/action"
	// nsgJoin: buildNetworkConfig attaches AZURE_NSG_ID to the interface.
	nsgJoin = "Microsoft.Network/networkSecurityGroups/join/action"
)

// RoleAssignment is one role the workload identity is given: a custom
// role the stack defines with Actions, or a built-in Role.
type RoleAssignment struct {
	// Key names the assignment's Pulumi resource (<name>-role-<key>) and,
	// for a custom role, its definition's (<name>-roledef-<key>).
	Key string
	// Role is a built-in role's definition ID (a GUID); empty for a
	// custom role.
	Role string
	// Actions are the custom role's actions; nil for a built-in role.
	Actions []string
	// Scope is the ARM ID the role is assigned at.
	Scope string
	// Why says which calls need it.
	Why string
}

// PodVMGroupID is the ARM ID of PodVMResourceGroup in the subscription of
// the network n.
func (a Args) PodVMGroupID(n Network) string {
	return "/subscriptions/" + n.SubscriptionID + "/resourceGroups/" + a.PodVMResourceGroup
}

// podSubnetID is AZURE_SUBNET_ID as an ARM ID known before deployment:
// the worker subnet, or in peer-vnet mode the stack's peer-pod subnet.
func (a Args) podSubnetID(n Network) string {
	if a.Outbound == OutboundPeerVNet {
		return "/subscriptions/" + n.SubscriptionID + "/resourceGroups/" + a.ResourceGroup +
			"/providers/Microsoft.Network/virtualNetworks/" + a.PeerVNet.Name + "/subnets/" + a.PeerVNet.SubnetName
	}
	return n.WorkerSubnetID
}

// RoleAssignments are the roles the workload identity of args (after
// WithDefaults) needs on the network n, each at the least scope its calls
// allow: CAA's own custom roles on PodVMResourceGroup (never the
// cluster's group), the pod VMs' subnet, the cluster NSG and the image,
// the subscription only for the VM sizes list; the image job's built-in
// roles on PodVMResourceGroup while ImageBuildRoles holds.
func (a Args) RoleAssignments(n Network) []RoleAssignment {
	group := a.PodVMGroupID(n)
	vms := slices.Clone(podVMActions)
	why := "create and delete pod VMs with their disks and network interfaces"
	if a.Settings.Extra[contract.KeyUsePublicIP] == "true" {
		vms = append(vms, publicIPActions...)
		why += " and public IPs (USE_PUBLIC_IP)"
	}
	imageRead, imageScope := a.imageRead(n)
	if imageScope == group {
		vms = append(vms, imageRead...)
		why += ", read the pod VM image"
	}
	out := []RoleAssignment{
		{Key: "pod-vms", Actions: vms, Scope: group,
			Why: why + " (" + caaAzure + " create, DeleteInstance, getIPs, buildNetworkConfig, getVMParameters)"},
		{Key: "vm-sizes", Actions: slices.Clone(vmSizesActions), Scope: "/subscriptions/" + n.SubscriptionID,
			Why: "list the region's VM sizes at start and follow VM operations, authorised at the subscription only (" + caaAzure + " updateInstanceSizeSpecList, create, DeleteInstance)"},
		{Key: "subnet-join", Actions: []string{subnetJoin}, Scope: a.podSubnetID(n),
			Why: "put the pod VMs' network interfaces on their subnet (" + caaAzure + " buildNetworkConfig)"},
		{Key: "nsg-join", Actions: []string{nsgJoin}, Scope: n.NSGID,
			Why: "attach the cluster NSG to the pod VMs' network interfaces (" + caaAzure + " buildNetworkConfig)"},
	}
	if imageScope != "" && imageScope != group {
		out = append(out, RoleAssignment{Key: "image-read", Actions: imageRead, Scope: imageScope,
			Why: "read the pod VM image the VMs are made from (" + caaAzure + " getVMParameters)"})
	}
	if a.grantsImageBuild() {
		// The operator's image job builds the pod VM image in
		// AZURE_RESOURCE_GROUP: a storage account for the VHD (az
		// storage account create, keys list, delete) and a gallery
		// with the image definition and versions (az sig create,
		// image-definition create, image-version create and delete).
		out = append(out,
			RoleAssignment{Key: "image-storage", Role: RoleStorageAccountContributor, Scope: group,
				Why: "create, read the keys of and delete the storage account of the pod VM image's VHD (" + imageJob + "); " + settingImageBuildRoles + " false removes it"},
			RoleAssignment{Key: "image-gallery", Role: RoleComputeGalleryArtifactsPublisher, Scope: group,
				Why: "create and delete the pod VM image's gallery, definition and versions (" + imageJob + "); " + settingImageBuildRoles + " false removes it"})
	}
	return out
}

// imageRead is what reading the pod VM image takes and where: a gallery
// image version (or definition) or managed image given by ARM ID is read
// at that ID; the image the operator's job builds is a gallery image
// version in PodVMResourceGroup. Community and shared gallery images need
// no role (scope "").
func (a Args) imageRead(n Network) (actions []string, scope string) {
	switch {
	case a.ImageID == "":
		return []string{galleryImageRead}, a.PodVMGroupID(n)
	case !strings.HasPrefix(a.ImageID, "/subscriptions/"):
		return nil, ""
	case strings.EqualFold(idSegment(a.ImageID, "Microsoft.Compute"), "images"):
		return []string{managedImageRead}, a.ImageID
	case idSegment(a.ImageID, "versions") == "":
		// an image definition: the VM takes its latest version
		return []string{galleryImageDefRead, galleryImageRead}, a.ImageID
	}
	return []string{galleryImageRead}, a.ImageID
}

// grantsImageBuild reports whether the image job's roles are granted:
// without ImageID unless ImageBuildRoles is false.
func (a Args) grantsImageBuild() bool {
	return a.ImageID == "" && (a.ImageBuildRoles == nil || *a.ImageBuildRoles)
}

// createsPodVMGroup reports whether the stack creates PodVMResourceGroup:
// whenever it is neither the cluster's group nor the network's.
func (a Args) createsPodVMGroup() bool {
	return !strings.EqualFold(a.PodVMResourceGroup, a.ResourceGroup) && !strings.EqualFold(a.PodVMResourceGroup, a.NetworkResourceGroup)
}

// checkPodVMGroup checks PodVMResourceGroup and ImageBuildRoles: with
// workload identity the pod VMs' group is not the cluster's (its roles
// would cover the cluster's resources), and the image job's roles are for
// workload identity without an image only.
func (a Args) checkPodVMGroup() error {
	var p problems.List
	// A group named after an invalid azure.resourceGroup (the same, or
	// the default) is reported there.
	if contract.AzureResourceGroupPattern.MatchString(a.ResourceGroup) || !strings.HasPrefix(a.PodVMResourceGroup, a.ResourceGroup) {
		p.Add(check.Pattern(settingPodVMGroup, a.PodVMResourceGroup, contract.AzureResourceGroupPattern, whatRG))
	}
	if a.Identity == contract.IdentityWorkload && !a.createsPodVMGroup() {
		p.Add(problems.Invalid(settingPodVMGroup, fmt.Sprintf("is %q, a resource group of the cluster, but identity is workload: the identity's roles on the pod VMs' group would cover the cluster's own VMs, disks and network interfaces", a.PodVMResourceGroup),
			fmt.Sprintf("name a group of the pod VMs' own, which the stack creates, or remove the setting for the default %s%s", a.ResourceGroup, podVMGroupSuffix)))
	}
	if a.ImageBuildRoles != nil {
		switch {
		case a.Identity != contract.IdentityWorkload:
			p.Add(problems.Invalid(settingImageBuildRoles, fmt.Sprintf("is set, but identity is %s: the stack grants roles only to the workload identity", a.Identity), "remove it"))
		case *a.ImageBuildRoles && a.ImageID != "":
			p.Add(problems.Invalid(settingImageBuildRoles, "is true, but azure.imageId is set: the operator's image job builds no image then", "remove azure.imageBuildRoles, or azure.imageId to let the operator build the image"))
		}
	}
	return p.Err()
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
	// Definitions are the custom roles the stack defines for it, in the
	// order of RoleAssignments.
	Definitions []*authorization.RoleDefinition
	// Roles are its role assignments, in the order of RoleAssignments.
	Roles []*authorization.Assignment
}

// definitionScope is where a custom role assigned at scope is defined and
// assignable: the scope's resource group, else its subscription.
func definitionScope(scope string) string {
	sub := "/subscriptions/" + subscriptionOf(scope)
	if rg := idSegment(scope, "resourceGroups"); rg != "" {
		return sub + "/resourceGroups/" + rg
	}
	return sub
}

// newWorkloadIdentity creates the managed identity, its federated
// credential, its custom role definitions and its role assignments with
// the classic azure provider (azure-native's managedidentity and
// authorization modules are not available to this build), the roles after
// deps (the pod VMs' group and subnet when the stack makes them).
func newWorkloadIdentity(ctx *pulumi.Context, name string, a Args, n Network, deps []pulumi.Resource, opts ...pulumi.ResourceOption) (*WorkloadIdentity, error) {
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
		def := pulumi.String("/subscriptions/" + n.SubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/" + r.Role).ToStringOutput()
		if r.Actions != nil {
			// A custom role, assignable where it is defined: the
			// resource group of the scope, or the subscription.
			at := definitionScope(r.Scope)
			rd, err := authorization.NewRoleDefinition(ctx, name+"-roledef-"+r.Key, &authorization.RoleDefinitionArgs{
				// Role names are unique in the tenant: the pod VMs'
				// group (named after the cluster's) makes them so.
				Name:             pulumi.String("peerpods " + r.Key + " " + a.PodVMResourceGroup),
				Scope:            pulumi.String(at),
				AssignableScopes: pulumi.StringArray{pulumi.String(at)},
				Description:      pulumi.String("peer pods: " + r.Why),
				Permissions: authorization.RoleDefinitionPermissionArray{&authorization.RoleDefinitionPermissionArgs{
					Actions: pulumi.ToStringArray(r.Actions),
				}},
			}, append(slices.Clip(opts), pulumi.DependsOn(deps))...)
			if err != nil {
				return nil, err
			}
			w.Definitions = append(w.Definitions, rd)
			def = rd.RoleDefinitionResourceId
		}
		role, err := authorization.NewAssignment(ctx, name+"-role-"+r.Key, &authorization.AssignmentArgs{
			Scope:            pulumi.String(r.Scope),
			RoleDefinitionId: def,
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
		}, append(slices.Clip(opts), pulumi.DependsOn(deps))...)
		if err != nil {
			return nil, err
		}
		w.Roles = append(w.Roles, role)
	}
	return w, nil
}
