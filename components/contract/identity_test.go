package contract

import (
	"strings"
	"testing"
)

// The modes each cloud supports, as the operator's sources say (see
// IdentitiesOf), and the errors for the others.
func TestCheckIdentity(t *testing.T) {
	for _, tc := range []struct {
		cloud Cloud
		id    Identity
		err   string
	}{
		{AWS, IdentityCCO, ""}, {AWS, IdentityStatic, ""}, {AWS, IdentityWorkload, ""},
		{Azure, IdentityWorkload, ""}, {GCP, IdentityCCO, ""}, {GCP, IdentityStatic, ""},
		{GCP, IdentityWorkload, "AWS and Azure only"},
		{Libvirt, IdentityStatic, ""}, {Libvirt, IdentityCCO, "not cloud credentials"},
		{AWS, "sts", `"sts", which is not an identity mode; use cco, static, workload`},
	} {
		err := CheckIdentity("peerpods:identity", tc.cloud, tc.id)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s %s: %v", tc.cloud, tc.id, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s %s: got %v, want %q", tc.cloud, tc.id, err, tc.err)
		}
	}
	if DefaultIdentity(AWS) != IdentityCCO || DefaultIdentity(Libvirt) != IdentityStatic {
		t.Error("defaults: CCO where the operator has CredentialsRequests, static for libvirt")
	}
}

// In the CCO flow the operator fills every credential key the user would
// otherwise give for the cloud (the mapping of cco-secret in the operator's
// credentials_controller.go secretMapping, kept here as data: Operator):
// nothing the operator needs is left to nobody.
func TestCCOFillsTheUsersCredentials(t *testing.T) {
	ccoKeys := map[string]string{ // CCO secret key -> peer-pods-secret key, Operator secretMapping
		"aws_access_key_id": "AWS_ACCESS_KEY_ID", "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
		"azure_subscription_id": "AZURE_SUBSCRIPTION_ID", "azure_client_id": "AZURE_CLIENT_ID",
		"azure_client_secret": "AZURE_CLIENT_SECRET", "azure_tenant_id": "AZURE_TENANT_ID",
		"service_account.json": "GCP_CREDENTIALS",
	}
	for _, c := range []Cloud{AWS, Azure, GCP} {
		filled := map[string]bool{}
		for _, f := range OperatorFills(c, IdentityCCO) {
			filled[f.Name] = true
			from := f.From
			if ccoKeys[from] != f.Name {
				t.Errorf("%s: %s from %q, but the operator maps %q to %q", c, f.Name, from, from, ccoKeys[from])
			}
		}
		for _, k := range MustFor(c).In(Secret) {
			if k.Need != Optional && !filled[k.Name] {
				t.Errorf("%s: the operator needs %s in peer-pods-secret, and the CCO flow does not fill it", c, k.Name)
			}
		}
	}
	if OperatorFills(AWS, IdentityStatic) != nil || WritesSecret(IdentityCCO) || !WritesSecret(IdentityStatic) {
		t.Error("static mode: the stack writes the secret and the operator fills nothing")
	}
}
