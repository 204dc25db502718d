package identity

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
)

func TestCheckIdentity(t *testing.T) {
	key := Credential{Setting: "awsAccessKeyId", Given: true}
	if err := CheckIdentity(contract.AWS, contract.IdentityStatic, key); err != nil {
		t.Error(err)
	}
	err := CheckIdentity(contract.AWS, contract.IdentityCCO, key)
	if err == nil || !strings.Contains(err.Error(), "awsAccessKeyId is set, but identity is cco: the operator writes peer-pods-secret itself then (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)") {
		t.Errorf("got %v", err)
	}
	if err := CheckIdentity(contract.GCP, contract.IdentityWorkload); err == nil || !strings.Contains(err.Error(), "AWS and Azure only") {
		t.Errorf("got %v", err)
	}
}

func TestCheckIssuer(t *testing.T) {
	for issuer, want := range map[string]string{
		"https://oidc.s3.us-east-2.amazonaws.com/mycluster": "",
		"":                               "is not set",
		"http://oidc.example.com":        "not an https issuer URL",
		"https://kubernetes.default.svc": "the default of a cluster not installed for short-lived credentials",
	} {
		err := CheckIssuer("aws.oidcIssuer", issuer)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: got %v, want %q", issuer, err, want)
		}
	}
	if h := IssuerHost("https://oidc.example.com/c1/"); h != "oidc.example.com/c1" {
		t.Errorf("host %q", h)
	}
}
