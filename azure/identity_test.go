package azure_test

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks/azuremock"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// issuer is a cluster's service account issuer as ccoctl publishes it.
const issuer = "https://mycluster0oidc.blob.core.windows.net/mycluster-x7k2p"

// TestIdentityCCO: the default mode creates nothing for the identity and
// writes no peer-pods-secret, not even AZURE_SUBSCRIPTION_ID: the operator
// writes it from the Secret CCO mints.
func TestIdentityCCO(t *testing.T) {
	r := deploy(t, newCloud(), baseArgs(azure.OutboundWorkerSubnet), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.m.Summary(); !reflect.DeepEqual(got, workerSubnetGraph) {
		t.Fatalf("graph %v\nwant %v", got, workerSubnetGraph)
	}
	v := r.pp.Values
	if v.Identity != contract.IdentityCCO || v.Secret != nil || v.OperatorEnv != nil {
		t.Errorf("identity %q, secret %v, operator env %v", v.Identity, v.Secret, v.OperatorEnv)
	}
	if sec, secret := pulumitest.Await(t, r.pp.Secret); len(sec.(map[string]string)) != 0 || !secret {
		t.Errorf("secret output %v (secret %t)", sec, secret)
	}
	if got := configMap(t, r.pp); !reflect.DeepEqual(got, workerSubnetCM) {
		t.Errorf("ConfigMap %v\nwant %v", got, workerSubnetCM)
	}
	if err := v.CheckComplete(); err != nil {
		t.Errorf("values break the contract: %v", err)
	}
	for _, o := range []pulumi.StringPtrOutput{r.pp.ClientID, r.pp.TenantID, r.pp.SubscriptionID} {
		if got, _ := pulumitest.Await(t, o); got != nil && got != (*string)(nil) {
			t.Errorf("identity output %v outside workload mode", got)
		}
	}
	for _, k := range []string{"clientId", "tenantId", "subscriptionId"} {
		if _, ok := r.pp.CloudOutputs[k]; ok {
			t.Errorf("stack output %s outside workload mode", k)
		}
	}
}

// workloadArgs are worker-subnet args in workload mode.
func workloadArgs() azure.Args {
	a := baseArgs(azure.OutboundWorkerSubnet)
	a.Identity, a.OIDCIssuer = contract.IdentityWorkload, issuer
	return a
}

// roleDef is the ARM ID of a built-in role in the mocks' subscription.
func roleDef(guid string) string {
	return "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + guid
}

// TestWorkload: a managed identity in the cluster's resource group, its
// federated credential for CAA's service account, its roles at the least
// scopes, the operator's environment, and no peer-pods-secret.
func TestWorkload(t *testing.T) {
	r := deploy(t, newCloud(), workloadArgs(), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	want := append(slices.Clone(workerSubnetGraph),
		tFedCred+" peerpods-federation",
		tRole+" peerpods-role-image-gallery",
		tRole+" peerpods-role-image-storage",
		tRole+" peerpods-role-reader",
		tRole+" peerpods-role-vm-contributor",
		tIdentity+" peerpods-identity",
	)
	slices.Sort(want)
	if got := r.m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}
	comp := r.m.Get(t, azure.PeerPodsType, "peerpods")
	classicRef := r.m.Get(t, "pulumi:providers:azure", "classic").Ref()

	id := r.m.Get(t, tIdentity, "peerpods-identity")
	wantID := map[string]any{"name": "osc-" + rg, "resourceGroupName": rg, "location": "eastus", "tags": map[string]any{"managed-by": "peerpods"}}
	if !reflect.DeepEqual(inputs(id), wantID) {
		t.Errorf("identity %v\nwant %v", inputs(id), wantID)
	}
	identityID := rgID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/osc-" + rg
	fed := r.m.Get(t, tFedCred, "peerpods-federation")
	wantFed := map[string]any{
		"name": azure.FederatedCredentialName, "resourceGroupName": rg, "parentId": identityID,
		"issuer": issuer, "subject": "system:serviceaccount:openshift-sandboxed-containers-operator:default", "audience": "openshift",
	}
	if !reflect.DeepEqual(inputs(fed), wantFed) {
		t.Errorf("federated credential %v\nwant %v", inputs(fed), wantFed)
	}
	if inputs(fed)["subject"] != contract.WorkloadSubject || inputs(fed)["audience"] != contract.WorkloadAudience {
		t.Error("the federated credential does not name the contract's subject and audience")
	}

	wantRoles := map[string][2]string{
		"peerpods-role-reader":         {"/subscriptions/" + sub, azure.RoleReader},
		"peerpods-role-vm-contributor": {rgID, azure.RoleVirtualMachineContributor},
		"peerpods-role-image-storage":  {rgID, azure.RoleStorageAccountContributor},
		"peerpods-role-image-gallery":  {rgID, azure.RoleComputeGalleryArtifactsPublisher},
	}
	checkRoles(t, r, wantRoles)
	for _, res := range append(r.m.OfType(tRole), id, fed) {
		if res.Parent != comp.URN || res.Provider != classicRef {
			t.Errorf("%s parent %s provider %s", res.Name, res.Parent, res.Provider)
		}
	}
	// The well-known GUIDs (learn.microsoft.com built-in roles).
	for got, want := range map[string]string{
		azure.RoleReader: "acdd72a7-3385-48ef-bd42-f606fba81ae7", azure.RoleVirtualMachineContributor: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
		azure.RoleStorageAccountContributor: "17d1049b-9a84-46fb-8f53-869881c3d3ab", azure.RoleComputeGalleryArtifactsPublisher: "85a2d0d9-2eba-4c9c-b355-11c2cc0788ab",
		azure.RoleNetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
	} {
		if got != want {
			t.Errorf("role ID %s, want %s", got, want)
		}
	}

	v := r.pp.Values
	if v.Identity != contract.IdentityWorkload || v.Secret != nil {
		t.Errorf("identity %q, secret %v", v.Identity, v.Secret)
	}
	env, _ := pulumitest.Await(t, v.OperatorEnv.ToStringMapOutput())
	wantEnv := map[string]string{"CLIENTID": azuremock.IdentityClientID, "TENANTID": azuremock.IdentityTenantID, "SUBSCRIPTIONID": sub}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("operator env %v\nwant %v", env, wantEnv)
	}
	if err := v.CheckComplete(); err != nil {
		t.Errorf("values break the contract: %v", err)
	}
	for name, o := range map[string]pulumi.StringPtrOutput{"clientId": r.pp.ClientID, "tenantId": r.pp.TenantID, "subscriptionId": r.pp.SubscriptionID} {
		got, _ := pulumitest.Await(t, o)
		if p, ok := got.(*string); !ok || p == nil || *p != wantEnv[map[string]string{"clientId": "CLIENTID", "tenantId": "TENANTID", "subscriptionId": "SUBSCRIPTIONID"}[name]] {
			t.Errorf("output %s = %v", name, got)
		}
		if r.pp.CloudOutputs[name] == nil {
			t.Errorf("stack output %s missing", name)
		}
	}
	// The handoff waits for the association, the rules, the federated
	// credential and the four roles.
	if len(v.Ready) != 4+1+4 {
		t.Errorf("ready %d", len(v.Ready))
	}
}

// checkRoles compares the role assignments with want (resource name ->
// scope, role GUID).
func checkRoles(t *testing.T, r run, want map[string][2]string) {
	t.Helper()
	roles := r.m.OfType(tRole)
	if len(roles) != len(want) {
		t.Fatalf("%d role assignments, want %d: %v", len(roles), len(want), r.m.Summary())
	}
	for _, role := range roles {
		in := inputs(role)
		w, ok := want[role.Name]
		if !ok {
			t.Errorf("unexpected role assignment %s %v", role.Name, in)
			continue
		}
		exp := map[string]any{
			"scope": w[0], "roleDefinitionId": roleDef(w[1]), "principalId": azuremock.IdentityPrincipalID,
			"principalType": "ServicePrincipal", "skipServicePrincipalAadCheck": true, "description": in["description"],
		}
		if !reflect.DeepEqual(in, exp) {
			t.Errorf("role %s %v\nwant %v", role.Name, in, exp)
		}
		if d, _ := in["description"].(string); !strings.HasPrefix(d, "peer pods: ") {
			t.Errorf("role %s description %q", role.Name, d)
		}
	}
}

// TestWorkloadRoleVariants: a worker subnet in the network resource group
// gets a join role on that subnet alone; a given image needs no image
// roles; public IPs need Network Contributor on the resource group.
func TestWorkloadRoleVariants(t *testing.T) {
	a := workloadArgs()
	a.NetworkResourceGroup = "mycluster-network-rg"
	a.ImageID = "/CommunityGalleries/cocopodvm-d0e4f35f-5530-4b9c-8596-112487cdea85/Images/podvm_image0/Versions/2025.01.01"
	a.Settings.Extra = map[string]string{contract.KeyUsePublicIP: "true"}
	c := newCloud()
	r := deploy(t, c, a, "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRoles(t, r, map[string][2]string{
		"peerpods-role-reader":              {"/subscriptions/" + sub, azure.RoleReader},
		"peerpods-role-vm-contributor":      {rgID, azure.RoleVirtualMachineContributor},
		"peerpods-role-subnet-join":         {subnetID, azure.RoleVirtualMachineContributor},
		"peerpods-role-network-contributor": {rgID, azure.RoleNetworkContributor},
	})
	// In peer-vnet mode the pod subnet is the stack's, in the resource
	// group: no subnet role.
	a.Outbound = azure.OutboundPeerVNet
	r = deploy(t, c, a, "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, role := range r.m.OfType(tRole) {
		if role.Name == "peerpods-role-subnet-join" {
			t.Error("peer-vnet mode grants a role on the worker subnet")
		}
	}
}

// TestWorkloadSubscriptionGiven: a given subscription is the operator's
// SUBSCRIPTIONID.
func TestWorkloadSubscriptionGiven(t *testing.T) {
	a := workloadArgs()
	a.SubscriptionID = pulumi.String(sub)
	r := deploy(t, newCloud(), a, "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	env, _ := pulumitest.Await(t, r.pp.Values.OperatorEnv.ToStringMapOutput())
	if env.(map[string]string)["SUBSCRIPTIONID"] != sub {
		t.Errorf("operator env %v", env)
	}
}

// TestRoleAssignmentsScopes lists the roles without deploying: the
// subscription only for Reader.
func TestRoleAssignmentsScopes(t *testing.T) {
	a := workloadArgs().WithDefaults()
	n := azure.Network{SubscriptionID: sub, WorkerSubnetID: subnetID}
	for _, r := range a.RoleAssignments(n) {
		if r.Scope == "/subscriptions/"+sub && r.Role != azure.RoleReader {
			t.Errorf("%s at the subscription", r.Key)
		}
		if r.Why == "" {
			t.Errorf("%s has no reason", r.Key)
		}
	}
}
