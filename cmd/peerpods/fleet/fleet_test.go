package fleet

import (
	"flag"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite testdata/manifests.yaml from the rendering")

// TestRenderExample: the two-cluster example renders exactly to
// testdata/manifests.yaml (go test -update rewrites it after a deliberate
// change).
func TestRenderExample(t *testing.T) {
	f := parseFile(t, "testdata/clusters.yaml")
	got, err := YAML(Render(f))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/manifests.yaml", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/manifests.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("rendering differs from testdata/manifests.yaml (go test -update after a deliberate change):\n%s", got)
	}
	// The same input renders the same bytes (map order does not leak).
	again, _ := YAML(Render(f))
	if string(again) != string(got) {
		t.Error("two renderings of the same file differ")
	}
}

// TestFiles: fleet.yaml holds the ServiceAccount and its binding, each
// cluster's file its Program and Stack, nothing lost or doubled.
func TestFiles(t *testing.T) {
	f := parseFile(t, "testdata/clusters.yaml")
	files, err := Files(f, Render(f))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"fleet.yaml":         {"ServiceAccount/peerpods-fleet", "ClusterRoleBinding/peerpods-fleet:peerpods-fleet:system:auth-delegator"},
		"peerpods-east.yaml": {"Program/peerpods-east", "Stack/peerpods-east"},
		"peerpods-lab.yaml":  {"Program/peerpods-lab", "Stack/peerpods-lab"},
	}
	if len(files) != len(want) {
		t.Errorf("files %v, want %v", keys(files), want)
	}
	for name, kinds := range want {
		var got []string
		for _, doc := range strings.Split(string(files[name]), "\n---\n") {
			var o Object
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, o["kind"].(string)+"/"+o["metadata"].(Object)["name"].(string))
		}
		if strings.Join(got, " ") != strings.Join(kinds, " ") {
			t.Errorf("%s holds %v, want %v", name, got, kinds)
		}
	}
}

// TestClusterEnv: a cluster's env adds to the fleet's and wins over it.
func TestClusterEnv(t *testing.T) {
	f := parseFile(t, "testdata/clusters.yaml")
	f.Clusters[1].Env = map[string]SecretRef{"AWS_ACCESS_KEY_ID": {Secret: "lab-state", Key: "id"}, "EXTRA": {Secret: "lab", Key: "extra"}}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	env := Render(f)[5]["spec"].(Object)["envRefs"].(Object)
	if got := env["AWS_ACCESS_KEY_ID"].(Object)["secret"].(Object)["name"]; got != "lab-state" {
		t.Errorf("AWS_ACCESS_KEY_ID from %v, want the cluster's Secret lab-state", got)
	}
	if env["EXTRA"] == nil || env["AWS_SECRET_ACCESS_KEY"] == nil || env["PULUMI_CONFIG_PASSPHRASE"] == nil {
		t.Errorf("envRefs %v: want the cluster's and the fleet's", keys(env))
	}
}

// TestNestedSecret: a secret field of an input (host.password) is set in
// the input from the configuration key hostPassword, next to the input's
// plain fields, and the Stack takes it from its Secret under that key; the
// same field also given plainly is refused.
func TestNestedSecret(t *testing.T) {
	f := parseFile(t, "testdata/clusters.yaml")
	lab := &f.Clusters[1]
	lab.Inputs["host"] = map[string]any{"address": "kvm.lab.example.com", "user": "root"}
	lab.Secrets["host.password"] = SecretRef{Secret: "lab-host", Key: "password"}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	objs := Render(f)
	prog := objs[4]["program"].(Object)
	host := prog["resources"].(Object)["podvms"].(Object)["properties"].(Object)["host"].(map[string]any)
	if host["password"] != "${hostPassword}" || host["address"] != "kvm.lab.example.com" || host["user"] != "root" {
		t.Errorf("podvms.host = %v", host)
	}
	if prog["configuration"].(Object)["hostPassword"] == nil {
		t.Errorf("configuration %v has no hostPassword", keys(prog["configuration"].(Object)))
	}
	ref := objs[5]["spec"].(Object)["secretsRef"].(Object)["hostPassword"]
	if ref == nil || ref.(Object)["secret"].(Object)["name"] != "lab-host" {
		t.Errorf("secretsRef.hostPassword = %v", ref)
	}
	if _, isThere := f.Clusters[1].Inputs["host"].(map[string]any)["password"]; isThere {
		t.Error("rendering changed the file's inputs")
	}
	lab.Inputs["host"] = map[string]any{"address": "kvm", "password": "plain"}
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "clusters[1].inputs.host.password: also a secret input") {
		t.Errorf("host.password plain and secret: %v", err)
	}
}

// TestInvalid: each mistake is refused with the field it is in and what
// to do; all mistakes of a file are reported at once.
func TestInvalid(t *testing.T) {
	base, err := os.ReadFile("testdata/clusters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"unknown field", "    cloud: aws\n", "    cloud: aws\n    region: us-east-1\n", []string{"clusters[0].region: unknown field: remove it or fix its spelling (fields here: cloud, config, env, handoff, inputs, kubeconfig, name, secrets, stack)"}},
		{"unknown field in a reference", "{secret: east, key: kubeconfig}", "{secret: east, key: kubeconfig, value: x}", []string{"clusters[0].kubeconfig.value: unknown field"}},
		{"unknown field in env", "{secret: fleet-state, key: access-key-id}", "{secret: fleet-state, keys: access-key-id}", []string{"env.AWS_ACCESS_KEY_ID.keys: unknown field"}},
		{"cloud", "cloud: aws", "cloud: openstack", []string{`clusters[0].cloud: "openstack" is not a cloud: set one of aws, azure, gcp, libvirt`}},
		{"duplicate name", "name: lab", "name: east", []string{`clusters[1].name: "east" is also clusters[0]'s name`}},
		{"name", "name: east", "name: East_1", []string{`clusters[0].name: "East_1" is not a cluster name`}},
		{"version", "version: 0.2.0", "version: v0.2.0", []string{`plugin.version: "v0.2.0" is not a release version: write it as 1.2.3`}},
		{"download URL", "downloadURL: https://downloads.example.com/peerpods/v0.2.0", "downloadURL: downloads.example.com", []string{"plugin.downloadURL:", "is not an http(s) URL"}},
		{"namespace", "namespace: peerpods-fleet", "namespace: Fleet", []string{`namespace: "Fleet" is not a namespace name`}},
		{"kubeconfig missing", "    kubeconfig: {secret: lab, key: kubeconfig}\n", "", []string{`clusters[1].kubeconfig.secret: "" is not a Secret name`, `clusters[1].kubeconfig.key: "" is not a Secret key`}},
		{"secret value instead of a reference", "redhatOfflineToken: {secret: lab-rh, key: token}", "redhatOfflineToken: the-token-itself", []string{"cannot unmarshal string into Go struct field", "fleet.SecretRef"}},
		{"kubeconfig as a secret input", "redhatOfflineToken: {secret: lab-rh, key: token}", "kubeconfig: {secret: lab, key: kubeconfig}", []string{"clusters[1].secrets.kubeconfig: the kubeconfig is the cluster's kubeconfig field"}},
		{"input both plain and secret", "      vpcId: vpc-0123456789abcdef0\n", "      vpcId: vpc-0123456789abcdef0\n      accessKeyId: AKIA\n", []string{"clusters[0].inputs.accessKeyId: also a secret input"}},
		{"handoff output", "      identity: static\n  - name", "      configMap: {}\n  - name", []string{"clusters[0].handoff.configMap: set from the aws component's output"}},
		{"node taints", "      identity: static\n  - name", "      identity: static\n      nodes: [{name: w1, taints: [{key: k, effect: NoSchedule}]}]\n  - name", []string{"clusters[0].handoff.nodes: node taints need a peerpods provider"}},
		{"two secrets, one key", "redhatOfflineToken: {secret: lab-rh, key: token}", "redhatOfflineToken: {secret: lab-rh, key: token}\n      host.password: {secret: a, key: b}\n      hostPassword: {secret: a, key: b}", []string{"clusters[1].secrets.hostPassword: its configuration key hostPassword is also host.password's: rename one"}},
		{"bad secret path", "redhatOfflineToken: {secret: lab-rh, key: token}", "host..password: {secret: a, key: b}", []string{"clusters[1].secrets.host..password: not an input of peerpods:libvirt:PeerPods"}},
		{"config namespace", "aws:region: us-east-1", "region: us-east-1", []string{"clusters[0].config.region: not a provider setting: write <provider>:<key>"}},
		{"peerpods config", "aws:region: us-east-1", "peerpods:region: us-east-1", []string{"clusters[0].config.peerpods:region: not a provider setting"}},
		{"passphrase as env", "  AWS_ACCESS_KEY_ID:", "  PULUMI_CONFIG_PASSPHRASE: {secret: s, key: k}\n  AWS_ACCESS_KEY_ID:", []string{"env.PULUMI_CONFIG_PASSPHRASE: set the passphrase with the top-level passphrase field"}},
		{"reserved env", "  AWS_ACCESS_KEY_ID:", "  PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: {secret: s, key: k}\n  AWS_ACCESS_KEY_ID:", []string{"env.PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES: set by the rendered Stack"}},
		{"stack", "stack: lab-kvm", "stack: a/b/c/d", []string{`clusters[1].stack: "a/b/c/d" is not a stack name`}},
		{"two mistakes", "cloud: libvirt", "cloud: kvm", []string{`clusters[1].cloud: "kvm"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(base), c.old) {
				t.Fatalf("the example has no %q", c.old)
			}
			data := strings.Replace(string(base), c.old, c.new, 1)
			_, err := Parse([]byte(data))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// All problems at once.
	data := strings.NewReplacer("cloud: aws", "cloud: x", "cloud: libvirt", "cloud: y").Replace(string(base))
	_, err = Parse([]byte(data))
	if err == nil || !strings.Contains(err.Error(), "clusters[0].cloud") || !strings.Contains(err.Error(), "clusters[1].cloud") {
		t.Errorf("two bad clouds: %v; want both named", err)
	}
	if _, err := Parse([]byte("namespace: n\nplugin: {version: 1.0.0, downloadURL: https://x}\n")); err == nil || !strings.Contains(err.Error(), "clusters: empty: list at least one cluster") {
		t.Errorf("no clusters: %v", err)
	}
}

func parseFile(t *testing.T, path string) *File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func keys[V any](m map[string]V) []string { return sortedKeys(m) }

// TestDocsExample: the clusters file of docs/fleets.md (its first yaml
// block) is accepted.
func TestDocsExample(t *testing.T) {
	readme, err := os.ReadFile("../../../docs/fleets.md")
	if err != nil {
		t.Fatal(err)
	}
	section, ok := string(readme), strings.HasPrefix(string(readme), "# Fleets on the Pulumi Kubernetes Operator\n")
	_, block, ok2 := strings.Cut(section, "\n```yaml\n")
	block, _, ok3 := strings.Cut(block, "\n```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/fleets.md has no fleet title and yaml block")
	}
	f, err := Parse([]byte(block))
	if err != nil {
		t.Fatalf("docs/fleets.md's clusters file: %v", err)
	}
	if len(f.Clusters) != 2 {
		t.Errorf("docs/fleets.md's clusters file has %d clusters, want 2", len(f.Clusters))
	}
}
