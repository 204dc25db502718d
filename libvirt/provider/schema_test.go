package provider_test

import (
	"encoding/json"
	"github.com/peerpods/provisioner/components/handoff"
	"sort"
	"testing"

	"github.com/peerpods/provisioner/cmd/pulumi-resource-peerpods/nodetaints"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/tests/testkit/providertest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// TestSchemaMetadata: the schema names where the engine downloads the
// plugin (the GitHub releases of the repository), the repository, the
// publisher and the license, which the generated SDKs carry.
func TestSchemaMetadata(t *testing.T) {
	resp, err := server(t).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		PluginDownloadURL string `json:"pluginDownloadURL"`
		Repository        string `json:"repository"`
		Publisher         string `json:"publisher"`
		License           string `json:"license"`
		Version           string `json:"version"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"pluginDownloadURL": {got.PluginDownloadURL, "github://api.github.com/peerpods/provisioner"},
		"repository":        {got.Repository, "https://github.com/peerpods/provisioner"},
		"publisher":         {got.Publisher, "peerpods"},
		"license":           {got.License, "Apache-2.0"},
		"version":           {got.Version, provider.Version},
	}
	for field, v := range want {
		if v[0] != v[1] {
			t.Errorf("schema %s = %q, want %q", field, v[0], v[1])
		}
	}
}

// TestSchema checks the resource tokens and that every secret field is
// marked secret in the schema, as input and as output, the provider's
// configuration included. The pool's and volume's privateKey outputs are
// the legacy connection (LegacyConnection).
func TestSchema(t *testing.T) {
	resp, err := server(t).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	type prop struct {
		Secret bool `json:"secret"`
	}
	var schema struct {
		Name      string `json:"name"`
		Resources map[string]struct {
			Properties      map[string]prop `json:"properties"`
			InputProperties map[string]prop `json:"inputProperties"`
		} `json:"resources"`
		Config struct {
			Variables map[string]prop `json:"variables"`
		} `json:"config"`
		Provider struct {
			InputProperties map[string]prop `json:"inputProperties"`
		} `json:"provider"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Name != "peerpods" {
		t.Errorf("package %q", schema.Name)
	}
	secret := func(m map[string]prop) []string {
		var out []string
		for k, v := range m {
			if v.Secret {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	want := map[string][2][]string{
		"peerpods:libvirt:StoragePool":   {nil, {"privateKey"}},
		"peerpods:libvirt:StorageVolume": {nil, {"privateKey"}},
		"peerpods:libvirt:KvmHostAccess": {{"bootstrapPrivateKey", "password", "privateKey"}, {"bootstrapPrivateKey", "password", "privateKey"}},
	}
	if len(schema.Resources) != len(want) {
		t.Errorf("resources %v", schema.Resources)
	}
	if got := secret(schema.Config.Variables); !equal(got, []string{"kubeconfig", "privateKey"}) {
		t.Errorf("secret configuration %v, want [kubeconfig privateKey]", got)
	}
	if got := secret(schema.Provider.InputProperties); !equal(got, []string{"kubeconfig", "privateKey"}) {
		t.Errorf("secret provider inputs %v, want [kubeconfig privateKey]", got)
	}
	for token, w := range want {
		r, ok := schema.Resources[token]
		if !ok {
			t.Errorf("no resource %s", token)
			continue
		}
		if got := secret(r.InputProperties); !equal(got, w[0]) {
			t.Errorf("%s secret inputs %v, want %v", token, got, w[0])
		}
		if got := secret(r.Properties); !equal(got, w[1]) {
			t.Errorf("%s secret outputs %v, want %v", token, got, w[1])
		}
	}
}

// TestNewWithServesExtraResources: NewWith serves the resources of other
// packages (the plugin's NodeTaints) next to the libvirt ones. The
// kubeconfig is the provider's (TestSchema), not a NodeTaints input; an
// earlier version's, in a NodeTaints' state, is a secret output.
func TestNewWithServesExtraResources(t *testing.T) {
	s := providertest.Server(t, func() (p.Provider, error) {
		return provider.NewWith([]infer.InferredResource{nodetaints.Resource()})
	})
	resp, err := s.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Resources map[string]struct {
			Properties      map[string]struct{ Secret bool } `json:"properties"`
			InputProperties map[string]struct{ Secret bool } `json:"inputProperties"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"peerpods:libvirt:StoragePool", "peerpods:libvirt:StorageVolume", "peerpods:libvirt:KvmHostAccess", handoff.TypeNodeTaints} {
		if _, ok := schema.Resources[token]; !ok {
			t.Errorf("no resource %s", token)
		}
	}
	if len(schema.Resources) != 4 {
		t.Errorf("%d resources", len(schema.Resources))
	}
	r := schema.Resources[handoff.TypeNodeTaints]
	if _, ok := r.InputProperties["kubeconfig"]; ok || !r.Properties["kubeconfig"].Secret {
		t.Errorf("%s kubeconfig an input, or not secret: %+v", handoff.TypeNodeTaints, r)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
