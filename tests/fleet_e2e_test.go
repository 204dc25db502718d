//go:build e2e

package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/cmd/peerpods/fleet"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
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
	t.Parallel()
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

// TestFleetProgramPreview: the Program rendered for a libvirt cluster on
// a remote KVM host (the e2e sshd, its password a nested secret input,
// host.password), run as the Pulumi YAML project PKO would make of it (the
// plugin from the project's bin/ instead of the download), previews on the
// real engine with its secret inputs set as PKO's secretsRef sets them
// (pulumi config set --secret): the component, its host access and pool,
// the handoff's objects on the cluster's
// Kubernetes provider (provider: reaches the component's children), the
// components on the program's peerpods provider (they take no default).
func TestFleetProgramPreview(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pulumi-language-yaml"); err != nil {
		t.Fatalf("the YAML language host is not on PATH (make e2e builds it with make yaml): %v", err)
	}
	kubeconfig, err := os.ReadFile(os.Getenv(kubetest.KubeconfigEnv))
	if err != nil {
		t.Fatal(err)
	}
	var program fleet.Object
	h := newHarness(t, "fleet-e2e", func(h *harness, root, tmp string) string {
		image := filepath.Join(tmp, "podvm.qcow2")
		h.run("qemu-img", "create", "-q", "-f", "qcow2", image, "64M")
		host, portText, _ := strings.Cut(e2eenv.Require(t, "PEERPODS_E2E_SSH_ADDR"), ":")
		port, err := strconv.Atoi(portText)
		if err != nil {
			t.Fatalf("PEERPODS_E2E_SSH_ADDR: %v", err)
		}
		f := &fleet.File{
			Namespace: "peerpods-fleet",
			Plugin:    fleet.Plugin{Version: "0.2.0", DownloadURL: "https://downloads.example.com/peerpods/v0.2.0"},
			Clusters: []fleet.Cluster{{
				Name: "lab", Cloud: "libvirt",
				Kubeconfig: fleet.SecretRef{Secret: "lab", Key: "kubeconfig"},
				Inputs: map[string]any{
					"host": map[string]any{
						"address": host, "port": port, "user": e2eenv.Require(t, "PEERPODS_E2E_SSH_USER"),
						"libvirtSocket": e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_SOCKET"), "acceptNewHostKey": true,
					},
					"pool": h.pool, "dir": h.poolDir, "image": image,
					"settings": map[string]any{"limitPerNode": 4},
				},
				Secrets: map[string]fleet.SecretRef{
					"redhatOfflineToken": {Secret: "lab-rh", Key: "token"},
					"host.password":      {Secret: "lab-host", Key: "password"},
				},
			}},
		}
		if err := f.Validate(); err != nil {
			t.Fatal(err)
		}
		program = fleet.Render(f)[2]
		body, err := yaml.Marshal(program["program"])
		if err != nil {
			t.Fatal(err)
		}
		project := "name: peerpods-lab\nruntime: yaml\nstackConfigDir: stacks\nplugins:\n  providers:\n    - name: peerpods\n      path: ./bin\n" + string(body)
		if err := os.WriteFile(filepath.Join(h.dir, "Pulumi.yaml"), []byte(project), 0o644); err != nil {
			t.Fatal(err)
		}
		return "config: {}\n"
	})
	h.useKubernetesProvider()
	h.run("pulumi", "stack", "init", h.stack)
	// What the Stack's secretsRef names, set as secrets from stdin.
	secrets := program["program"].(fleet.Object)["configuration"].(fleet.Object)
	password, err := os.ReadFile(e2eenv.Require(t, "PEERPODS_E2E_SSH_PASSWORD_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{
		"kubeconfig": string(kubeconfig), "redhatOfflineToken": "offline-token-" + randomHex(t, 12),
		"hostPassword": strings.TrimSpace(string(password)),
	}
	for key := range values {
		if _, ok := secrets[key]; !ok {
			t.Fatalf("the program declares no %s: %v", key, secrets)
		}
	}
	for key, value := range values {
		cmd := exec.Command("pulumi", "config", "set", "--secret", key, "--stack", h.stack)
		cmd.Dir, cmd.Env, cmd.Stdin = h.dir, h.env, strings.NewReader(value)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pulumi config set --secret %s: %v\n%s", key, err, out)
		}
	}

	var preview struct {
		Steps []struct {
			Op       string `json:"op"`
			URN      string `json:"urn"`
			NewState struct {
				Provider string `json:"provider"`
			} `json:"newState"`
		} `json:"steps"`
	}
	out := h.run("pulumi", "preview", "--json", "--stack", h.stack)
	if err := json.Unmarshal([]byte(out), &preview); err != nil {
		t.Fatalf("preview --json: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	for _, s := range preview.Steps {
		typ := s.URN[strings.LastIndex(s.URN[:strings.LastIndex(s.URN, "::")], "::")+2 : strings.LastIndex(s.URN, "::")]
		seen[typ] = true
		if strings.Contains(typ, "$kubernetes:") && !strings.Contains(s.NewState.Provider, "::pulumi:providers:kubernetes::k8s::") {
			t.Errorf("%s uses provider %q, not the program's k8s", s.URN, s.NewState.Provider)
		}
	}
	for _, want := range []string{
		"peerpods:libvirt:PeerPods", "peerpods:libvirt:PeerPods$peerpods:libvirt:KvmHostAccess", "peerpods:libvirt:PeerPods$peerpods:libvirt:StoragePool",
		"peerpods:components:ClusterHandoff", "peerpods:components:ClusterHandoff$kubernetes:core/v1:ConfigMap",
	} {
		if !seen[want] {
			t.Errorf("preview plans no %s; it plans %v", want, seen)
		}
	}
	if h.poolExists() {
		t.Error("preview created the pool")
	}
	if strings.Contains(out, values["hostPassword"]) || strings.Contains(out, values["redhatOfflineToken"]) {
		t.Error("the preview shows a secret input in plain text")
	}
}
