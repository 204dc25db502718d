//go:build e2e

package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
)

// yamlProgram is a Pulumi YAML program (runtime yaml) that uses the
// plugin's libvirt component against the test libvirtd: the provider is
// declared in YAML and passed as a provider reference, the offline token
// is a secret input, declared in the program's configuration: section
// (what the YAML hosts from v1.19.1 to v1.32.0 under the CLI v3.250.0
// read; v1.19.1 did not see the project-level config: section).
const yamlProgram = `name: peerpods-yaml
runtime: yaml
stackConfigDir: stacks
plugins:
  providers:
    - name: peerpods
      path: ./bin
configuration:
  token:
    type: String
    secret: true
resources:
  peerpods:
    type: pulumi:providers:peerpods
  podvms:
    type: peerpods:libvirt:PeerPods
    properties:
      uri: %URI%
      pool: %POOL%
      dir: %DIR%
      image: %IMAGE%
      redhatOfflineToken: ${token}
      settings:
        limitPerNode: 4
    options:
      providers:
        - ${peerpods}
outputs:
  cloud: ${podvms.cloud}
  configMap: ${podvms.configMap}
  secret: ${podvms.secret}
`

// TestEngineYAMLComponent: the libvirt component, served by the plugin as
// a component resource, used from a Pulumi YAML program on the real
// engine (the YAML language host built from pulumi-yaml's source): up
// creates the pool and the volume in the test libvirtd with the values
// as outputs, a second up changes nothing, destroy removes them; the
// secret input stays secret in the state.
func TestEngineYAMLComponent(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pulumi-language-yaml"); err != nil {
		t.Fatalf("the YAML language host is not on PATH (make e2e builds it with make yaml): %v", err)
	}
	h := newHarness(t, "yaml-e2e", func(h *harness, root, tmp string) string {
		image := filepath.Join(tmp, "podvm.qcow2")
		h.run("qemu-img", "create", "-q", "-f", "qcow2", image, "64M")
		program := strings.NewReplacer(
			"%URI%", quote(e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")), "%POOL%", h.pool,
			"%DIR%", quote(h.poolDir), "%IMAGE%", quote(image),
		).Replace(yamlProgram)
		if err := os.WriteFile(filepath.Join(h.dir, "Pulumi.yaml"), []byte(program), 0o644); err != nil {
			t.Fatal(err)
		}
		return "config: {}\n"
	})
	token := "offline-token-" + randomHex(t, 12)
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "token", token, "--stack", h.stack)
	t.Cleanup(func() {
		if h.poolExists() {
			h.exec("pulumi", "destroy", "--yes", "--stack", h.stack)
		}
	})

	preview := h.run("pulumi", "preview", "--stack", h.stack, "--diff")
	for _, want := range []string{"peerpods:libvirt:PeerPods", "peerpods:libvirt:StoragePool", "peerpods:libvirt:StorageVolume"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview shows no %s:\n%s", want, preview)
		}
	}
	if h.poolExists() {
		t.Fatal("preview created the pool")
	}

	h.run("pulumi", "up", "--yes", "--skip-preview", "--stack", h.stack)
	if !h.poolExists() || !h.volume("podvm-base.qcow2") {
		t.Fatalf("after up: pool %v, volume %v", h.poolExists(), h.volume("podvm-base.qcow2"))
	}
	var outs map[string]any
	if err := json.Unmarshal([]byte(h.run("pulumi", "stack", "output", "--json", "--show-secrets", "--stack", h.stack)), &outs); err != nil {
		t.Fatal(err)
	}
	cm, _ := outs["configMap"].(map[string]any)
	for k, v := range map[string]any{"LIBVIRT_POOL": h.pool, "LIBVIRT_DIR_NAME": h.poolDir, "PEERPODS_LIMIT_PER_NODE": "4", "PROXY_TIMEOUT": "15m"} {
		if cm[k] != v {
			t.Errorf("configMap %s = %v, want %v", k, cm[k], v)
		}
	}
	if sec, _ := outs["secret"].(map[string]any); sec["REDHAT_OFFLINE_TOKEN"] != token || outs["cloud"] != "libvirt" {
		t.Errorf("outputs: cloud %v, secret %v", outs["cloud"], outs["secret"])
	}
	plain := h.run("pulumi", "stack", "output", "--json", "--stack", h.stack)
	state := h.run("pulumi", "stack", "export", "--stack", h.stack)
	for what, text := range map[string]string{"stack output": plain, "state": state} {
		if strings.Contains(text, token) {
			t.Errorf("the %s holds the token in plain text", what)
		}
	}

	up := h.run("pulumi", "up", "--yes", "--skip-preview", "--stack", h.stack)
	if !strings.Contains(up, " unchanged") || strings.Contains(up, " created") || strings.Contains(up, " updated") || strings.Contains(up, " replaced") || strings.Contains(up, " deleted") {
		t.Errorf("second up changed something:\n%s", up)
	}

	h.run("pulumi", "destroy", "--yes", "--skip-preview", "--stack", h.stack)
	if h.poolExists() {
		t.Error("destroy left the pool")
	}
}
