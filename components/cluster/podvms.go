package cluster

import (
	"context"
	"fmt"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	common "github.com/peerpods/provisioner/components/leftovers"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PeerPods is cloud-api-adaptor's PeerPod resource: one per pod VM it
// created, in the pod's namespace, owned by the pod (ownerReferences, a
// controller reference), with spec.instanceID and spec.cloudProvider, and
// a finalizer cloud-api-adaptor removes when it deleted the VM
// (openshift/cloud-api-adaptor osc-release-v1.10 bb4e602c,
// src/cloud-api-adaptor/pkg/adaptor/k8sops/peerpod.go newPeerPod). A
// PeerPod whose pod is gone is a VM cloud-api-adaptor did not delete.
var PeerPods = schema.GroupVersionResource{Group: "confidentialcontainers.org", Version: "v1alpha1", Resource: "peerpods"}

// PodVMs is what a cluster accounts for among pod VMs
// (common.Accounting): the pods that run with the peer-pods runtime
// class, and cloud-api-adaptor's PeerPod objects where the API serves
// them.
type PodVMs struct {
	// live are the pods that exist, by name: "Pod <ns>/<name>" or
	// "PeerPod ... of Pod ...".
	live map[string]string
	// claimed are the pods of this cluster's PeerPods, whether the pod
	// exists or not.
	claimed map[string]bool
	// ids are the PeerPods' instance IDs of pods that exist.
	ids map[string]string
}

var _ common.Accounting = PodVMs{}

// ReadPodVMs reads the pods with the runtime class kata-remote and the
// PeerPod objects (when the API serves them) of every namespace.
func ReadPodVMs(ctx context.Context, c Clients) (PodVMs, error) {
	v := PodVMs{live: map[string]string{}, claimed: map[string]bool{}, ids: map[string]string{}}
	pods, err := c.Kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return v, fmt.Errorf("listing pods: %w", err)
	}
	exists := map[string]bool{} // namespace/name
	for _, p := range pods.Items {
		exists[p.Namespace+"/"+p.Name] = true
		if p.Spec.RuntimeClassName != nil && *p.Spec.RuntimeClassName == contract.RuntimeClass {
			v.live[p.Name] = "Pod " + p.Namespace + "/" + p.Name
		}
	}
	list, err := c.Dynamic.Resource(PeerPods).Namespace("").List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err): // no peer-pod controller: no PeerPods
		return v, nil
	case err != nil:
		return v, fmt.Errorf("listing PeerPods: %w", err)
	}
	for _, pp := range list.Items {
		for _, o := range pp.GetOwnerReferences() {
			if o.Kind != "Pod" {
				continue
			}
			v.claimed[o.Name] = true
			if exists[pp.GetNamespace()+"/"+o.Name] {
				why := fmt.Sprintf("PeerPod %s/%s of Pod %s/%s", pp.GetNamespace(), pp.GetName(), pp.GetNamespace(), o.Name)
				v.live[o.Name] = why
				if id, _, _ := unstructured.NestedString(pp.Object, "spec", "instanceID"); id != "" {
					v.ids[id] = why
				}
			}
		}
	}
	return v, nil
}

// InUse implements common.Accounting.
func (v PodVMs) InUse(name, instanceID string) (string, bool) {
	if why, ok := v.ids[instanceID]; ok && instanceID != "" {
		return why, true
	}
	for pod, why := range v.live {
		if PodVMOfPod(name, pod) {
			return why, true
		}
	}
	return "", false
}

// Claims implements common.Accounting.
func (v PodVMs) Claims(name string) bool {
	if _, ok := v.InUse(name, ""); ok {
		return true
	}
	for pod := range v.claimed {
		if PodVMOfPod(name, pod) {
			return true
		}
	}
	return false
}

// PodVMOfPod reports whether vm is a name cloud-api-adaptor gives a pod
// VM of the pod named pod: podvm-<pod, sanitized and cut to fit 63
// characters>-<up to 8 characters of the sandbox ID>
// (src/cloud-providers/util/instance.go GenerateInstanceName and sanitize,
// maxInstanceNameLen 63).
func PodVMOfPod(vm, pod string) bool {
	p := sanitize(pod)
	if len(p) > 63-len("podvm")-10 {
		p = p[:63-len("podvm")-10]
	}
	rest, ok := strings.CutPrefix(vm, "podvm-"+p+"-")
	return ok && len(rest) >= 1 && len(rest) <= 8 && !strings.Contains(rest, "-")
}

// sanitize is cloud-api-adaptor's: lower case, and '-' for every
// character but a-z, 0-9 and '-'.
func sanitize(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			c = '-'
		}
		b.WriteRune(c)
	}
	return b.String()
}
