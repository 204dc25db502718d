// Package smoke runs one pod on a pod VM and removes it again: in a
// scratch namespace, a pod of runtime class kata-remote; it waits until
// the pod runs or fails, finds the pod VM cloud-api-adaptor made for it
// (its PeerPod's spec.instanceID, and what the cloud shows), deletes the
// pod, confirms the pod VM is gone (no leak) and removes the namespace.
// Every wait polls with back-off and a bound.
package smoke

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/readiness"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PodName is the smoke pod's name; its namespace is made with the
// prefix NamespacePrefix.
const (
	PodName         = "peerpods-smoke"
	NamespacePrefix = "peerpods-smoke-"
)

// DefaultImage is the smoke pod's image: small, on Red Hat's registry.
const DefaultImage = "registry.access.redhat.com/ubi9/ubi-minimal:latest"

// Options say how to run the smoke test.
type Options struct {
	// Image is the pod's image (default DefaultImage), run with
	// "sleep 3600".
	Image string
	// Backoff bounds each wait (Bound: how long at most).
	Backoff backoff.Backoff
	// Sleep pauses between polls (nil: a timer).
	Sleep func(context.Context, time.Duration) error
	// Progress gets a line per step.
	Progress io.Writer
	// PodVMs lists what the cloud shows of the pod's pod VMs (such as the
	// libvirt domains cloud-api-adaptor names after the pod); nil: the
	// cloud is not asked. Kind names them, such as "libvirt domain".
	PodVMs func(ctx context.Context, pod string) ([]string, error)
	Kind   string
}

// Run runs the smoke test and returns its facts: the pod, its pod VM, and
// the clean-up. An error is a cluster that cannot be read or written.
func Run(ctx context.Context, c cluster.Clients, o Options) (facts []readiness.Fact, err error) {
	if o.Image == "" {
		o.Image = DefaultImage
	}
	say := func(format string, a ...any) { fmt.Fprintf(o.Progress, "  smoke: "+format+"\n", a...) }
	ns, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: NamespacePrefix,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "peerpods"}}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating the smoke test's namespace: %w", err)
	}
	name := ns.Name
	podRef := "Pod " + name + "/" + PodName
	defer func() {
		f, cerr := cleanUp(context.WithoutCancel(ctx), c, o, name, say)
		facts = append(facts, f)
		if err == nil {
			err = cerr
		}
	}()
	// The service-account controller makes it too; made here so the pod
	// does not wait for it.
	if _, err := c.Kube.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating the smoke test's service account: %w", err)
	}
	if _, err := c.Kube.CoreV1().Pods(name).Create(ctx, pod(o.Image), metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("creating the smoke pod: %w", err)
	}
	say("created %s (runtime class %s); waiting until it runs (at most %s)", podRef, contract.RuntimeClass, o.Backoff.Bound)

	run := readiness.Fact{Name: "smoke-pod", Object: podRef, Field: "status.phase"}
	var stuck string
	done, err := backoff.Poll(ctx, o.Backoff, o.Sleep, func(ctx context.Context) (bool, error) {
		p, err := c.Kube.CoreV1().Pods(name).Get(ctx, PodName, metav1.GetOptions{})
		if err != nil {
			return false, fmt.Errorf("reading the smoke pod: %w", err)
		}
		run.Detail, run.Message = string(p.Status.Phase), ""
		for _, cs := range p.Status.ContainerStatuses {
			if w := cs.State.Waiting; w != nil && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
				stuck, run.Message = w.Reason, w.Message
				return true, nil
			}
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
				run.Message = cond.Message
			}
		}
		return p.Status.Phase == corev1.PodRunning || p.Status.Phase == corev1.PodFailed || p.Status.Phase == corev1.PodSucceeded, nil
	})
	if err != nil {
		return nil, err
	}
	switch {
	case !done:
		run.State, run.Detail = readiness.Failed, fmt.Sprintf("still %s after %s", orPending(run.Detail), o.Backoff.Bound)
		run.Fix = "oc describe pod; oc get events: no node with free " + string(readiness.ExtendedResource) + " (peerpods check), or cloud-api-adaptor cannot create the pod VM (its logs: oc logs -n " + contract.Namespace + " ds/" + contract.CAADaemonSet + ")"
	case stuck != "":
		run.State, run.Detail = readiness.Failed, "container waiting: "+stuck
		run.Fix = "cloud-api-adaptor's pod VM did not start the container: oc describe pod, and cloud-api-adaptor's logs (oc logs -n " + contract.Namespace + " ds/" + contract.CAADaemonSet + ")"
	case run.Detail == string(corev1.PodRunning):
		run.State, run.Detail = readiness.OK, "Running on a pod VM"
	default:
		run.State = readiness.Failed
		run.Fix = "oc describe pod -n " + name + " " + PodName
	}
	say("%s", run.Line())
	facts = append(facts, run)

	vm := readiness.Fact{Name: "smoke-podvm", Object: "PeerPod " + name + "/*", Field: "spec.instanceID"}
	ids, err := peerPodIDs(ctx, c, name)
	if err != nil {
		return facts, err
	}
	var shown []string
	if o.PodVMs != nil {
		if shown, err = o.PodVMs(ctx, PodName); err != nil {
			return facts, err
		}
	}
	var parts []string
	if len(ids) > 0 {
		parts = append(parts, "instance "+strings.Join(ids, ", "))
	}
	if len(shown) > 0 {
		parts = append(parts, o.Kind+" "+strings.Join(shown, ", "))
	}
	switch {
	case len(parts) > 0:
		vm.State, vm.Detail = readiness.OK, strings.Join(parts, "; ")
	case run.State == readiness.OK:
		vm.State, vm.Detail = readiness.Failed, "the pod runs, but no PeerPod and no pod VM in the cloud names it"
		vm.Fix = "is the pod on a pod VM? oc get pod -o jsonpath='{.spec.runtimeClassName}'; oc get peerpods -A"
	default:
		vm.State, vm.Detail = readiness.Failed, "no pod VM was made"
		vm.Fix = run.Fix
	}
	say("%s", vm.Line())
	return append(facts, vm), nil
}

func orPending(phase string) string {
	if phase == "" {
		return "Pending"
	}
	return phase
}

// pod is the smoke pod: restricted (it passes the restricted pod security
// standard), on a pod VM.
func pod(image string) *corev1.Pod {
	kata, no, yes, zero := contract.RuntimeClass, false, true, int64(0)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: PodName, Labels: map[string]string{"app.kubernetes.io/managed-by": "peerpods"}},
		Spec: corev1.PodSpec{
			RuntimeClassName: &kata, RestartPolicy: corev1.RestartPolicyNever, TerminationGracePeriodSeconds: &zero,
			AutomountServiceAccountToken: &no,
			SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: &yes, SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "smoke", Image: image, Command: []string{"sleep", "3600"},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}}},
		},
	}
}

// peerPodIDs are the instance IDs of the PeerPods in namespace ns (none
// where the API does not serve PeerPods).
func peerPodIDs(ctx context.Context, c cluster.Clients, ns string) ([]string, error) {
	list, err := c.Dynamic.Resource(cluster.PeerPods).Namespace(ns).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("listing the PeerPods of %s: %w", ns, err)
	}
	var ids []string
	for _, p := range list.Items {
		id, _, _ := unstructured.NestedString(p.Object, "spec", "instanceID")
		if id == "" {
			id = "(none yet) of PeerPod " + p.GetName()
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// cleanUp deletes the pod, waits until it and its pod VM are gone, then
// deletes the namespace and waits until it is gone. A pod VM left is a
// leak, said with the fix.
func cleanUp(ctx context.Context, c cluster.Clients, o Options, ns string, say func(string, ...any)) (readiness.Fact, error) {
	f := readiness.Fact{Name: "smoke-cleanup", Object: "Namespace " + ns}
	pods := c.Kube.CoreV1().Pods(ns)
	if err := pods.Delete(ctx, PodName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return f, fmt.Errorf("deleting the smoke pod: %w", err)
	}
	say("deleted Pod %s/%s; waiting until it and its pod VM are gone", ns, PodName)
	var left []string
	gone, err := backoff.Poll(ctx, o.Backoff, o.Sleep, func(ctx context.Context) (bool, error) {
		left = nil
		if _, err := pods.Get(ctx, PodName, metav1.GetOptions{}); err == nil {
			left = append(left, "Pod "+ns+"/"+PodName)
		} else if !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("reading the smoke pod: %w", err)
		}
		ids, err := peerPodIDs(ctx, c, ns)
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			left = append(left, "PeerPod instance "+id)
		}
		if o.PodVMs != nil {
			shown, err := o.PodVMs(ctx, PodName)
			if err != nil {
				return false, err
			}
			for _, s := range shown {
				left = append(left, o.Kind+" "+s)
			}
		}
		return len(left) == 0, nil
	})
	if err != nil {
		return f, err
	}
	if err := c.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return f, fmt.Errorf("deleting the smoke test's namespace %s: %w", ns, err)
	}
	if !gone {
		f.State, f.Detail = readiness.Failed, fmt.Sprintf("left after %s: %s (a leak)", o.Backoff.Bound, strings.Join(left, ", "))
		f.Fix = "cloud-api-adaptor did not delete the pod VM: peerpods sweep --stack S lists and removes it; its logs say why"
		say("%s", f.Line())
		return f, nil
	}
	nsGone, err := backoff.Poll(ctx, o.Backoff, o.Sleep, func(ctx context.Context) (bool, error) {
		_, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		return f, err
	}
	if !nsGone {
		f.State, f.Detail = readiness.Failed, fmt.Sprintf("the pod and its pod VM are gone, but the namespace is still there after %s", o.Backoff.Bound)
		f.Fix = "oc get namespace " + ns + " -o yaml (status.conditions say what holds it)"
	} else {
		f.State, f.Detail = readiness.OK, "the pod deleted, its pod VM gone (no leak), the namespace removed"
	}
	say("%s", f.Line())
	return f, nil
}
