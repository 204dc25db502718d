//go:build e2e

package tests

import (
	"maps"
	"slices"
	"strings"
	"testing"

	ocp "github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// withoutVerb returns an edit of stacks/rbac.yaml's roles (kubetest.Grant)
// that takes verb away from resource in the role named role, and from no
// other resource of its rules.
func withoutVerb(t *testing.T, role, resource, verb string) func(*unstructured.Unstructured) {
	found := false
	t.Cleanup(func() {
		if !found {
			t.Errorf("stacks/rbac.yaml's %s grants no %s on %s: the test proves nothing", role, verb, resource)
		}
	})
	return func(r *unstructured.Unstructured) {
		if r.GetName() != role {
			return
		}
		rules, _, _ := unstructured.NestedSlice(r.Object, "rules")
		var kept []any
		for _, x := range rules {
			rule := x.(map[string]any)
			res, _, _ := unstructured.NestedStringSlice(rule, "resources")
			verbs, _, _ := unstructured.NestedStringSlice(rule, "verbs")
			if !slices.Contains(res, resource) || !slices.Contains(verbs, verb) {
				kept = append(kept, rule)
				continue
			}
			found = true
			// The other resources of the rule keep every verb.
			if others := slices.DeleteFunc(slices.Clone(res), func(x string) bool { return x == resource }); len(others) > 0 {
				o := maps.Clone(rule)
				_ = unstructured.SetNestedStringSlice(o, others, "resources")
				kept = append(kept, o)
			}
			if verbs = slices.DeleteFunc(verbs, func(v string) bool { return v == verb }); len(verbs) > 0 {
				one := maps.Clone(rule)
				_ = unstructured.SetNestedStringSlice(one, []string{resource}, "resources")
				_ = unstructured.SetNestedStringSlice(one, verbs, "verbs")
				kept = append(kept, one)
			}
		}
		_ = unstructured.SetNestedSlice(r.Object, kept, "rules")
	}
}

// TestRBACMissingVerb: stacks/rbac.yaml is what the program needs, verb by
// verb, on kube-apiserver with RBAC authorization: the discovery, handoff
// and node-taint tests run as a ServiceAccount bound to it and pass; here,
// one verb taken away fails with the API server's error naming the verb
// and the resource: discovery without get on infrastructures, and the
// handoff on the real engine and pulumi-kubernetes without create on
// configmaps (a YAML program of the plugin's ClusterHandoff).
func TestRBACMissingVerb(t *testing.T) {
	t.Parallel()
	kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_infrastructures.yaml"),
		kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_authentications.yaml"))
	kubeconfig := kubetest.ServiceAccountKubeconfig(t, kubetest.Grant{
		Roles: []string{kubetest.RolePeerpods, kubetest.RoleDiscovery},
		Edit:  withoutVerb(t, kubetest.RolePeerpods, "infrastructures", "get"),
	})
	clients, err := ocp.Connect([]byte(kubeconfig), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ocp.Read(t.Context(), clients)
	if err == nil || !strings.Contains(err.Error(), `cannot get resource "infrastructures" in API group "config.openshift.io"`) {
		t.Errorf("discovery without get on infrastructures: %v", err)
	}

	// The handoff: the plugin's ClusterHandoff from a YAML program (the
	// upgrade test's), with the real pulumi-kubernetes provider.
	h := newHarness(t, "rbac-e2e", func(h *harness, root, tmp string) string {
		writeUpgradeProgram(t, h.dir, "1.12")
		return "config: {}\n"
	})
	h.useKubernetesProvider()
	remoteHostMu.Lock() // the objects' names are the operator's
	t.Cleanup(remoteHostMu.Unlock)
	kubeconfig = kubetest.ServiceAccountKubeconfig(t, kubetest.Grant{
		Roles: []string{kubetest.RolePeerpods},
		Edit:  withoutVerb(t, kubetest.RolePeerpods, "configmaps", "create"),
	})
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "kubeconfig", kubeconfig, "--stack", h.stack)
	// What the failed up made goes (as the same ServiceAccount, which may
	// delete): the next cluster test finds the operator's namespace clean.
	t.Cleanup(func() { h.exec("pulumi", "destroy", "--yes", "--skip-preview", "--stack", h.stack) })
	out, code := h.exec("pulumi", "up", "--yes", "--skip-preview", "--stack", h.stack)
	if code == 0 || !strings.Contains(out, `cannot create resource "configmaps" in API group "" in the namespace "`+contract.Namespace+`"`) {
		t.Errorf("up without create on configmaps (exit %d) does not name the verb:\n%s", code, out)
	}
}
