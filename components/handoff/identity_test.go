package handoff_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// withIdentity is v in identity mode id, with no peer-pods-secret outside
// static mode and env as the operator's environment.
func withIdentity(v values.Values, id contract.Identity, env map[string]string) values.Values {
	v.Identity = id
	if !contract.WritesSecret(id) {
		v.Secret = nil
	}
	if env != nil {
		v.OperatorEnv = values.PlainMap(env)
	}
	return v
}

func azureValues() values.Values {
	cm := common.DefaultSettings(contract.Azure).ConfigMap(contract.Azure)
	cm["AZURE_REGION"], cm["AZURE_RESOURCE_GROUP"] = "eastus", "rg"
	cm["AZURE_SUBNET_ID"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
	return values.Values{Cloud: contract.Azure, ConfigMap: values.PlainMap(cm),
		SSHKey: pulumi.StringMap{"id_rsa": pulumi.String("k"), "id_rsa.pub": pulumi.String("p")}}
}

// In the CCO flow the handoff writes no peer-pods-secret: the operator
// 1.10 skips its CredentialsRequest when a peer-pods-secret it did not
// make exists (controllers/credentials_controller.go
// skipCredentialRequests).
func TestCCOWritesNoSecret(t *testing.T) {
	m, err := runHandoff(t, args(withIdentity(awsValues(), contract.IdentityCCO, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kubernetes:core/v1:ConfigMap handoff-peer-pods-cm",
		"kubernetes:core/v1:Namespace handoff-openshift-sandboxed-containers-operator",
		"peerpods:components:ClusterHandoff handoff",
		"pulumi:providers:kubernetes k8s",
	}
	if got := m.Summary(); !reflect.DeepEqual(got, want) {
		t.Fatalf("registered %v\nwant %v", got, want)
	}
}

// Workload identity reaches the operator through its Subscription's env
// (a patch of spec.config.env only) and, on Azure, the osc-identity
// ConfigMap the operator team's CI reads: exact manifests.
func TestWorkloadObjects(t *testing.T) {
	m := &pulumitest.Mocks{}
	var awsOut, azureOut pulumi.StringOutput
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		opts := handoff.Options{Subscription: "sandboxed-containers-operator"}
		a := handoff.NewArgs(withIdentity(awsValues(), contract.IdentityWorkload, map[string]string{"ROLEARN": "arn:aws:iam::123456789012:role/peerpods"}), opts)
		awsOut = handoff.RenderManifests(handoff.Objects(a)[2:])
		z := handoff.NewArgs(withIdentity(azureValues(), contract.IdentityWorkload,
			map[string]string{"CLIENTID": "c1", "TENANTID": "t1", "SUBSCRIPTIONID": "s1"}), opts)
		azureOut = handoff.RenderManifests(handoff.Objects(z)[2:]) // no ssh-key-secret from 1.11
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := pulumitest.Await(t, awsOut)
	want := `apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata:
  name: sandboxed-containers-operator
  namespace: openshift-sandboxed-containers-operator
spec:
  config:
    env:
      - name: ROLEARN
        value: arn:aws:iam::123456789012:role/peerpods
`
	if got != want {
		t.Errorf("aws:\n%s\nwant:\n%s", got, want)
	}
	got, _ = pulumitest.Await(t, azureOut)
	want = `apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata:
  name: sandboxed-containers-operator
  namespace: openshift-sandboxed-containers-operator
spec:
  config:
    env:
      - name: CLIENTID
        value: c1
      - name: SUBSCRIPTIONID
        value: s1
      - name: TENANTID
        value: t1
---
apiVersion: v1
data:
  clientId: c1
  subscriptionId: s1
  tenantId: t1
kind: ConfigMap
metadata:
  labels:
    app.kubernetes.io/managed-by: peerpods
  name: osc-identity
  namespace: default
`
	if got != want {
		t.Errorf("azure:\n%s\nwant:\n%s", got, want)
	}
}

// The Subscription is patched (server-side apply of the fields given),
// never created or deleted; the handoff registers it under the component.
func TestWorkloadPatchesTheSubscription(t *testing.T) {
	a := handoff.NewArgs(withIdentity(awsValues(), contract.IdentityWorkload, map[string]string{"ROLEARN": "arn:aws:iam::123456789012:role/r"}),
		handoff.Options{Subscription: "osc"})
	m, err := runHandoff(t, a, false)
	if err != nil {
		t.Fatal(err)
	}
	sub := m.Get(t, "kubernetes:operators.coreos.com/v1alpha1:SubscriptionPatch", "handoff-osc")
	env := sub.Inputs["spec"].ObjectValue()["config"].ObjectValue()["env"].ArrayValue()
	if len(env) != 1 || env[0].ObjectValue()["name"].StringValue() != "ROLEARN" || sub.Inputs["metadata"].ObjectValue()["namespace"].StringValue() != contract.Namespace {
		t.Errorf("subscription patch %v", sub.Inputs)
	}
	if len(m.OfType("kubernetes:core/v1:Secret")) != 0 {
		t.Error("peer-pods-secret written in workload mode")
	}
}

func TestIdentityBadInput(t *testing.T) {
	ccoSecret := args(awsValues())
	ccoSecret.Identity = "cco"
	noEnv := args(withIdentity(awsValues(), contract.IdentityWorkload, nil))
	noSub := args(withIdentity(awsValues(), contract.IdentityWorkload, map[string]string{"ROLEARN": "arn"}))
	wrongEnv := handoff.NewArgs(withIdentity(awsValues(), contract.IdentityWorkload, map[string]string{"CLIENTID": "c"}), handoff.Options{Subscription: "osc"})
	gcpWorkload := handoff.Args{Cloud: "gcp", Identity: "workload", ConfigMap: pulumi.StringMap{}}
	for _, c := range []struct {
		name string
		args handoff.Args
		want string
	}{
		{"secret in cco mode", ccoSecret, "secret is given, but with identity cco the operator writes peer-pods-secret"},
		{"workload without env", noEnv, "operatorEnv is not given"},
		{"workload without subscription", noSub, "subscription is"},
		{"wrong env keys", wrongEnv, "the workload flow of aws needs [ROLEARN]"},
		{"gcp workload", gcpWorkload, "AWS and Azure only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := runHandoff(t, c.args, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, err)
			}
			onlyProviders(t, m)
		})
	}
}
