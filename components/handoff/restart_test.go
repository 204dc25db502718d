package handoff_test

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/values"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestPlanCAARestart: the decision per line and DaemonSet state. A line
// whose operator rolls cloud-api-adaptor, or a cluster without its
// DaemonSet, gets no patch; a rolling DaemonSet with no pod VMs is
// restarted (the data's hash); OnDelete or pods on pod VMs keep the live
// hash (no patch when there is none) and say why, naming the pods.
func TestPlanCAARestart(t *testing.T) {
	pods := []string{"apps/web", "db/pg"}
	for _, tc := range []struct {
		line  contract.Line
		state handoff.CAAState
		want  handoff.CAARestart
	}{
		{contract.Line110, handoff.CAAState{}, handoff.CAARestart{}},
		{contract.Line111, handoff.CAAState{Exists: true}, handoff.CAARestart{Patch: true}},
		{contract.Line112, handoff.CAAState{Exists: true, Hash: "h"}, handoff.CAARestart{Patch: true}},
		{contract.Line113, handoff.CAAState{Exists: true, Hash: "h"}, handoff.CAARestart{}},
		{contract.Line113, handoff.CAAState{Exists: true, OnDelete: true, PodVMs: pods}, handoff.CAARestart{}},
		{contract.Line110, handoff.CAAState{Exists: true, OnDelete: true, Hash: "h"},
			handoff.CAARestart{Patch: true, Hold: true, Hash: "h", Why: "its update strategy is OnDelete"}},
		{contract.Line111, handoff.CAAState{Exists: true, Hash: "h", PodVMs: pods},
			handoff.CAARestart{Patch: true, Hold: true, Hash: "h", Why: "pods run on pod VMs (runtime class kata-remote) and would lose them: apps/web, db/pg"}},
		{contract.Line112, handoff.CAAState{Exists: true, PodVMs: pods},
			handoff.CAARestart{Hold: true, Why: "pods run on pod VMs (runtime class kata-remote) and would lose them: apps/web, db/pg"}},
	} {
		if got := handoff.PlanCAARestart(tc.line, tc.state); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("line %s, %+v: %+v\nwant %+v", tc.line, tc.state, got, tc.want)
		}
	}
	w := handoff.CAARestart{Hold: true, Why: "its update strategy is OnDelete"}.Warning()
	for _, part := range []string{"osc-caa-ds", "OnDelete", "oc rollout restart ds/osc-caa-ds -n openshift-sandboxed-containers-operator"} {
		if !strings.Contains(w, part) {
			t.Errorf("warning %q lacks %q", w, part)
		}
	}
}

// withData are libvirt values with one map changed: cm, secret or ssh.
func withData(which, key, value string) values.Values {
	v := libvirtValues()
	m := map[string]pulumi.StringMap{"cm": v.ConfigMap, "secret": v.Secret, "ssh": v.SSHKey}
	if which != "" {
		changed := maps.Clone(m[which])
		if value == "" {
			delete(changed, key)
		} else {
			changed[key] = pulumi.String(value)
		}
		m[which] = changed
	}
	v.ConfigMap, v.Secret, v.SSHKey = m["cm"], m["secret"], m["ssh"]
	return v
}

// secretArgs are the Args of v and o with the Secrets' data secret
// outputs, as a program's secrets are.
func secretArgs(v values.Values, o handoff.Options) handoff.Args {
	a := handoff.NewArgs(v, o)
	a.Secret = pulumi.ToSecret(v.Secret).(pulumi.StringMapOutput)
	a.SSHKeySecret = pulumi.ToSecret(v.SSHKey).(pulumi.StringMapOutput)
	return a
}

// TestDataHash: the hash changes when, and only when, a key or a value of
// peer-pods-cm, peer-pods-secret or ssh-key-secret changes (a key moved
// from one object to another too), not with the other objects of the
// handoff; it is not a secret output although the Secrets are.
func TestDataHash(t *testing.T) {
	hash := func(v values.Values, o handoff.Options) (string, bool) {
		var out pulumi.StringOutput
		err := pulumitest.Run(&pulumitest.Mocks{}, pulumitest.Config{}, func(*pulumi.Context) error {
			out = handoff.DataHash(handoff.Objects(secretArgs(v, o)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		h, secret := pulumitest.Await(t, out)
		return h.(string), secret
	}
	base, secret := hash(withData("", "", ""), handoff.Options{})
	if secret || len(base) != 64 {
		t.Fatalf("hash %q secret %t", base, secret)
	}
	if again, _ := hash(withData("", "", ""), handoff.Options{KataConfig: &handoff.KataConfigOptions{}, Nodes: []handoff.NodePatch{{Name: "w", Labels: map[string]string{"a": "b"}}}}); again != base {
		t.Errorf("the KataConfig and node labels changed the hash")
	}
	seen := map[string]string{base: "unchanged"}
	for _, c := range [][3]string{
		{"cm", "PEERPODS_LIMIT_PER_NODE", "11"}, {"cm", "NEW_KEY", "x"}, {"cm", "LIBVIRT_NET", ""},
		{"secret", "LIBVIRT_URI", "qemu+ssh://root@other/system"}, {"secret", "NEW_KEY", "x"},
		{"ssh", "id_rsa", "OTHER"}, {"ssh", "NEW_KEY", "x"},
	} {
		h, _ := hash(withData(c[0], c[1], c[2]), handoff.Options{})
		name := fmt.Sprint(c)
		if prev, dup := seen[h]; dup {
			t.Errorf("%s: the hash of %s", name, prev)
		}
		seen[h] = name
	}
}

// TestClusterHandoffCAAPatch: with a restart planned, the handoff patches
// osc-caa-ds last (after every object, so the pods restart on the data
// written), owning only the pod template's hash annotation and the
// pulumi-kubernetes skip-await annotation; the hash is the data's, plain,
// and no secret value is among the patch's inputs. Held, the annotation is
// the live hash; no patch without a plan, or when held with no live hash.
func TestClusterHandoffCAAPatch(t *testing.T) {
	v := withData("", "", "")
	want := hashOf(t, v)
	for name, tc := range map[string]struct {
		plan *handoff.CAARestart
		hash string // "": no patch
	}{
		"none":          {nil, ""},
		"1.13":          {&handoff.CAARestart{}, ""},
		"restart":       {&handoff.CAARestart{Patch: true}, want},
		"held":          {&handoff.CAARestart{Patch: true, Hold: true, Hash: "live", Why: "OnDelete"}, "live"},
		"held, no hash": {&handoff.CAARestart{Hold: true, Why: "OnDelete"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			a := secretArgs(v, handoff.Options{})
			if tc.plan != nil {
				a = a.WithCAARestart(*tc.plan)
			}
			m, err := runHandoff(t, a, false)
			if err != nil {
				t.Fatal(err)
			}
			patches := m.OfType("kubernetes:apps/v1:DaemonSetPatch")
			if tc.hash == "" {
				if len(patches) != 0 {
					t.Fatalf("patches %v", patches)
				}
				return
			}
			if len(patches) != 1 {
				t.Fatalf("registered %v", m.Summary())
			}
			p := m.Get(t, "kubernetes:apps/v1:DaemonSetPatch", "handoff-"+contract.CAADaemonSet)
			wantInputs := map[string]any{
				"apiVersion": "apps/v1", "kind": "DaemonSet",
				"metadata": map[string]any{"name": contract.CAADaemonSet, "namespace": contract.Namespace,
					"annotations": map[string]any{handoff.SkipAwaitAnnotation: "true"}},
				"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"annotations": map[string]any{handoff.HashAnnotation: tc.hash}}}},
			}
			if p.Inputs.ContainsSecrets() || !reflect.DeepEqual(p.Inputs.Mappable(), wantInputs) {
				t.Errorf("patch inputs %v\nwant %v", p.Inputs, wantInputs)
			}
			for _, secret := range []string{"PRIVATE", "qemu+ssh", "cWVtdStzc2g", "UFJJVkFURQ"} {
				if strings.Contains(fmt.Sprint(p.Inputs), secret) {
					t.Errorf("the patch's inputs hold %q", secret)
				}
			}
			var others []string
			for _, r := range m.Resources() {
				if strings.HasPrefix(r.Type, "kubernetes:core/v1:") {
					others = append(others, r.URN)
				}
			}
			for _, o := range others {
				if !slices.Contains(p.Dependencies, o) {
					t.Errorf("the patch does not wait for %s", o)
				}
			}
		})
	}
}

// hashOf is DataHash of the handoff of v.
func hashOf(t *testing.T, v values.Values) string {
	t.Helper()
	var out pulumi.StringOutput
	if err := pulumitest.Run(&pulumitest.Mocks{}, pulumitest.Config{}, func(*pulumi.Context) error {
		out = handoff.DataHash(handoff.Objects(secretArgs(v, handoff.Options{})))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h, _ := pulumitest.Await(t, out)
	return h.(string)
}
