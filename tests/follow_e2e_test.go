//go:build e2e

package tests

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	k8scluster "github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/readiness"
	"github.com/peerpods/provisioner/components/smoke"
	"github.com/peerpods/provisioner/tests/testkit/caatest"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// jsonPart is the JSON object in a command's output (the harness merges
// standard error into it).
func jsonPart(out string) string {
	return out[strings.Index(out, "{") : strings.LastIndex(out, "}")+1]
}

// operatorWrites plays the operator and the kubelet on the e2e API
// server, where neither runs: it writes the statuses they write, each
// through the status subresource.
type operatorWrites struct {
	t    *testing.T
	c    *kubetest.Clients
	kata string // the KataConfig's name
	node string
}

// kataConfig writes the KataConfig's status: kataNodes and the
// InProgress condition, as the operator's reconciler does.
func (o operatorWrites) kataConfig(kataNodes map[string]any, inProgress, reason, message string) {
	o.t.Helper()
	kc, err := o.c.Dynamic.Resource(kataConfigs).Get(o.t.Context(), o.kata, metav1.GetOptions{})
	if err != nil {
		o.t.Fatal(err)
	}
	kc.Object["status"] = map[string]any{"kataNodes": kataNodes, "conditions": []any{map[string]any{
		"type": "InProgress", "status": inProgress, "reason": reason, "message": message, "lastTransitionTime": "2026-01-01T00:00:00Z"}}}
	if _, err := o.c.Dynamic.Resource(kataConfigs).UpdateStatus(o.t.Context(), kc, metav1.UpdateOptions{FieldManager: "sandboxed-containers-operator"}); err != nil {
		o.t.Fatal(err)
	}
}

// rolledOut writes osc-caa-ds's status as the DaemonSet controller does
// once one updated pod is ready on the one kata node, and the node's
// extended resource as cloud-api-adaptor's device plugin makes the
// kubelet advertise it.
func (o operatorWrites) rolledOut(limit int64) {
	o.t.Helper()
	ctx := o.t.Context()
	dss := o.c.Typed.AppsV1().DaemonSets(contract.Namespace)
	ds, err := dss.Get(ctx, contract.CAADaemonSet, metav1.GetOptions{})
	if err != nil {
		o.t.Fatal(err)
	}
	ds.Status.ObservedGeneration, ds.Status.DesiredNumberScheduled, ds.Status.CurrentNumberScheduled = ds.Generation, 1, 1
	ds.Status.UpdatedNumberScheduled, ds.Status.NumberReady, ds.Status.NumberAvailable = 1, 1, 1
	if _, err := dss.UpdateStatus(ctx, ds, metav1.UpdateOptions{}); err != nil {
		o.t.Fatal(err)
	}
	n, err := o.c.Typed.CoreV1().Nodes().Get(ctx, o.node, metav1.GetOptions{})
	if err != nil {
		o.t.Fatal(err)
	}
	q := *resource.NewQuantity(limit, resource.DecimalSI)
	n.Status.Capacity = corev1.ResourceList{readiness.ExtendedResource: q}
	n.Status.Allocatable = corev1.ResourceList{readiness.ExtendedResource: q}
	if _, err := o.c.Typed.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		o.t.Fatal(err)
	}
}

// webhook creates the peer-pods webhook as the operator does
// (controllers/ppwebhook.go, createMutatingWebhookConfig and
// createMutatingWebhookDeployment): the configuration calling its
// Service, with the CA bundle the service CA operator injects, and the
// Deployment with one replica available as the Deployment controller
// writes it. The webhook's object selector matches no object: the e2e API
// server has no Service to call.
func (o operatorWrites) webhook() {
	o.t.Helper()
	ctx := o.t.Context()
	fail, none := admissionv1.Fail, admissionv1.SideEffectClassNone
	path := "/mutate-v1-pod"
	cfgs := o.c.Typed.AdmissionregistrationV1().MutatingWebhookConfigurations()
	if _, err := cfgs.Create(ctx, &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: contract.WebhookConfig},
		Webhooks: []admissionv1.MutatingWebhook{{
			Name: contract.WebhookName, FailurePolicy: &fail, SideEffects: &none, AdmissionReviewVersions: []string{"v1"},
			ClientConfig: admissionv1.WebhookClientConfig{CABundle: []byte("injected"),
				Service: &admissionv1.ServiceReference{Namespace: contract.Namespace, Name: contract.WebhookService, Path: &path}},
			ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"peerpods-e2e/never": "true"}},
			Rules: []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create},
				Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
		}},
	}, metav1.CreateOptions{FieldManager: "sandboxed-containers-operator"}); err != nil {
		o.t.Fatal(err)
	}
	o.t.Cleanup(func() { _ = cfgs.Delete(context.Background(), contract.WebhookConfig, metav1.DeleteOptions{}) })
	labels := map[string]string{"app": contract.WebhookDeployment}
	deps := o.c.Typed.AppsV1().Deployments(contract.Namespace)
	d, err := deps.Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: contract.WebhookDeployment, Labels: labels},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: contract.WebhookDeployment, Image: "peer-pods-webhook",
				Env: []corev1.EnvVar{{Name: "TARGET_RUNTIMECLASS", Value: contract.RuntimeClass}}}}}}},
	}, metav1.CreateOptions{FieldManager: "sandboxed-containers-operator"})
	if err != nil {
		o.t.Fatal(err)
	}
	o.t.Cleanup(func() { _ = deps.Delete(context.Background(), contract.WebhookDeployment, metav1.DeleteOptions{}) })
	d.Status.ObservedGeneration, d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas = d.Generation, 1, 1, 1, 1
	if _, err := deps.UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		o.t.Fatal(err)
	}
}

// TestEngineUpFollows: a cluster-mode up follows the operator on the real
// engine, pulumi-kubernetes plugin and kube-apiserver, the statuses
// written by the test as the operator, the DaemonSet controller and the
// kubelet would (operatorWrites): progress on stderr as each fact
// changes (the KataConfig without status, installing with the operator's
// message, installed), then one ok line per fact and exit 0; a container
// of cloud-api-adaptor in CrashLoopBackOff fails the next up at once
// (exit 1), naming the pod, the field and the fix; --no-wait does not
// follow.
func TestEngineUpFollows(t *testing.T) {
	t.Parallel()
	c := kubetest.Client(t)
	ctx := t.Context()
	h, kata := newClusterHarness(t, "libvirt-follow-e2e", kubetest.RoleSmoke)
	h.noWait = false
	o := operatorWrites{t: t, c: c, kata: kata, node: kata + "-w0"}

	// What the operator made before: its namespace, osc-caa-ds, the
	// runtime class; and a kata node.
	if _, err := c.Typed.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: contract.Namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	dss := c.Typed.AppsV1().DaemonSets(contract.Namespace)
	if _, err := dss.Create(ctx, caaDaemonSet(), metav1.CreateOptions{FieldManager: "sandboxed-containers-operator"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dss.Delete(context.Background(), contract.CAADaemonSet, metav1.DeleteOptions{}) })
	if _, err := c.Typed.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: contract.RuntimeClass}, Handler: contract.RuntimeClass}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	nodes := c.Typed.CoreV1().Nodes()
	if _, err := nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: o.node}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nodes.Delete(context.Background(), o.node, metav1.DeleteOptions{}) })
	t.Cleanup(func() { h.exec("pulumi", "destroy", "--yes", "--skip-preview", "--stack", h.stack) })

	// up, followed: each state written once the follow has shown the one
	// before, so the progress is certain, not a matter of timing.
	run := h.start("up")
	run.await("pending KataConfig " + kata + " status: 0 of 0 node(s) ready")
	o.kataConfig(map[string]any{"installing": []any{o.node}, "nodeCount": int64(1)}, "True", "Installing", "Performing kata installation")
	run.await("installing: " + o.node + "; in progress (Installing); message: Performing kata installation")
	o.kataConfig(map[string]any{"installed": []any{o.node}, "nodeCount": int64(1), "readyNodeCount": int64(1)}, "False", "Installed", "")
	o.rolledOut(10)
	out, code := run.wait()
	if code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	final := out[strings.LastIndex(out, "up of "+h.stack):]
	for _, want := range []string{
		"ok      KataConfig " + kata + " status: 1 of 1 node(s) ready; installed: " + o.node,
		"ok      DaemonSet " + contract.Namespace + "/" + contract.CAADaemonSet + " status: 1 of 1 node(s) updated, 1 ready",
		"ok      RuntimeClass kata-remote: present",
		`ok      Node status.allocatable["kata.peerpods.io/vm"]: 10 on ` + o.node,
	} {
		if !strings.Contains(final, want) {
			t.Errorf("the final report lacks %q:\n%s", want, final)
		}
	}

	// peerpods check: without the operator's webhook, it is pending (exit
	// 7); with it everything holds (exit 0), in JSON too; the libvirt side
	// connected to the e2e sshd with the handoff's key and known_hosts as
	// the cluster holds them.
	if out := h.peerpods(7, "check"); !strings.Contains(out, "pending MutatingWebhookConfiguration "+contract.WebhookConfig+" webhooks["+contract.WebhookName+"]: not created yet") {
		t.Errorf("check without the webhook:\n%s", out)
	}
	o.webhook()
	out = h.peerpods(0, "check")
	for _, want := range []string{
		"ok      ConfigMap " + contract.Namespace + "/peer-pods-cm data: ",
		"ok      Secret " + contract.Namespace + "/peer-pods-secret data: ",
		"ok      Secret " + contract.Namespace + "/ssh-key-secret data: ",
		"every key operator line 1.13 requires for libvirt is set and valid",
		"ok      KataConfig " + kata, "ok      RuntimeClass kata-remote",
		"ok      MutatingWebhookConfiguration " + contract.WebhookConfig + " webhooks[" + contract.WebhookName + "]: calls Service " + contract.Namespace + "/" + contract.WebhookService + "; 1 of 1 replica(s)",
		"ok      libvirt qemu+ssh://", "connected with the handoff's key and known_hosts; pool and volume found",
		// as cloud-api-adaptor connects: virsh, libvirt's ssh transport,
		// OpenSSH (cmd/peerpods/checkssh.go)
		"(virsh over libvirt's qemu+ssh transport (OpenSSH), as cloud-api-adaptor connects)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check lacks %q:\n%s", want, out)
		}
	}
	var report struct {
		OK    bool `json:"ok"`
		Facts []struct {
			Name, State string
		} `json:"facts"`
	}
	if err := json.Unmarshal([]byte(jsonPart(h.peerpods(0, "check", "--json"))), &report); err != nil || !report.OK || len(report.Facts) != 10 {
		t.Errorf("check --json: %v %+v", err, report)
	}

	// check --smoke: the test plays the kubelet (the pod runs) and
	// cloud-api-adaptor (a PeerPod and a domain named as its libvirt
	// provider names them appear, and go when the pod is deleted).
	kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/caa-crds/confidentialcontainers.org_peerpods.yaml"))
	smokeRun := h.start("check", "--smoke", "--smoke-timeout", "2m")
	line := smokeRun.await("smoke: created Pod " + smoke.NamespacePrefix)
	smokeNS := strings.SplitN(strings.SplitN(line, "created Pod ", 2)[1], "/", 2)[0]
	smokePods := c.Typed.CoreV1().Pods(smokeNS)
	sp, err := smokePods.Get(ctx, smoke.PodName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Spec.RuntimeClassName == nil || *sp.Spec.RuntimeClassName != contract.RuntimeClass {
		t.Errorf("the smoke pod's runtime class: %v", sp.Spec.RuntimeClassName)
	}
	domain := "podvm-" + smoke.PodName + "-0a1b2c3d"
	peerPods := c.Dynamic.Resource(k8scluster.PeerPods).Namespace(smokeNS)
	if _, err := peerPods.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "confidentialcontainers.org/v1alpha1", "kind": "PeerPod",
		"metadata": map[string]any{"name": smoke.PodName + "-resource-x1", "ownerReferences": []any{map[string]any{
			"apiVersion": "v1", "kind": "Pod", "name": smoke.PodName, "uid": string(sp.UID), "controller": true}}},
		"spec": map[string]any{"instanceID": "17", "cloudProvider": "libvirt"},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	root, iso := caatest.PodVM(t, h.lv, h.pool, domain, "")
	// Running last: the smoke test looks for the pod VM once it runs.
	sp.Status.Phase = corev1.PodRunning
	if _, err := smokePods.UpdateStatus(ctx, sp, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	smokeRun.await("ok      PeerPod " + smokeNS + "/* spec.instanceID: instance 17; libvirt domain " + domain)
	smokeRun.await("smoke: deleted Pod " + smokeNS + "/" + smoke.PodName)
	if d, err := h.lv.DomainLookupByName(domain); err == nil {
		if err := h.lv.DomainUndefine(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{root, iso} {
		if v, err := h.lv.StorageVolLookupByPath(path); err == nil {
			_ = h.lv.StorageVolDelete(v, 0)
		}
	}
	if err := peerPods.Delete(ctx, smoke.PodName+"-resource-x1", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	out, code = smokeRun.wait()
	if code != 0 || !strings.Contains(out, "ok      Namespace "+smokeNS+": the pod deleted, its pod VM gone (no leak), the namespace removed") {
		t.Errorf("check --smoke: exit %d\n%s", code, out)
	}
	if _, err := c.Typed.CoreV1().Namespaces().Get(ctx, smokeNS, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the smoke namespace is left: %v", err)
	}

	// Changed by hand: a value of peer-pods-cm, the known_hosts of
	// ssh-key-secret; then the operator's env overriding a key with a bad
	// value. Each is named, and check exits 7.
	cms := c.Typed.CoreV1().ConfigMaps(contract.Namespace)
	if _, err := cms.Patch(ctx, contract.ConfigMapName, types.MergePatchType, []byte(`{"data":{"PEERPODS_LIMIT_PER_NODE":"3"}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	other := knownhosts.Line([]string{"[127.0.0.1]:2222"}, otherKey)
	if _, err := c.Typed.CoreV1().Secrets(contract.Namespace).Patch(ctx, contract.SSHKeySecretName, types.MergePatchType,
		[]byte(`{"stringData":{"known_hosts":"`+other+`"}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	out = h.peerpods(7, "check")
	for _, want := range []string{
		`failed  ConfigMap ` + contract.Namespace + `/peer-pods-cm data: drift (changed by hand?): PEERPODS_LIMIT_PER_NODE is "3", the stack wrote "10"`,
		"failed  Secret " + contract.Namespace + "/ssh-key-secret data: drift (changed by hand?): known_hosts changed",
		"failed  libvirt qemu+ssh://", "cloud-api-adaptor could not connect with the handoff's key and known_hosts",
		"not the pinned", "Host key verification failed", "(virsh over libvirt's qemu+ssh transport (OpenSSH)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check after hand edits lacks %q:\n%s", want, out)
		}
	}
	if _, err := dss.Patch(ctx, contract.CAADaemonSet, types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"caa-pod","env":[{"name":"PEERPODS_LIMIT_PER_NODE","value":"0"}]}]}}}}`),
		metav1.PatchOptions{FieldManager: "sandboxed-containers-operator"}); err != nil {
		t.Fatal(err)
	}
	if out := h.peerpods(7, "check"); !strings.Contains(out, "failed  DaemonSet "+contract.Namespace+"/"+contract.CAADaemonSet+" spec.template.spec.containers[caa-pod] envFrom and env: PEERPODS_LIMIT_PER_NODE ") {
		t.Errorf("check with the operator's env overriding a key lacks the env fact:\n%s", out)
	}

	// cloud-api-adaptor crashing: the next up fails at once and says why.
	if _, err := c.Typed.CoreV1().ServiceAccounts(contract.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	pods := c.Typed.CoreV1().Pods(contract.Namespace)
	pod, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: contract.CAADaemonSet + "-x1", Labels: map[string]string{"name": contract.CAADaemonSet}},
		Spec: corev1.PodSpec{NodeName: o.node, Containers: []corev1.Container{{Name: "caa-pod", Image: "registry.example/cloud-api-adaptor:1.13"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = pods.Delete(context.Background(), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	})
	pod.Status.Phase = corev1.PodRunning
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "caa-pod", Image: pod.Spec.Containers[0].Image, RestartCount: 5,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 2m40s restarting failed container=caa-pod"}}}}
	if _, err := pods.UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	out = h.peerpods(1, "up")
	for _, want := range []string{
		"failed  Pod " + contract.Namespace + "/" + pod.Name + " of DaemonSet " + contract.Namespace + "/" + contract.CAADaemonSet + " status.containerStatuses[0].state.waiting: container caa-pod waiting: CrashLoopBackOff (restarted 5 times)",
		"message: back-off 2m40s", "oc logs -n " + contract.Namespace + " " + pod.Name + " -c caa-pod --previous",
		"peer pods do not work yet: a fact above failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("an up with cloud-api-adaptor crashing lacks %q:\n%s", want, out)
		}
	}
	h.noWait = true
	if out := h.peerpods(0, "up"); strings.Contains(out, "following the operator") {
		t.Errorf("up --no-wait followed:\n%s", out)
	}
}
