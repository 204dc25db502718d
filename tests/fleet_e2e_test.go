//go:build e2e

package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/cmd/peerpods/fleet"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// strictDryRun validates without storing: the API server runs the
// schema, defaulting and admission of a create and refuses unknown or
// duplicate fields.
var strictDryRun = metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}

// TestFleetManifestsDryRun: every manifest peerpods fleet render makes of
// the two-cluster example (cmd/peerpods/fleet/testdata/clusters.yaml)
// passes a strict server-side dry-run create against PKO v2.9.0's own
// CRDs (tests/testdata/pko); the same schemas refuse a misspelt Stack
// field, a resource option PKO's Program does not declare
// (pluginDownloadURL, which is why the plugin's URL goes to the
// workspace's environment) and the list form of the providers option
// (which is why the handoff takes provider), so the check can fail. PKO itself does not
// run here: its workspaces are pods, and this API server has no kubelet.
func TestFleetManifestsDryRun(t *testing.T) {
	crds, err := filepath.Glob(kubetest.RepoFile(t, "tests/testdata/pko/*.yaml"))
	if err != nil || len(crds) != 4 {
		t.Fatalf("PKO's CRDs under tests/testdata/pko: %v %v", crds, err)
	}
	kubetest.InstallCRDs(t, crds...)
	c := kubetest.Client(t)

	data, err := os.ReadFile(kubetest.RepoFile(t, "cmd/peerpods/fleet/testdata/clusters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	f.Namespace = kubetest.UniqueNamespace(t, "ppe2e-fleet")
	rendered, err := fleet.YAML(fleet.Render(f))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kubetest.DecodeYAML(rendered)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	create := func(o *unstructured.Unstructured) error {
		ri, err := c.Resource(o)
		if err != nil {
			return err
		}
		_, err = ri.Create(t.Context(), o, strictDryRun)
		return err
	}
	for _, o := range objs {
		kinds[o.GetKind()]++
		if err := create(o); err != nil {
			t.Errorf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	if kinds["Program"] != 2 || kinds["Stack"] != 2 || kinds["ServiceAccount"] != 1 || kinds["ClusterRoleBinding"] != 1 {
		t.Errorf("rendered %v; want 2 Programs, 2 Stacks, a ServiceAccount and its ClusterRoleBinding", kinds)
	}

	// The controls: what PKO's schema does not declare is refused.
	byKind := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		byKind[o.GetKind()] = o
	}
	stack := byKind["Stack"].DeepCopy()
	if err := unstructured.SetNestedField(stack.Object, "peerpods-fleet", "spec", "serviceAccount"); err != nil {
		t.Fatal(err)
	}
	if err := create(stack); err == nil || !strings.Contains(err.Error(), `unknown field "spec.serviceAccount"`) {
		t.Errorf("Stack with spec.serviceAccount: %v; want unknown field", err)
	}
	program := byKind["Program"].DeepCopy()
	if err := unstructured.SetNestedField(program.Object, "https://downloads.example.com", "program", "resources", "podvms", "options", "pluginDownloadURL"); err != nil {
		t.Fatal(err)
	}
	if err := create(program); err == nil || !strings.Contains(err.Error(), `unknown field "program.resources.podvms.options.pluginDownloadURL"`) {
		t.Errorf("Program with the pluginDownloadURL option: %v; want unknown field", err)
	}
	program = byKind["Program"].DeepCopy()
	if err := unstructured.SetNestedSlice(program.Object, []any{"${k8s}"}, "program", "resources", "handoff", "options", "providers"); err != nil {
		t.Fatal(err)
	}
	if err := create(program); err == nil || !strings.Contains(err.Error(), `program.resources.handoff.options.providers in body must be of type object`) {
		t.Errorf("Program with a list of providers: %v; want it refused (PKO declares a map)", err)
	}
}
