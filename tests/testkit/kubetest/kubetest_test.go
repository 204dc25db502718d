package kubetest

import (
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The fixtures are the operator's real CRDs (the kinds, scopes and versions
// it uses, structural schemas), not stand-ins the e2e tests would pass on
// whatever the operator's schema says.
func TestPeerPodsCRDs(t *testing.T) {
	want := map[string]string{
		"kataconfigs.kataconfiguration.openshift.io": "KataConfig Cluster v1",
		"peerpodconfigs.confidentialcontainers.org":  "PeerPodConfig Namespaced v1alpha1",
	}
	files := PeerPodsCRDs(t)
	if len(files) != len(want) {
		t.Fatalf("CRD files %v, want %d", files, len(want))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := DecodeYAML(data)
		if err != nil || len(objs) != 1 {
			t.Fatalf("%s: %d objects, %v", f, len(objs), err)
		}
		crd := objs[0].Object
		kind, _, _ := unstructured.NestedString(crd, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(crd, "spec", "scope")
		versions, _, _ := unstructured.NestedSlice(crd, "spec", "versions")
		if len(versions) != 1 {
			t.Fatalf("%s: versions %v", f, versions)
		}
		v := versions[0].(map[string]any)
		if got := kind + " " + scope + " " + v["name"].(string); got != want[objs[0].GetName()] {
			t.Fatalf("%s: %s is %q, want %q", f, objs[0].GetName(), got, want[objs[0].GetName()])
		}
		// The real schemas: structural, nothing kept unvalidated.
		if strings.Contains(string(data), "x-kubernetes-preserve-unknown-fields") {
			t.Fatalf("%s: preserves unknown fields, like a stand-in", f)
		}
		if props, _, _ := unstructured.NestedMap(v, "schema", "openAPIV3Schema", "properties", "spec", "properties"); len(props) == 0 {
			t.Fatalf("%s: no spec properties", f)
		}
	}
}
