package azure_test

import (
	"github.com/peerpods/provisioner/tests/testkit/mocks/azuremock"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/azure"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/tests/testkit/actiontest"
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

// podRG and podRGID are the pod VMs' own resource group of workload
// identity, by default.
const (
	podRG   = rg + "-podvms"
	podRGID = "/subscriptions/" + sub + "/resourceGroups/" + podRG
)

// workloadGraph is what workload identity adds to graph: the pod VMs'
// group, the identity, its federation, and for each custom role key its
// definition and assignment, for each built-in one its assignment.
func workloadGraph(graph []string, custom []string, builtIn ...string) []string {
	want := append(slices.Clone(graph),
		azuremock.TypeResourceGroup+" peerpods-podvms",
		tFedCred+" peerpods-federation",
		tIdentity+" peerpods-identity",
	)
	for _, k := range custom {
		want = append(want, azuremock.TypeRoleDefinition+" peerpods-roledef-"+k, tRole+" peerpods-role-"+k)
	}
	for _, k := range builtIn {
		want = append(want, tRole+" peerpods-role-"+k)
	}
	slices.Sort(want)
	return want
}

// caaRoles are the custom roles of every workload stack.
var caaRoles = []string{"nsg-join", "pod-vms", "subnet-join", "vm-sizes"}

// TestWorkload: a managed identity in the cluster's resource group, its
// federated credential for CAA's service account, the pod VMs' own
// resource group (AZURE_RESOURCE_GROUP), CAA's custom roles at the least
// scopes, the image job's roles on the pod VMs' group, the operator's
// environment, and no peer-pods-secret.
func TestWorkload(t *testing.T) {
	r := deploy(t, newCloud(), workloadArgs(), "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got, want := r.m.Summary(), workloadGraph(workerSubnetGraph, caaRoles, "image-gallery", "image-storage"); !reflect.DeepEqual(got, want) {
		t.Fatalf("graph %v\nwant %v", got, want)
	}
	comp := r.m.Get(t, azure.PeerPodsType, "peerpods")
	classicRef := r.m.Get(t, "pulumi:providers:azure", "classic").Ref()
	nativeRef := r.m.Get(t, "pulumi:providers:azure-native", "native").Ref()

	group := r.m.Get(t, azuremock.TypeResourceGroup, "peerpods-podvms")
	wantGroup := map[string]any{"resourceGroupName": podRG, "location": "eastus", "tags": map[string]any{"managed-by": "peerpods"}}
	if !reflect.DeepEqual(inputs(group), wantGroup) || group.Parent != comp.URN || group.Provider != nativeRef {
		t.Errorf("pod VM group %v parent %s provider %s\nwant %v", inputs(group), group.Parent, group.Provider, wantGroup)
	}
	if cm := configMap(t, r.pp); cm[contract.KeyAzureResourceGroup] != podRG {
		t.Errorf("AZURE_RESOURCE_GROUP %q, want the pod VMs' own group %s", cm[contract.KeyAzureResourceGroup], podRG)
	}

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

	checkRoles(t, r, map[string]string{
		"pod-vms": podRGID, "vm-sizes": "/subscriptions/" + sub, "subnet-join": subnetID, "nsg-join": nsgID,
		"image-storage": podRGID, "image-gallery": podRGID,
	})
	for _, res := range append(append(r.m.OfType(tRole), r.m.OfType(azuremock.TypeRoleDefinition)...), id, fed) {
		if res.Parent != comp.URN || res.Provider != classicRef {
			t.Errorf("%s parent %s provider %s", res.Name, res.Parent, res.Provider)
		}
	}
	// The roles come after the pod VMs' group.
	for _, res := range append(r.m.OfType(tRole), r.m.OfType(azuremock.TypeRoleDefinition)...) {
		if !slices.Contains(res.Dependencies, group.URN) {
			t.Errorf("%s does not wait for the pod VMs' group: %v", res.Name, res.Dependencies)
		}
	}
	// The well-known GUIDs (learn.microsoft.com built-in roles).
	for got, want := range map[string]string{
		azure.RoleStorageAccountContributor: "17d1049b-9a84-46fb-8f53-869881c3d3ab", azure.RoleComputeGalleryArtifactsPublisher: "85a2d0d9-2eba-4c9c-b355-11c2cc0788ab",
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
	// The handoff waits for the association, the rules, the pod VMs'
	// group, the federated credential and the six role assignments.
	if len(v.Ready) != 4+1+1+6 {
		t.Errorf("ready %d", len(v.Ready))
	}
}

// checkRoles compares the role assignments with want (key -> scope): a
// custom role's assignment names the stack's definition of that key, a
// built-in one the built-in role; none is at the cluster's resource
// group, and only vm-sizes at the subscription.
func checkRoles(t *testing.T, r run, want map[string]string) {
	t.Helper()
	roles := r.m.OfType(tRole)
	if len(roles) != len(want) {
		t.Fatalf("%d role assignments, want %d: %v", len(roles), len(want), r.m.Summary())
	}
	builtIn := map[string]string{"image-storage": azure.RoleStorageAccountContributor, "image-gallery": azure.RoleComputeGalleryArtifactsPublisher}
	for _, role := range roles {
		in := inputs(role)
		key := strings.TrimPrefix(role.Name, "peerpods-role-")
		scope, ok := want[key]
		if !ok {
			t.Errorf("unexpected role assignment %s %v", role.Name, in)
			continue
		}
		def := azuremock.RoleDefinitionID("peerpods-roledef-" + key)
		if guid, ok := builtIn[key]; ok {
			def = roleDef(guid)
		}
		exp := map[string]any{
			"scope": scope, "roleDefinitionId": def, "principalId": azuremock.IdentityPrincipalID,
			"principalType": "ServicePrincipal", "skipServicePrincipalAadCheck": true, "description": in["description"],
		}
		if !reflect.DeepEqual(in, exp) {
			t.Errorf("role %s %v\nwant %v", role.Name, in, exp)
		}
		if d, _ := in["description"].(string); !strings.HasPrefix(d, "peer pods: ") {
			t.Errorf("role %s description %q", role.Name, d)
		}
		if s, _ := in["scope"].(string); strings.EqualFold(s, rgID) || (strings.EqualFold(s, "/subscriptions/"+sub) && key != "vm-sizes") {
			t.Errorf("role %s at %s, the cluster's group or the subscription", role.Name, s)
		}
	}
}

// granted are the actions of the stack's custom role definition of key,
// after checking that it grants actions only (no notActions, no data
// actions) and is defined and assignable where it is assigned.
func granted(t *testing.T, r run, key string) []string {
	t.Helper()
	d := inputs(r.m.Get(t, azuremock.TypeRoleDefinition, "peerpods-roledef-"+key))
	perms, _ := d["permissions"].([]any)
	if len(perms) != 1 {
		t.Fatalf("role %s permissions %v", key, d["permissions"])
	}
	p := perms[0].(map[string]any)
	var out []string
	for k, v := range p {
		if k != "actions" {
			t.Errorf("role %s has %s %v", key, k, v)
		}
	}
	for _, a := range p["actions"].([]any) {
		out = append(out, a.(string))
	}
	scope := inputs(r.m.Get(t, tRole, "peerpods-role-"+key))["scope"].(string)
	at, _ := d["scope"].(string)
	if !strings.HasPrefix(strings.ToLower(scope), strings.ToLower(at)) || !reflect.DeepEqual(d["assignableScopes"], []any{at}) {
		t.Errorf("role %s defined at %s, assignable at %v, assigned at %s", key, at, d["assignableScopes"], scope)
	}
	if n, _ := d["name"].(string); !strings.HasPrefix(n, "peerpods "+key+" ") {
		t.Errorf("role %s named %q", key, n)
	}
	return out
}

// TestWorkloadRolesMatchList: in each case, the custom roles are exactly
// the roles of testdata/caa-actions.json, each with exactly its actions
// for that case, each action cited by the CAA calls that need it.
func TestWorkloadRolesMatchList(t *testing.T) {
	l := actiontest.Read(t, "testdata/caa-actions.json")
	const gallery = "/subscriptions/" + sub + "/resourceGroups/images-rg/providers/Microsoft.Compute/galleries/g1/images/podvm"
	cases := []struct {
		name  string
		args  func(*azure.Args)
		on    []string
		roles []string
	}{
		{"image job", func(*azure.Args) {}, []string{"image job"}, caaRoles},
		{"public IPs", func(a *azure.Args) { a.Settings.Extra = map[string]string{contract.KeyUsePublicIP: "true"} }, []string{"image job", "USE_PUBLIC_IP"}, caaRoles},
		{"community image", func(a *azure.Args) { a.ImageID = communityImage }, nil, caaRoles},
		{"gallery version", func(a *azure.Args) { a.ImageID = gallery + "/versions/1.0.0" }, []string{"imageId gallery version"}, append(slices.Clone(caaRoles), "image-read")},
		{"gallery definition", func(a *azure.Args) { a.ImageID = gallery }, []string{"imageId gallery definition"}, append(slices.Clone(caaRoles), "image-read")},
		{"managed image", func(a *azure.Args) {
			a.ImageID = "/subscriptions/" + sub + "/resourceGroups/images-rg/providers/Microsoft.Compute/images/podvm"
		}, []string{"imageId managed image"}, append(slices.Clone(caaRoles), "image-read")},
		{"peer-vnet", func(a *azure.Args) { a.Outbound = azure.OutboundPeerVNet }, []string{"image job"}, caaRoles},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := workloadArgs()
			c.args(&a)
			r := deploy(t, newCloud(), a, "native", "classic", "tls")
			if r.err != nil {
				t.Fatal(r.err)
			}
			var keys []string
			for _, d := range r.m.OfType(azuremock.TypeRoleDefinition) {
				keys = append(keys, strings.TrimPrefix(d.Name, "peerpods-roledef-"))
			}
			slices.Sort(keys)
			want := slices.Sorted(slices.Values(c.roles))
			if !reflect.DeepEqual(keys, want) {
				t.Errorf("custom roles %v, want %v", keys, want)
			}
			for _, role := range l.Roles() {
				w := l.Want(role, c.on...)
				if !slices.Contains(keys, role) {
					if slices.Contains(want, role) || len(w) > 0 && role != "image-read" {
						t.Errorf("no role %s", role)
					}
					continue
				}
				actiontest.Check(t, "role "+role, granted(t, r, role), w)
			}
		})
	}
}

// communityImage is an image every subscription may use, read by no role.
const communityImage = "/CommunityGalleries/cocopodvm-d0e4f35f-5530-4b9c-8596-112487cdea85/Images/podvm_image0/Versions/2025.01.01"

// TestWorkloadRoleVariants: the subnet join is on the pod VMs' subnet
// wherever it lies (the network resource group's worker subnet, or the
// stack's peer-pod subnet, after it is made); a given image needs no
// image-job roles, and imageBuildRoles false removes them; a named pod VM
// group is the one created and named in AZURE_RESOURCE_GROUP.
func TestWorkloadRoleVariants(t *testing.T) {
	a := workloadArgs()
	a.NetworkResourceGroup = "mycluster-network-rg"
	a.ImageID = communityImage
	a.PodVMResourceGroup = "osc-podvms"
	c := newCloud()
	r := deploy(t, c, a, "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	named := "/subscriptions/" + sub + "/resourceGroups/osc-podvms"
	checkRoles(t, r, map[string]string{"pod-vms": named, "vm-sizes": "/subscriptions/" + sub, "subnet-join": subnetID, "nsg-join": nsgID})
	if cm := configMap(t, r.pp); cm[contract.KeyAzureResourceGroup] != "osc-podvms" {
		t.Errorf("AZURE_RESOURCE_GROUP %q", cm[contract.KeyAzureResourceGroup])
	}
	if in := inputs(r.m.Get(t, azuremock.TypeResourceGroup, "peerpods-podvms")); in["resourceGroupName"] != "osc-podvms" {
		t.Errorf("group %v", in)
	}

	a = workloadArgs()
	a.ImageBuildRoles = pulumi.BoolRef(false)
	r = deploy(t, c, a, "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	checkRoles(t, r, map[string]string{"pod-vms": podRGID, "vm-sizes": "/subscriptions/" + sub, "subnet-join": subnetID, "nsg-join": nsgID})
	if !slices.Contains(granted(t, r, "pod-vms"), "Microsoft.Compute/galleries/images/versions/read") {
		t.Error("without the image job's roles CAA cannot read the image the job built")
	}

	a = workloadArgs()
	a.Outbound = azure.OutboundPeerVNet
	r = deploy(t, c, a, "native", "classic", "tls")
	if r.err != nil {
		t.Fatal(r.err)
	}
	peerSubnet := rgID + "/providers/Microsoft.Network/virtualNetworks/peerpod-vnet/subnets/peerpod-subnet"
	checkRoles(t, r, map[string]string{"pod-vms": podRGID, "vm-sizes": "/subscriptions/" + sub, "subnet-join": peerSubnet, "nsg-join": nsgID,
		"image-storage": podRGID, "image-gallery": podRGID})
	if subnetURN := r.m.Get(t, tSubnet, "peerpods-peer-subnet").URN; !slices.Contains(r.m.Get(t, tRole, "peerpods-role-subnet-join").Dependencies, subnetURN) {
		t.Error("the subnet join is assigned before the peer-pod subnet exists")
	}
}

// TestPodVMGroupChecks: with workload identity the pod VMs' group must be
// their own, and the image job's roles are for workload identity without
// an image only; in the other modes the cluster's group stays the
// default and nothing is created for it.
func TestPodVMGroupChecks(t *testing.T) {
	for name, c := range map[string]struct {
		args    func(*azure.Args)
		setting string
		want    string
	}{
		"cluster group":          {func(a *azure.Args) { a.PodVMResourceGroup = rg }, "azure.podvmResourceGroup", "would cover the cluster's own VMs"},
		"network group":          {func(a *azure.Args) { a.NetworkResourceGroup, a.PodVMResourceGroup = "net-rg", "NET-RG" }, "azure.podvmResourceGroup", "a resource group of the cluster"},
		"bad name":               {func(a *azure.Args) { a.PodVMResourceGroup = "pods." }, "azure.podvmResourceGroup", "a resource group name"},
		"too long default":       {func(a *azure.Args) { a.ResourceGroup = strings.Repeat("r", 88) }, "azure.podvmResourceGroup", "a resource group name"},
		"image roles with image": {func(a *azure.Args) { a.ImageID, a.ImageBuildRoles = communityImage, pulumi.BoolRef(true) }, "azure.imageBuildRoles", "builds no image"},
		"image roles in cco":     {func(a *azure.Args) { a.Identity, a.ImageBuildRoles = contract.IdentityCCO, pulumi.BoolRef(false) }, "azure.imageBuildRoles", "identity is cco"},
	} {
		t.Run(name, func(t *testing.T) {
			a := workloadArgs()
			c.args(&a)
			err := a.WithDefaults().Validate()
			ies := problems.InputErrors(err)
			if len(ies) != 1 || ies[0].Setting != c.setting || !strings.Contains(ies[0].Error(), c.want) {
				t.Errorf("want one error on %s containing %q, got %v", c.setting, c.want, err)
			}
		})
	}
	if d := baseArgs(azure.OutboundWorkerSubnet).WithDefaults(); d.PodVMResourceGroup != rg {
		t.Errorf("cco default pod VM group %q", d.PodVMResourceGroup)
	}
}

// TestRoleAssignmentsScopes lists the roles without deploying: none at the
// cluster's group, the subscription only for the VM sizes list, which
// grants nothing else.
func TestRoleAssignmentsScopes(t *testing.T) {
	a := workloadArgs().WithDefaults()
	n := azure.Network{SubscriptionID: sub, WorkerSubnetID: subnetID, NSGID: nsgID}
	for _, r := range a.RoleAssignments(n) {
		if strings.EqualFold(r.Scope, rgID) {
			t.Errorf("%s at the cluster's group", r.Key)
		}
		if r.Scope == "/subscriptions/"+sub && (r.Key != "vm-sizes" || !reflect.DeepEqual(r.Actions, []string{"Microsoft.Compute/locations/vmSizes/read", "Microsoft.Compute/locations/operations/read"})) {
			t.Errorf("%s at the subscription with %v", r.Key, r.Actions)
		}
		if r.Why == "" || (r.Role == "") == (r.Actions == nil) {
			t.Errorf("%s: reason %q, role %q, actions %v", r.Key, r.Why, r.Role, r.Actions)
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
