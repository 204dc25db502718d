package readiness

import (
	"context"
	"fmt"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// webhookDeploy names the webhook's Deployment in facts.
var webhookDeploy = "Deployment " + contract.Namespace + "/" + contract.WebhookDeployment

// Webhook reads the peer-pods webhook the operator installs
// (contract.WebhookConfig): its webhook calls the operator's Service,
// holds a CA bundle (injected by OpenShift's service CA operator, as the
// configuration's service.beta.openshift.io/inject-cabundle annotation
// asks), and the Deployment that serves it has an available replica and
// targets RuntimeClass. Without it kata-remote pods carry no pod-VM
// request and the scheduler ignores PEERPODS_LIMIT_PER_NODE; with its
// failure policy Fail and no replica, every pod create it selects fails.
func Webhook(ctx context.Context, c cluster.Clients) (Fact, error) {
	f := Fact{Name: SubjectWebhook, Object: "MutatingWebhookConfiguration " + contract.WebhookConfig, Field: "webhooks[" + contract.WebhookName + "]"}
	cfg, err := c.Kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, contract.WebhookConfig, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		f.State, f.Detail = Pending, "not created yet: the operator creates it once the KataConfig has peer pods enabled"
		f.Fix = "oc describe kataconfig, and the operator's logs: oc get pods -n " + contract.Namespace
		return f, nil
	case err != nil:
		return f, fmt.Errorf("reading %s: %w", f.Object, err)
	}
	var hook *admissionv1.MutatingWebhook
	for i := range cfg.Webhooks {
		if cfg.Webhooks[i].Name == contract.WebhookName {
			hook = &cfg.Webhooks[i]
		}
	}
	if hook == nil {
		f.State, f.Detail = Failed, "it has no webhook "+contract.WebhookName+" (edited by hand?)"
		f.Fix = "delete the configuration (oc delete mutatingwebhookconfiguration " + contract.WebhookConfig + "): the operator creates it again when it reconciles the KataConfig"
		return f, nil
	}
	svc := hook.ClientConfig.Service
	if svc == nil || svc.Namespace != contract.Namespace || svc.Name != contract.WebhookService {
		f.State, f.Field = Failed, f.Field+".clientConfig.service"
		f.Detail = "it does not call Service " + contract.Namespace + "/" + contract.WebhookService
		f.Fix = "delete the configuration (oc delete mutatingwebhookconfiguration " + contract.WebhookConfig + "): the operator creates it again when it reconciles the KataConfig"
		return f, nil
	}
	if len(hook.ClientConfig.CABundle) == 0 {
		f.State, f.Field = Pending, f.Field+".clientConfig.caBundle"
		f.Detail = "no CA bundle yet: the API server cannot call the webhook"
		f.Fix = "OpenShift's service CA operator injects it (oc get pods -n openshift-service-ca)"
		return f, nil
	}
	dep, err := c.Kube.AppsV1().Deployments(contract.Namespace).Get(ctx, contract.WebhookDeployment, metav1.GetOptions{})
	failing := "kata-remote pods get no " + string(ExtendedResource) + " request"
	if hook.FailurePolicy == nil || *hook.FailurePolicy == admissionv1.Fail {
		failing = "every pod create the webhook selects fails (failure policy Fail)"
	}
	switch {
	case apierrors.IsNotFound(err):
		f.State, f.Object, f.Field = Failed, webhookDeploy, ""
		f.Detail = "missing while its webhook is registered: " + failing
		f.Fix = "the operator creates it with peer pods: oc describe kataconfig, and the operator's logs"
		return f, nil
	case err != nil:
		return f, fmt.Errorf("reading %s: %w", webhookDeploy, err)
	}
	for _, ctr := range dep.Spec.Template.Spec.Containers {
		for _, e := range ctr.Env {
			if e.Name == "TARGET_RUNTIMECLASS" && e.Value != contract.RuntimeClass {
				f.State, f.Object, f.Field = Failed, webhookDeploy, "spec.template.spec.containers["+ctr.Name+"].env[TARGET_RUNTIMECLASS]"
				f.Detail = fmt.Sprintf("targets runtime class %q, not %s: peer pods get no %s request", e.Value, contract.RuntimeClass, ExtendedResource)
				f.Fix = "the operator sets it: oc delete deployment -n " + contract.Namespace + " " + contract.WebhookDeployment + " makes it create the Deployment again"
				return f, nil
			}
		}
	}
	want := int32(1)
	if dep.Spec.Replicas != nil {
		want = *dep.Spec.Replicas
	}
	f.Detail = fmt.Sprintf("calls Service %s/%s; %d of %d replica(s) of %s available", contract.Namespace, contract.WebhookService, dep.Status.AvailableReplicas, want, webhookDeploy)
	switch {
	case dep.Status.AvailableReplicas == 0:
		f.State, f.Object, f.Field = Failed, webhookDeploy, "status.availableReplicas"
		f.Detail += ": " + failing
		f.Fix = "oc describe deployment -n " + contract.Namespace + " " + contract.WebhookDeployment + " and its pods' events (image pull, the serving certificate Secret peer-pods-webhook-svc-secret)"
	default:
		f.State = OK
	}
	return f, nil
}
