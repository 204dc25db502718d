//go:build e2e

package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// upgradeProgram hands Azure values to the plugin's ClusterHandoff from a
// Pulumi YAML program, written for the operator line %LINE%, with the
// real pulumi-kubernetes provider (writeUpgradeProgram). The line is a
// literal of the program, not a config value: the YAML host v1.32.0 under
// the CLI v3.250.0 passes the config value "1.10" on as the number 1.1,
// even declared type string and set with --type string (v1.19.1 passed
// the string), and the handoff rightly refuses a number.
const upgradeProgram = `name: peerpods-upgrade
runtime: yaml
stackConfigDir: stacks
plugins:
  providers:
    - name: peerpods
      path: ./bin
config:
  kubeconfig:
    type: string
    secret: true
resources:
  k8s:
    type: pulumi:providers:kubernetes
    properties:
      kubeconfig: ${kubeconfig}
      enableConfigMapMutable: true
      enableSecretMutable: true
  handoff:
    type: peerpods:components:ClusterHandoff
    properties:
      cloud: azure
      identity: static
      operatorLine: "%LINE%"
      configMap:
        CLOUD_PROVIDER: azure
        AZURE_REGION: eastus
        AZURE_RESOURCE_GROUP: mycluster-rg
        AZURE_SUBNET_ID: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mycluster-rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s
        VXLAN_PORT: "9000"
      secret:
        AZURE_CLIENT_ID: 22222222-0000-4000-8000-000000000001
        AZURE_CLIENT_SECRET: not-a-real-secret
        AZURE_TENANT_ID: 22222222-0000-4000-8000-000000000002
        AZURE_SUBSCRIPTION_ID: 00000000-0000-0000-0000-000000000000
      sshKeySecret:
        id_rsa: not-a-real-key
        id_rsa.pub: ssh-rsa AAAAB3NzaC1yc2E
    options:
      providers:
        - ${k8s}
`

// writeUpgradeProgram writes upgradeProgram for the operator line line
// as dir's Pulumi.yaml.
func writeUpgradeProgram(t *testing.T, dir, line string) {
	t.Helper()
	program := strings.Replace(upgradeProgram, "%LINE%", line, 1)
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setUpgradeLine sets the operator line of the upgradeProgram in dir's
// Pulumi.yaml to line, keeping what the harness added to the file (the
// plugins' paths).
func setUpgradeLine(t *testing.T, dir, line string) {
	t.Helper()
	path := filepath.Join(dir, "Pulumi.yaml")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^(\s+operatorLine: )"[^"]*"$`)
	if !re.Match(src) {
		t.Fatalf("%s has no operatorLine", path)
	}
	if err := os.WriteFile(path, re.ReplaceAll(src, []byte(`${1}"`+line+`"`)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// previewStep is one step of pulumi preview --json.
type previewStep struct {
	Op  string `json:"op"`
	URN string `json:"urn"`
}

// TestEngineOperatorUpgrade: a stack applied for operator line 1.10 and
// then run for 1.12 (as after an operator upgrade) shows in its preview
// exactly what the new line needs, on the engine with the real
// pulumi-kubernetes plugin: Azure's cloud-api-adaptor reads no
// ssh-key-secret from 1.11, so its one change is the deletion of that
// Secret, nothing replaced or updated; up applies it and leaves the other
// objects untouched (same resourceVersion).
func TestEngineOperatorUpgrade(t *testing.T) {
	if _, err := exec.LookPath("pulumi-language-yaml"); err != nil {
		t.Fatalf("the YAML language host is not on PATH (make e2e builds it with make yaml): %v", err)
	}
	c := kubetest.Client(t)
	ctx := t.Context()
	h := newHarness(t, "upgrade-e2e", func(h *harness, root, tmp string) string {
		writeUpgradeProgram(t, h.dir, "1.10")
		return "config: {}\n"
	})
	h.useKubernetesProvider()
	// The objects' names are the operator's: one cluster test at a time.
	remoteHostMu.Lock()
	t.Cleanup(remoteHostMu.Unlock)
	kubeconfig := kubetest.ServiceAccountKubeconfig(t, kubetest.Grant{Roles: []string{kubetest.RolePeerpods, kubetest.RoleDiscovery}})
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "kubeconfig", kubeconfig, "--stack", h.stack)
	t.Cleanup(func() { h.exec("pulumi", "destroy", "--yes", "--skip-preview", "--stack", h.stack) })

	h.run("pulumi", "up", "--yes", "--skip-preview", "--stack", h.stack)
	secrets := c.Typed.CoreV1().Secrets(contract.Namespace)
	if _, err := secrets.Get(ctx, contract.SSHKeySecretName, metav1.GetOptions{}); err != nil {
		t.Fatalf("line 1.10: ssh-key-secret not written: %v", err)
	}
	cm, err := c.Typed.CoreV1().ConfigMaps(contract.Namespace).Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := secrets.Get(ctx, contract.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	setUpgradeLine(t, h.dir, "1.12")
	var preview struct {
		Steps []previewStep `json:"steps"`
	}
	out := h.run("pulumi", "preview", "--json", "--stack", h.stack)
	if err := json.Unmarshal([]byte(out), &preview); err != nil {
		t.Fatalf("preview --json: %v\n%s", err, out)
	}
	var changes []string
	for _, s := range preview.Steps {
		if s.Op != "same" {
			changes = append(changes, s.Op+" "+s.URN[strings.LastIndex(s.URN, "::")+2:])
		}
	}
	slices.Sort(changes)
	if want := []string{"delete handoff-ssh-key-secret"}; !slices.Equal(changes, want) {
		t.Errorf("preview of the upgrade: %v, want %v", changes, want)
	}

	h.run("pulumi", "up", "--yes", "--skip-preview", "--stack", h.stack)
	if _, err := secrets.Get(ctx, contract.SSHKeySecretName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("line 1.12: ssh-key-secret still there (%v)", err)
	}
	cm2, err := c.Typed.CoreV1().ConfigMaps(contract.Namespace).Get(ctx, contract.ConfigMapName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secret2, err := secrets.Get(ctx, contract.SecretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm2.ResourceVersion != cm.ResourceVersion || secret2.ResourceVersion != secret.ResourceVersion {
		t.Errorf("the upgrade rewrote peer-pods-cm (%s -> %s) or peer-pods-secret (%s -> %s)", cm.ResourceVersion, cm2.ResourceVersion, secret.ResourceVersion, secret2.ResourceVersion)
	}
}
