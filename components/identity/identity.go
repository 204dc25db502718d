package identity

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
)

// Credential is a credential argument of a cloud component: the setting
// that names it and whether it was given.
type Credential struct {
	Setting string
	Given   bool
}

// CheckIdentity checks a component's identity mode (setting "identity")
// for cloud c, and refuses credentials given in a mode where the operator
// writes peer-pods-secret itself: the operator would skip its own flow.
func CheckIdentity(c contract.Cloud, id contract.Identity, creds ...Credential) error {
	var p problems.List
	if err := contract.CheckIdentity("identity", c, id); err != nil {
		p.Add(problems.Invalid("identity", strings.TrimPrefix(err.Error(), "identity "), "set peerpods:identity to one of the modes named"))
		return p.Err()
	}
	if contract.WritesSecret(id) {
		return nil
	}
	for _, cr := range creds {
		if cr.Given {
			p.Add(problems.Invalid(cr.Setting, fmt.Sprintf("is set, but identity is %s: the operator writes peer-pods-secret itself then (%s), and a Secret from the stack would turn that off", id, filledNames(c, id)),
				"remove it, or set peerpods:identity to static to hand these keys to the operator yourself"))
		}
	}
	return p.Err()
}

func filledNames(c contract.Cloud, id contract.Identity) string {
	var names []string
	for _, f := range contract.OperatorFills(c, id) {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// DefaultIssuer is a cluster's service-account issuer when it was not
// installed for short-lived credentials (openshift/api config/v1
// types_authentication.go ServiceAccountIssuer: "The default is
// https://kubernetes.default.svc"); no cloud can fetch its keys.
const DefaultIssuer = "https://kubernetes.default.svc"

// CheckIssuer checks the cluster's OIDC issuer for workload identity: an
// https URL the cloud can reach, not the in-cluster default.
func CheckIssuer(setting, issuer string) error {
	const how = "a cluster installed with short-lived credentials (ccoctl) has a public issuer: oc get authentication cluster -o jsonpath='{.spec.serviceAccountIssuer}'"
	if issuer == "" {
		return problems.Invalid(setting, "is not set, and workload identity needs the cluster's OIDC issuer", "set it to the cluster's issuer, or give peerpods:kubeconfig to read it from the cluster; "+how)
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return problems.Invalid(setting, fmt.Sprintf("is %q, which is not an https issuer URL", issuer), "set the issuer URL exactly as the cluster has it; "+how)
	}
	if strings.TrimSuffix(issuer, "/") == DefaultIssuer {
		return problems.Invalid(setting, fmt.Sprintf("is %q, the default of a cluster not installed for short-lived credentials: the cloud cannot fetch its keys", issuer),
			"use peerpods:identity cco or static on this cluster; workload identity needs "+how)
	}
	return nil
}

// IssuerHost is the issuer without its scheme and trailing slash, as AWS
// names an OIDC provider and its condition keys.
func IssuerHost(issuer string) string {
	return strings.TrimSuffix(strings.TrimPrefix(issuer, "https://"), "/")
}
