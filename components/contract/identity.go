package contract

import (
	"fmt"
	"slices"
	"strings"
)

// OperatorNext is the later operator source the workload-identity facts
// come from: 1.10 has only the CCO flow (its credentials_controller.go reads
// no ROLEARN, CLIENTID, TENANTID or SUBSCRIPTIONID), the devel branch reads
// them from the operator's environment, which OLM sets from the
// Subscription's spec.config.env.
const OperatorNext = "openshift/sandboxed-containers-operator@091aba05 (devel, CSV 1.13.1)"

// Identity is how cloud-api-adaptor gets its cloud credentials
// (peerpods:identity).
type Identity string

// The identity modes.
const (
	// IdentityCCO leaves the credentials to the operator: it asks the
	// Cloud Credential Operator for them (a CredentialsRequest per cloud)
	// and writes peer-pods-secret from the Secret CCO mints. The stack then
	// writes no peer-pods-secret at all, since a peer-pods-secret the
	// operator did not make turns that flow off.
	IdentityCCO Identity = "cco"
	// IdentityStatic writes long-lived cloud keys into peer-pods-secret:
	// from the stack's secret settings, or read from the cluster's CCO
	// root secret.
	IdentityStatic Identity = "static"
	// IdentityWorkload gives CAA short-lived tokens of its service account,
	// trusted by a cloud identity the stack creates (an AWS IAM role, an
	// Azure managed identity with a federated credential) and announced to
	// the operator, which then writes peer-pods-secret itself.
	IdentityWorkload Identity = "workload"
)

// Identities lists every identity mode.
var Identities = []Identity{IdentityCCO, IdentityStatic, IdentityWorkload}

// IdentitiesOf returns the identity modes the operator supports for c, the
// default first: CCO has CredentialsRequests for AWS, Azure and GCP only
// (config/peerpods/credentials-requests), workload identity exists for AWS
// and Azure only (no GCP code in checkAndSetupSTSWorkflow), and libvirt's
// LIBVIRT_URI and SSH key are no cloud credentials at all.
func IdentitiesOf(c Cloud) []Identity {
	switch c {
	case AWS, Azure:
		return []Identity{IdentityCCO, IdentityStatic, IdentityWorkload}
	case GCP:
		return []Identity{IdentityCCO, IdentityStatic}
	}
	return []Identity{IdentityStatic}
}

// DefaultIdentity is the identity mode of c when peerpods:identity is not
// set: CCO where the operator supports it, as OSC 1.10's docs do.
func DefaultIdentity(c Cloud) Identity { return IdentitiesOf(c)[0] }

// IdentityOr is id, or the default of c when id is empty.
func IdentityOr(c Cloud, id Identity) Identity {
	if id == "" {
		return DefaultIdentity(c)
	}
	return id
}

// CheckIdentity refuses an identity mode that is unknown, or that the
// operator does not support for c, naming setting and the modes that work.
func CheckIdentity(setting string, c Cloud, id Identity) error {
	ok := IdentitiesOf(c)
	if slices.Contains(ok, id) {
		return nil
	}
	names := make([]string, len(ok))
	for i, m := range ok {
		names[i] = string(m)
	}
	if !slices.Contains(Identities, id) {
		return fmt.Errorf("%s is %q, which is not an identity mode; use %s", setting, id, strings.Join(names, ", "))
	}
	why := "the operator has no such flow for it"
	switch {
	case c == GCP && id == IdentityWorkload:
		why = "the operator's workload-identity flow covers AWS and Azure only (" + OperatorNext + " controllers/credentials_controller.go checkAndSetupSTSWorkflow)"
	case c == Libvirt:
		why = "libvirt's credentials are the stack's own SSH key to the KVM host, not cloud credentials"
	}
	return fmt.Errorf("%s is %q, which %s does not support: %s; use %s", setting, id, c, why, strings.Join(names, ", "))
}

// CheckIdentityOnLine refuses an identity mode that operator line l cannot
// run for c (a zero line accepts every mode IdentitiesOf allows):
// workload identity needs the operator's STS flow, which reads Azure's
// CLIENTID, TENANTID and SUBSCRIPTIONID from 1.12 and AWS's ROLEARN from
// 1.13, and on AWS the cloud-api-adaptor of 1.13, whose entrypoint.sh
// no longer requires static keys (CAA112 src/cloud-api-adaptor/entrypoint.sh
// aws() test_vars AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY). Both are
// inferred from the operator's devel branch and PR dates
// (testdata/lines, "identities").
func CheckIdentityOnLine(setting string, c Cloud, id Identity, l Line) error {
	if l.IsZero() || id != IdentityWorkload {
		return nil
	}
	switch {
	case c == AWS && l.Before(Line113):
		return fmt.Errorf("%s is workload, which operator line %s cannot run for AWS: its cloud-api-adaptor requires static keys (%s src/cloud-api-adaptor/entrypoint.sh aws() test_vars) and its operator reads no ROLEARN; use cco or static, or upgrade the operator to 1.13", setting, l, CAA112)
	case c == Azure && l.Before(Line112):
		return fmt.Errorf("%s is workload, which operator line %s cannot run for Azure: its operator has no workload-identity flow (checkAndSetupSTSWorkflow came with 1.12); use cco or static, or upgrade the operator to 1.12", setting, l)
	}
	return nil
}

// WritesSecret reports whether the stack writes peer-pods-secret in mode
// id: only with static credentials. In the CCO and workload flows the
// operator writes it, and skips its own flow when the Secret exists
// (Operator controllers/credentials_controller.go skipCredentialRequests;
// OperatorNext setupPeerPodsCredentials, "If secret exists, skip").
func WritesSecret(id Identity) bool { return id == IdentityStatic }

// Filled is a peer-pods-secret key the operator writes in a mode where the
// stack writes none.
type Filled struct {
	// Name is the key.
	Name string
	// From is the key of the CCO Secret, or the operator env variable, the
	// value comes from; empty for a value the operator sets itself.
	From string
	// Source cites the operator's code that fills it.
	Source string
}

// Workload identity facts: the token CAA presents and who it names.
const (
	// WorkloadServiceAccount is the service account CAA runs as (the
	// DaemonSet osc-caa-ds, ServiceAccountName "default": Operator
	// controllers/openshift_controller.go processDaemonsetForCAA).
	WorkloadServiceAccount = "default"
	// WorkloadSubject is the token's subject, the service account of CAA.
	WorkloadSubject = "system:serviceaccount:" + Namespace + ":" + WorkloadServiceAccount
	// WorkloadAudience is the audience of the bound token the operator
	// projects into CAA (OperatorNext controllers/peerpods.go
	// addBoundSATokenVolume).
	WorkloadAudience = "openshift"
	// WorkloadTokenFile is where CAA reads that token.
	WorkloadTokenFile = "/var/run/secrets/openshift/serviceaccount/token"
)

// OperatorEnv are the environment variables of the operator, set through
// its OLM Subscription (spec.config.env), that start the workload-identity
// flow for c (OperatorNext controllers/credentials_controller.go
// checkAndSetupSTSWorkflow); nil for a cloud without one.
func OperatorEnv(c Cloud) []string {
	switch c {
	case AWS:
		return []string{"ROLEARN"}
	case Azure:
		return []string{"CLIENTID", "TENANTID", "SUBSCRIPTIONID"}
	}
	return nil
}

// OperatorFills lists the peer-pods-secret keys the operator writes for c
// in mode id, and where it takes them; nil in static mode, where the
// stack writes them.
func OperatorFills(c Cloud, id Identity) []Filled {
	const cco = Operator + " controllers/credentials_controller.go secretMapping (from the Secret cco-secret CCO mints)"
	const sts = OperatorNext + " controllers/credentials_controller.go checkAndSetupSTSWorkflow (from the operator's env)"
	switch {
	case id == IdentityCCO && c == AWS:
		return []Filled{{KeyAWSAccessKeyID, "aws_access_key_id", cco}, {KeyAWSSecretAccessKey, "aws_secret_access_key", cco}}
	case id == IdentityCCO && c == Azure:
		return []Filled{
			{KeyAzureSubscriptionID, "azure_subscription_id", cco}, {KeyAzureClientID, "azure_client_id", cco},
			{KeyAzureClientSecret, "azure_client_secret", cco}, {KeyAzureTenantID, "azure_tenant_id", cco},
		}
	case id == IdentityCCO && c == GCP:
		return []Filled{{KeyGCPCredentials, "service_account.json", cco}}
	case id == IdentityWorkload && c == AWS:
		return []Filled{{"AWS_ROLE_ARN", "ROLEARN", sts}, {"AWS_WEB_IDENTITY_TOKEN_FILE", "", sts + ": " + WorkloadTokenFile}}
	case id == IdentityWorkload && c == Azure:
		return []Filled{
			{KeyAzureClientID, "CLIENTID", sts}, {KeyAzureTenantID, "TENANTID", sts}, {KeyAzureSubscriptionID, "SUBSCRIPTIONID", sts},
			{"AZURE_FEDERATED_TOKEN_FILE", "", sts + ": " + WorkloadTokenFile},
		}
	}
	return nil
}

// The operator's OLM package: its Subscription (whose metadata.name
// varies: Operator config/samples/deploy.yaml names it
// sandboxed-containers-operator, scripts/install-helpers/baremetal-coco/
// subs-ga.yaml openshift-sandboxed-containers-operator) is the one in
// Namespace whose spec.name is OperatorPackage.
const (
	OperatorPackage = "sandboxed-containers-operator"
	// SubscriptionAPIVersion and SubscriptionKind are OLM's Subscription.
	SubscriptionAPIVersion = "operators.coreos.com/v1alpha1"
	SubscriptionKind       = "Subscription"
)

// IdentityConfigMap is the ConfigMap the operator team's CI announces an
// Azure workload identity in (openshift/release
// ci-operator/step-registry/sandboxed-containers-operator/peerpods/param-cm,
// create_osc_managed_identity; read back by its azure-sts-pre-install step
// to set the Subscription's env): namespace default, keys subscriptionId,
// clientId, tenantId. The operator itself reads only its env.
const (
	IdentityConfigMapName      = "osc-identity"
	IdentityConfigMapNamespace = "default"
)

// IdentityConfigMapKeys maps the operator env of an Azure workload
// identity to the keys of IdentityConfigMap.
var IdentityConfigMapKeys = map[string]string{"SUBSCRIPTIONID": "subscriptionId", "CLIENTID": "clientId", "TENANTID": "tenantId"}
