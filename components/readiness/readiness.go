// Package readiness reads, read-only, whether peer pods work in a cluster
// after the handoff, from the objects the operator and the kubelet write:
// the KataConfig's status (the operator's CRD, tests/testdata/crds), the
// rollout of cloud-api-adaptor's DaemonSet and its containers' waiting
// reasons, the kata-remote RuntimeClass and the pod-VM extended resource
// the kata nodes advertise. Each is one Fact: ok, pending or failed, with
// the object, the field, the operator's message and the likely fix.
package readiness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// State is how far a fact is.
type State string

// The states of a fact.
const (
	OK      State = "ok"
	Pending State = "pending"
	Failed  State = "failed"
)

// Fact is one thing that must hold for peer pods to run.
type Fact struct {
	// Name says what the fact is about: kataconfig, caa, runtimeclass,
	// resource.
	Name string `json:"name"`
	// State is ok, pending or failed.
	State State `json:"state"`
	// Object names the object read, such as "DaemonSet
	// openshift-sandboxed-containers-operator/osc-caa-ds"; Field its field.
	Object string `json:"object"`
	Field  string `json:"field,omitempty"`
	// Detail says what was found.
	Detail string `json:"detail"`
	// Message is the operator's (or the kubelet's) own message, if any.
	Message string `json:"message,omitempty"`
	// Fix is the likely fix of a fact that is not ok.
	Fix string `json:"fix,omitempty"`
}

// Line is the fact as one line of text.
func (f Fact) Line() string {
	s := fmt.Sprintf("%-7s %s: %s", f.State, f.Object, f.Detail)
	if f.Field != "" {
		s = fmt.Sprintf("%-7s %s %s: %s", f.State, f.Object, f.Field, f.Detail)
	}
	if f.Message != "" {
		s += "; message: " + f.Message
	}
	if f.State != OK && f.Fix != "" {
		s += "; fix: " + f.Fix
	}
	return s
}

// Report is every fact read at once.
type Report []Fact

// Done reports whether every fact holds.
func (r Report) Done() bool {
	return !slices.ContainsFunc(r, func(f Fact) bool { return f.State != OK })
}

// Failed reports whether a fact failed.
func (r Report) Failed() bool {
	return slices.ContainsFunc(r, func(f Fact) bool { return f.State == Failed })
}

// Want is what the stack handed off.
type Want struct {
	// KataConfig is the name of the stack's KataConfig; empty: the one
	// KataConfig of the cluster, whoever made it.
	KataConfig string
	// Limit is PEERPODS_LIMIT_PER_NODE of peer-pods-cm, which
	// cloud-api-adaptor advertises as ExtendedResource on each node.
	Limit int
}

// KataConfigs is the operator's KataConfig resource (cluster-scoped).
var KataConfigs = schema.GroupVersionResource{Group: "kataconfiguration.openshift.io", Version: "v1", Resource: "kataconfigs"}

// ExtendedResource is the extended resource cloud-api-adaptor advertises
// on each node it runs on, PEERPODS_LIMIT_PER_NODE of it, and the
// peer-pods webhook adds to every kata-remote pod's requests
// (cloud-api-adaptor src/webhook, POD_VM_EXTENDED_RESOURCE default, and its
// k8sops device plugin).
const ExtendedResource corev1.ResourceName = "kata.peerpods.io/vm"

// caaDS names the DaemonSet in facts.
var caaDS = "DaemonSet " + contract.Namespace + "/" + contract.CAADaemonSet

// rolloutCmd is how to watch the DaemonSet's rollout.
var rolloutCmd = "oc rollout status ds/" + contract.CAADaemonSet + " -n " + contract.Namespace

// Read reads every fact once. An error is a cluster that cannot be read,
// never a fact that does not hold.
func Read(ctx context.Context, c cluster.Clients, w Want) (Report, error) {
	kc, nodes, err := kataConfig(ctx, c, w.KataConfig)
	if err != nil {
		return nil, err
	}
	caa, err := daemonSet(ctx, c)
	if err != nil {
		return nil, err
	}
	rc, err := runtimeClass(ctx, c)
	if err != nil {
		return nil, err
	}
	res, err := resource(ctx, c, nodes, w.Limit)
	if err != nil {
		return nil, err
	}
	return Report{kc, caa, rc, res}, nil
}

// kataConfig reads the KataConfig's status: its InProgress condition and
// kataNodes (KataConfigStatus of the operator's api/v1). It returns the
// nodes the operator installed kata on.
func kataConfig(ctx context.Context, c cluster.Clients, name string) (Fact, []string, error) {
	f := Fact{Name: SubjectKataConfig, Object: "KataConfig " + name, Field: "status"}
	var kc *unstructured.Unstructured
	if name == "" {
		list, err := c.Dynamic.Resource(KataConfigs).List(ctx, metav1.ListOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return f, nil, fmt.Errorf("listing KataConfigs: %w", err)
		case len(list.Items) > 0:
			kc = &list.Items[0]
			f.Object = "KataConfig " + kc.GetName()
		}
		if kc == nil {
			f.Object, f.State, f.Detail = "KataConfig", Pending, "none exists: the operator installs nothing on the nodes until one does"
			f.Fix = "set peerpods:kataConfig (the stack writes it) or create one (oc apply a KataConfig with enablePeerPods: true)"
			return f, nil, nil
		}
	} else {
		var err error
		kc, err = c.Dynamic.Resource(KataConfigs).Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			f.State, f.Detail = Pending, "not found"
			f.Fix = "is the operator installed (its KataConfig CRD)? oc get kataconfig"
			return f, nil, nil
		case err != nil:
			return f, nil, fmt.Errorf("reading KataConfig %s: %w", name, err)
		}
	}
	strs := func(field string) []string {
		l, _, _ := unstructured.NestedStringSlice(kc.Object, "status", "kataNodes", field)
		return l
	}
	count := func(field string) int64 {
		n, _, _ := unstructured.NestedInt64(kc.Object, "status", "kataNodes", field)
		return n
	}
	installed, installing, waiting, failed := strs("installed"), strs("installing"), strs("waitingToInstall"), strs("failedToInstall")
	nodeCount, ready := count("nodeCount"), count("readyNodeCount")
	var inProgress, reason, message string
	conds, _, _ := unstructured.NestedSlice(kc.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "InProgress" {
			inProgress, _ = m["status"].(string)
			reason, _ = m["reason"].(string)
			message, _ = m["message"].(string)
		}
	}
	f.Detail = fmt.Sprintf("%d of %d node(s) ready", ready, nodeCount)
	if len(installed) > 0 {
		f.Detail += "; installed: " + strings.Join(installed, ", ")
	}
	if len(installing) > 0 {
		f.Detail += "; installing: " + strings.Join(installing, ", ")
	}
	if len(waiting) > 0 {
		f.Detail += "; waiting to install: " + strings.Join(waiting, ", ")
	}
	if inProgress == "True" {
		f.Detail += "; in progress (" + reason + ")"
	}
	f.Message = message
	switch {
	case len(failed) > 0 || reason == "Failed":
		f.State, f.Field = Failed, "status.kataNodes.failedToInstall"
		if len(failed) > 0 {
			f.Detail += "; failed to install: " + strings.Join(failed, ", ")
		}
		f.Fix = "a node stuck in MachineConfigPool degradation is the usual cause: oc get mcp; oc describe mcp kata-oc (the pool's NodeDegraded reason names the node and the MachineConfig), then fix the node and let the pool finish"
	case inProgress != "True" && nodeCount > 0 && ready == nodeCount:
		f.State = OK
	default:
		f.State = Pending
		f.Fix = "the operator installs kata node by node; each node reboots (10 to 60 minutes or more in all): oc get kataconfig -o yaml; oc get mcp"
		if nodeCount == 0 && inProgress != "True" {
			f.Fix = "no node is selected: check the KataConfig's kataConfigPoolSelector against the nodes' labels (peerpods:placement.kataNodes)"
		}
	}
	if f.State != OK {
		// The usual cause of a stuck install: a pool that cannot update.
		pool, cond, message, err := degradedPool(ctx, c)
		if err != nil {
			return f, nil, err
		}
		if pool != "" {
			f.State, f.Field = Failed, "status; MachineConfigPool "+pool+" status.conditions["+cond+"]"
			f.Detail += "; MachineConfigPool " + pool + " is " + cond
			if f.Message == "" {
				f.Message = message
			} else if message != "" {
				f.Message += "; " + message
			}
			f.Fix = "the pool's nodes cannot take the kata MachineConfig: oc describe mcp " + pool + " names the node and why; fix that node (oc debug node/NODE), and the pool, then the operator, go on"
		}
	}
	return f, installed, nil
}

// MachineConfigPools is OpenShift's MachineConfigPool resource
// (machineconfiguration.openshift.io/v1, cluster-scoped), through which
// the operator installs kata on the nodes.
var MachineConfigPools = schema.GroupVersionResource{Group: "machineconfiguration.openshift.io", Version: "v1", Resource: "machineconfigpools"}

// degradedPool returns the first MachineConfigPool (by name) with a
// degraded condition (NodeDegraded, RenderDegraded or Degraded, status
// True) and its message; none where the API serves no pools.
func degradedPool(ctx context.Context, c cluster.Clients) (pool, cond, message string, err error) {
	list, err := c.Dynamic.Resource(MachineConfigPools).List(ctx, metav1.ListOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", "", "", nil
	case err != nil:
		return "", "", "", fmt.Errorf("listing MachineConfigPools: %w", err)
	}
	slices.SortFunc(list.Items, func(a, b unstructured.Unstructured) int { return strings.Compare(a.GetName(), b.GetName()) })
	for _, p := range list.Items {
		conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
		for _, x := range conds {
			m, _ := x.(map[string]any)
			t, _ := m["type"].(string)
			if m["status"] == "True" && slices.Contains([]string{"NodeDegraded", "RenderDegraded", "Degraded"}, t) {
				msg, _ := m["message"].(string)
				return p.GetName(), t, msg, nil
			}
		}
	}
	return "", "", "", nil
}

// daemonSet reads cloud-api-adaptor's rollout: the controller has seen the
// current template (observedGeneration), and every selected node runs an
// updated, ready pod. A container of its pods waiting for a reason that
// does not pass by itself is a failure, with its last log line.
func daemonSet(ctx context.Context, c cluster.Clients) (Fact, error) {
	f := Fact{Name: SubjectCAA, Object: caaDS, Field: "status"}
	ds, err := c.Kube.AppsV1().DaemonSets(contract.Namespace).Get(ctx, contract.CAADaemonSet, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		f.State, f.Detail = Pending, "not created yet: the operator creates it once the KataConfig has peer pods enabled"
		f.Fix = "oc describe kataconfig, and the operator's pods' logs: oc get pods -n " + contract.Namespace
		return f, nil
	case err != nil:
		return f, fmt.Errorf("reading %s: %w", caaDS, err)
	}
	s := ds.Status
	f.Detail = fmt.Sprintf("%d of %d node(s) updated, %d ready (generation %d observed %d)",
		s.UpdatedNumberScheduled, s.DesiredNumberScheduled, s.NumberReady, ds.Generation, s.ObservedGeneration)
	if stuck, err := stuckContainer(ctx, c, ds); err != nil {
		return f, err
	} else if stuck != nil {
		return *stuck, nil
	}
	switch {
	case s.ObservedGeneration >= ds.Generation && s.DesiredNumberScheduled > 0 &&
		s.UpdatedNumberScheduled == s.DesiredNumberScheduled && s.NumberReady == s.DesiredNumberScheduled:
		f.State = OK
	case s.DesiredNumberScheduled == 0 && s.ObservedGeneration >= ds.Generation:
		f.State = Pending
		f.Fix = "no node is selected for it yet: the operator labels the kata nodes once kata is installed on them"
	default:
		f.State = Pending
		f.Fix = rolloutCmd
	}
	return f, nil
}

// stuckReasons are the waiting reasons of a container that do not pass by
// themselves.
var stuckReasons = []string{"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "InvalidImageName", "CreateContainerError"}

// stuckContainer finds a container of ds's pods (those its selector
// selects) waiting for one of stuckReasons.
func stuckContainer(ctx context.Context, c cluster.Clients, ds *appsv1.DaemonSet) (*Fact, error) {
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("%s: its selector: %w", caaDS, err)
	}
	pods, err := c.Kube.CoreV1().Pods(contract.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of %s: %w", caaDS, err)
	}
	slices.SortFunc(pods.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	for _, p := range pods.Items {
		for i, cs := range p.Status.ContainerStatuses {
			w := cs.State.Waiting
			if w == nil || !slices.Contains(stuckReasons, w.Reason) {
				continue
			}
			f := &Fact{Name: SubjectCAA, State: Failed, Object: "Pod " + p.Namespace + "/" + p.Name + " of " + caaDS,
				Field:   fmt.Sprintf("status.containerStatuses[%d].state.waiting", i),
				Detail:  fmt.Sprintf("container %s waiting: %s (restarted %d times)", cs.Name, w.Reason, cs.RestartCount),
				Message: w.Message}
			switch w.Reason {
			case "CrashLoopBackOff":
				if line := lastLogLine(ctx, c, p, cs.Name); line != "" {
					f.Detail += "; last log line: " + line
				}
				f.Fix = "cloud-api-adaptor exits at start: a key of peer-pods-cm or peer-pods-secret it needs is missing or wrong (peerpods check --stack S), or the cloud refuses its credentials; oc logs -n " + contract.Namespace + " " + p.Name + " -c " + cs.Name + " --previous"
			case "CreateContainerConfigError":
				f.Fix = "an object of its environment is missing: peer-pods-cm or peer-pods-secret (peerpods check --stack S)"
			default:
				f.Fix = "the image cannot be pulled: check the cluster's pull secret and the operator's image references (oc describe pod -n " + contract.Namespace + " " + p.Name + ")"
			}
			return f, nil
		}
	}
	return nil, nil
}

// lastLogLine is the last line the container's previous run logged, when
// it can be read (empty otherwise), with the values of the handoff's
// Secrets masked: a log line must not carry a credential on.
func lastLogLine(ctx context.Context, c cluster.Clients, p corev1.Pod, container string) string {
	tail := int64(1)
	b, err := c.Kube.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Previous: true, TailLines: &tail}).DoRaw(ctx)
	if err != nil {
		return ""
	}
	line := strings.TrimSpace(string(b))
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	for _, name := range []string{contract.SecretName, contract.SSHKeySecretName} {
		s, err := c.Kube.CoreV1().Secrets(contract.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, v := range s.Data {
			if len(v) >= 4 {
				line = strings.ReplaceAll(line, string(v), "[secret]")
			}
		}
	}
	if len(line) > 300 {
		line = line[:297] + "..."
	}
	return line
}

// runtimeClass reads the RuntimeClass peer pods run with, which the
// operator creates.
func runtimeClass(ctx context.Context, c cluster.Clients) (Fact, error) {
	f := Fact{Name: SubjectRuntimeClass, Object: "RuntimeClass " + contract.RuntimeClass}
	rc, err := c.Kube.NodeV1().RuntimeClasses().Get(ctx, contract.RuntimeClass, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		f.State, f.Detail = Pending, "not created yet: the operator creates it when kata is installed"
		f.Fix = "oc get kataconfig -o yaml (status.runtimeClasses)"
	case err != nil:
		return f, fmt.Errorf("reading RuntimeClass %s: %w", contract.RuntimeClass, err)
	default:
		f.State, f.Detail = OK, "present, handler "+rc.Handler
	}
	return f, nil
}

// resource reads ExtendedResource in the allocatable resources of the
// kata nodes (those the KataConfig installed; without any, the nodes that
// advertise it), each of which must advertise limit.
func resource(ctx context.Context, c cluster.Clients, kataNodes []string, limit int) (Fact, error) {
	f := Fact{Name: SubjectResource, Object: "Node", Field: "status.allocatable[\"" + string(ExtendedResource) + "\"]"}
	list, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return f, fmt.Errorf("listing nodes: %w", err)
	}
	var good, missing, wrong []string
	for _, n := range list.Items {
		q, has := n.Status.Allocatable[ExtendedResource]
		if !slices.Contains(kataNodes, n.Name) && (len(kataNodes) > 0 || !has) {
			continue
		}
		switch {
		case !has:
			missing = append(missing, n.Name)
		case q.Value() != int64(limit):
			wrong = append(wrong, n.Name+" has "+q.String())
		default:
			good = append(good, n.Name)
		}
	}
	for _, n := range kataNodes {
		if !slices.ContainsFunc(list.Items, func(x corev1.Node) bool { return x.Name == n }) {
			missing = append(missing, n+" (no such node)")
		}
	}
	want := strconv.Itoa(limit)
	switch {
	case len(good)+len(missing)+len(wrong) == 0:
		f.State, f.Detail = Pending, "no kata node advertises it yet"
		f.Fix = "cloud-api-adaptor advertises it once it runs on the node: " + rolloutCmd
	case len(missing)+len(wrong) > 0:
		f.State = Pending
		var parts []string
		if len(good) > 0 {
			parts = append(parts, want+" on "+strings.Join(good, ", "))
		}
		if len(missing) > 0 {
			parts = append(parts, "none on "+strings.Join(missing, ", "))
		}
		if len(wrong) > 0 {
			parts = append(parts, strings.Join(wrong, ", ")+", not "+want+" (PEERPODS_LIMIT_PER_NODE)")
		}
		f.Detail = strings.Join(parts, "; ")
		f.Fix = "cloud-api-adaptor advertises PEERPODS_LIMIT_PER_NODE when it starts: a node without it, or with an old value, runs no updated cloud-api-adaptor pod yet (" + rolloutCmd + ")"
	default:
		f.State, f.Detail = OK, want+" on "+strings.Join(good, ", ")
	}
	return f, nil
}
