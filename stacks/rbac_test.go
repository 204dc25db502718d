package stacks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/stacktest"
)

// TestDocsGiveTheRoles: docs/identity.md shows stacks/rbac.yaml as it is,
// the roles the e2e tests bind (tests/testkit/kubetest.ServiceAccountKubeconfig).
func TestDocsGiveTheRoles(t *testing.T) {
	dir := stacktest.StacksDir(t)
	rbac, err := os.ReadFile(filepath.Join(dir, "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "..", "docs", "identity.md"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- BEGIN stacks/rbac.yaml -->\n```yaml\n", "```\n<!-- END stacks/rbac.yaml -->"
	_, rest, ok := strings.Cut(string(readme), begin)
	block, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("docs/identity.md has no %q ... %q block", begin, end)
	}
	if block != string(rbac) {
		t.Error("docs/identity.md's roles differ from stacks/rbac.yaml: copy the file into its block")
	}
}
