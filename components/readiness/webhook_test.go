package readiness_test

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/readiness"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// webhookConfig is the operator's MutatingWebhookConfiguration with one
// webhook named name calling svc, with caBundle ca.
func webhookConfig(name, svc string, ca []byte, policy admissionv1.FailurePolicyType) *admissionv1.MutatingWebhookConfiguration {
	return &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: contract.WebhookConfig},
		Webhooks: []admissionv1.MutatingWebhook{{Name: name, FailurePolicy: &policy, ClientConfig: admissionv1.WebhookClientConfig{
			CABundle: ca, Service: &admissionv1.ServiceReference{Namespace: contract.Namespace, Name: svc}}}},
	}
}

// webhookDeployment is the webhook's Deployment with available replicas
// and TARGET_RUNTIMECLASS target.
func webhookDeployment(available int32, target string) *appsv1.Deployment {
	two := int32(2)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.WebhookDeployment},
		Spec: appsv1.DeploymentSpec{Replicas: &two, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "peer-pods-webhook", Env: []corev1.EnvVar{{Name: "TARGET_RUNTIMECLASS", Value: target}}}}}}},
		Status: appsv1.DeploymentStatus{AvailableReplicas: available},
	}
}

// TestWebhook: the webhook fact from the objects the operator writes:
// registered, injected and served is ok; absent or without a CA bundle
// is pending; a configuration without the webhook, calling another
// Service, a Deployment missing, without an available replica (with the
// consequence of the failure policy) or targeting another runtime class
// fails, naming the object and field.
func TestWebhook(t *testing.T) {
	ca := []byte("-----BEGIN CERTIFICATE-----")
	good := webhookConfig(contract.WebhookName, contract.WebhookService, ca, admissionv1.Fail)
	for name, tc := range map[string]struct {
		objs  []runtime.Object
		state readiness.State
		has   []string
	}{
		"ok": {[]runtime.Object{good, webhookDeployment(2, contract.RuntimeClass)}, readiness.OK,
			[]string{"MutatingWebhookConfiguration mutating-webhook-configuration webhooks[mwebhook.peerpods.io]: calls Service openshift-sandboxed-containers-operator/peer-pods-webhook-svc; 2 of 2 replica(s)"}},
		"absent":    {nil, readiness.Pending, []string{"not created yet"}},
		"no bundle": {[]runtime.Object{webhookConfig(contract.WebhookName, contract.WebhookService, nil, admissionv1.Fail)}, readiness.Pending, []string{".clientConfig.caBundle: no CA bundle yet", "service CA operator"}},
		"other hook": {[]runtime.Object{webhookConfig("other.example.com", contract.WebhookService, ca, admissionv1.Fail)}, readiness.Failed,
			[]string{"it has no webhook mwebhook.peerpods.io", "oc delete mutatingwebhookconfiguration mutating-webhook-configuration"}},
		"other service": {[]runtime.Object{webhookConfig(contract.WebhookName, "elsewhere", ca, admissionv1.Fail)}, readiness.Failed,
			[]string{".clientConfig.service: it does not call Service"}},
		"no deployment": {[]runtime.Object{good}, readiness.Failed,
			[]string{"Deployment openshift-sandboxed-containers-operator/peer-pods-webhook: missing while its webhook is registered: every pod create the webhook selects fails (failure policy Fail)"}},
		"none available": {[]runtime.Object{webhookConfig(contract.WebhookName, contract.WebhookService, ca, admissionv1.Ignore), webhookDeployment(0, contract.RuntimeClass)}, readiness.Failed,
			[]string{"peer-pods-webhook status.availableReplicas: calls Service", "0 of 2 replica(s)", "kata-remote pods get no kata.peerpods.io/vm request"}},
		"other class": {[]runtime.Object{good, webhookDeployment(2, "kata")}, readiness.Failed,
			[]string{"env[TARGET_RUNTIMECLASS]: targets runtime class \"kata\", not kata-remote"}},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := readiness.Webhook(t.Context(), clients(tc.objs))
			if err != nil {
				t.Fatal(err)
			}
			if f.State != tc.state || f.Name != "webhook" {
				t.Errorf("state %s (%s), want %s: %s", f.State, f.Name, tc.state, f.Line())
			}
			for _, s := range tc.has {
				if !strings.Contains(f.Line(), s) {
					t.Errorf("no %q in %s", s, f.Line())
				}
			}
		})
	}
}
