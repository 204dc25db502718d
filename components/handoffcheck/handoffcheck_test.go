package handoffcheck_test

import (
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoffcheck"
	"github.com/peerpods/provisioner/components/readiness"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

const secretValue = "s3cr3t-value-never-shown"

func cm(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.ConfigMapName}, Data: data}
}

func secret(data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.SecretName}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// ds is osc-caa-ds shaped as the operator makes it: the Secret, then the
// ConfigMap (envFrom), and explicit env.
func ds(env ...corev1.EnvVar) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: contract.Namespace, Name: contract.CAADaemonSet},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "caa-pod",
			EnvFrom: []corev1.EnvFromSource{
				{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: contract.SecretName}}},
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: contract.ConfigMapName}}},
			},
			Env: env}}}}}}
}

func clients(objs ...runtime.Object) cluster.Clients {
	k := kubefake.NewClientset(objs...)
	return cluster.Clients{Kube: k, Discovery: k.Discovery()}
}

var (
	cmData = map[string]string{contract.KeyCloudProvider: "libvirt", contract.KeyLibvirtPool: "pp", contract.KeyLibvirtVolName: "vol", contract.KeyLibvirtDirName: "/var/lib/pp",
		contract.KeyPeerPodsLimitPerNode: "10"}
	secretData = map[string]string{contract.KeyCloudProvider: "libvirt", contract.KeyLibvirtURI: "qemu+ssh://root@kvm/system", contract.KeyLibvirtPool: "pp", contract.KeyLibvirtVolName: "vol", "TOKENISH": secretValue}
	handoff    = handoffcheck.Handoff{Cloud: contract.Libvirt, Line: contract.Line112, Objects: []handoffcheck.Object{
		{Name: contract.ConfigMapName, Data: cmData},
		{Name: contract.SecretName, Secret: true, Data: secretData},
		{Name: contract.SSHKeySecretName, Secret: true, Data: map[string]string{"id_rsa": secretValue}},
	}}
)

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range m {
		out[a] = b
	}
	if v == "" {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// TestObjects: objects as the stack wrote them are ok (a key the operator
// writes itself is no drift); a missing object, a removed, changed or
// added key is drift of that object, a Secret's values never shown.
func TestObjects(t *testing.T) {
	for name, tc := range map[string]struct {
		objs []runtime.Object
		want []string
	}{
		"as written": {[]runtime.Object{cm(with(cmData, contract.KeyDisableCVM, "true")), secret(secretData)},
			[]string{"ok", "ok", "failed missing"}},
		"changed by hand": {[]runtime.Object{cm(with(with(cmData, contract.KeyPeerPodsLimitPerNode, "3"), "EXTRA", "x")), secret(with(secretData, "TOKENISH", "other"))},
			[]string{`failed drift (changed by hand?): PEERPODS_LIMIT_PER_NODE is "3", the stack wrote "10"; EXTRA added`, "failed drift (changed by hand?): TOKENISH changed", "failed missing"}},
		"long value": {[]runtime.Object{cm(with(cmData, contract.KeyLibvirtDirName, "/"+strings.Repeat("x", 100))), secret(secretData)},
			[]string{`LIBVIRT_DIR_NAME is "/` + strings.Repeat("x", 56) + `...", the stack wrote "/var/lib/pp"`, "ok", "failed missing"}},
		"removed": {[]runtime.Object{cm(with(cmData, contract.KeyLibvirtPool, "")), secret(nil)},
			[]string{"LIBVIRT_POOL removed", "CLOUD_PROVIDER removed", "missing"}},
	} {
		t.Run(name, func(t *testing.T) {
			facts, err := handoffcheck.Objects(t.Context(), clients(tc.objs...), handoff)
			if err != nil || len(facts) != 3 {
				t.Fatalf("%v %+v", err, facts)
			}
			for i, f := range facts {
				line := string(f.State) + " " + f.Detail
				if !strings.Contains(line, tc.want[i]) {
					t.Errorf("%s: %q, want %q", f.Object, line, tc.want[i])
				}
				if strings.Contains(f.Line(), secretValue) || strings.Contains(f.Line(), "other") {
					t.Errorf("a secret value in %q", f.Line())
				}
			}
		})
	}
}

// TestEnvFact: the environment is envFrom in order (the ConfigMap after
// the Secret wins) and the explicit env over both; every required key of
// the line set and valid is ok; a missing required key, an invalid value
// (the operator's env overriding a good one), a missing envFrom object
// fail; no DaemonSet is pending.
func TestEnvFact(t *testing.T) {
	ctx := t.Context()
	good := []runtime.Object{cm(cmData), secret(secretData)}
	f, err := handoffcheck.EnvFact(ctx, clients(append(good, ds(corev1.EnvVar{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}))...), contract.Libvirt, contract.Line112)
	if err != nil || f.State != readiness.OK || !strings.Contains(f.Detail, "every key operator line 1.12 requires for libvirt is set and valid") {
		t.Fatalf("%v %+v", err, f)
	}
	env, _, _, _ := handoffcheck.CAAEnv(ctx, clients(cm(with(cmData, contract.KeyLibvirtPool, "from-cm")), secret(secretData), ds()))
	if env[contract.KeyLibvirtPool] != "from-cm" {
		t.Errorf("the ConfigMap does not win over the Secret: %q", env[contract.KeyLibvirtPool])
	}
	for name, tc := range map[string]struct {
		objs []runtime.Object
		want string
	}{
		"required key missing": {[]runtime.Object{cm(with(cmData, contract.KeyLibvirtDirName, "")), secret(secretData), ds()}, "LIBVIRT_DIR_NAME is not set: required (operator)"},
		"operator env invalid": {append(good, ds(corev1.EnvVar{Name: contract.KeyPeerPodsLimitPerNode, Value: "many"})), "PEERPODS_LIMIT_PER_NODE "},
		"env from a missing key": {append(good, ds(corev1.EnvVar{Name: contract.KeyLibvirtURI, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: contract.SecretName}, Key: "NOPE"}}})), "LIBVIRT_URI is not set"},
		"no secret": {[]runtime.Object{cm(cmData), ds()}, "envFrom peer-pods-secret does not exist"},
	} {
		f, err := handoffcheck.EnvFact(ctx, clients(tc.objs...), contract.Libvirt, contract.Line112)
		if err != nil || f.State != readiness.Failed || !strings.Contains(f.Detail, tc.want) {
			t.Errorf("%s: %v %+v", name, err, f)
		}
		if strings.Contains(f.Line(), secretValue) {
			t.Errorf("%s: a secret value in %q", name, f.Line())
		}
	}
	if f, err := handoffcheck.EnvFact(ctx, clients(good...), contract.Libvirt, contract.Line112); err != nil || f.State != readiness.Pending {
		t.Errorf("no DaemonSet: %v %+v", err, f)
	}
}
