package plugin_test

import (
	"encoding/json"
	"testing"

	"github.com/peerpods/provisioner/cmd/pulumi-resource-peerpods/plugin"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/stacks"
	"github.com/peerpods/provisioner/tests/testkit/providertest"
	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

func server(t *testing.T, m *pulumitest.Mocks) integration.Server {
	t.Helper()
	var opts []integration.ServerOption
	if m != nil {
		opts = append(opts, integration.WithMocks(m))
	}
	return providertest.Server(t, plugin.New, opts...)
}

type schemaResource struct {
	IsComponent     bool                      `json:"isComponent"`
	InputProperties map[string]map[string]any `json:"inputProperties"`
	Properties      map[string]map[string]any `json:"properties"`
}

// TestServedComponents: the plugin's schema (what pulumi package add and
// the YAML host read) has every registered cloud's PeerPods and the
// cluster handoff as components, and the handoff's NodeTaints; each cloud's component outputs the
// values the handoff takes (secret and sshKeySecret secret), takes the
// common settings, and has a secret input for each credential the
// operator contract has the user give.
func TestServedComponents(t *testing.T) {
	resp, err := server(t, nil).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Resources map[string]schemaResource `json:"resources"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	if r, ok := schema.Resources[handoff.ClusterHandoffType]; !ok || !r.IsComponent {
		t.Errorf("the plugin serves no component %s", handoff.ClusterHandoffType)
	}
	// The handoff's node taints: a custom resource, whose kubeconfig is
	// its provider's (no input); an earlier version's, kept in its state,
	// is a secret output.
	if r, ok := schema.Resources[handoff.TypeNodeTaints]; !ok || r.IsComponent {
		t.Errorf("the plugin serves no custom resource %s", handoff.TypeNodeTaints)
	} else if _, ok := r.InputProperties["kubeconfig"]; ok {
		t.Errorf("%s has an input kubeconfig", handoff.TypeNodeTaints)
	} else if s, _ := r.Properties["kubeconfig"]["secret"].(bool); !s {
		t.Errorf("%s output kubeconfig is not secret", handoff.TypeNodeTaints)
	}
	for _, c := range stacks.Clouds() {
		token := "peerpods:" + string(c.Name()) + ":PeerPods"
		r, ok := schema.Resources[token]
		if !ok || !r.IsComponent {
			t.Errorf("the plugin serves no component %s", token)
			continue
		}
		for out, secret := range map[string]bool{"cloud": false, "configMap": false, "secret": true, "sshKeySecret": true} {
			prop, ok := r.Properties[out]
			if got, _ := prop["secret"].(bool); !ok || got != secret {
				t.Errorf("%s output %s: present %t, secret %t", token, out, ok, got)
			}
		}
		if ref, _ := r.InputProperties["settings"]["$ref"].(string); ref != "#/types/peerpods:components:Settings" {
			t.Errorf("%s input settings: %v", token, r.InputProperties["settings"])
		}
		secrets := 0
		for _, in := range r.InputProperties {
			if s, _ := in["secret"].(bool); s {
				secrets++
			}
		}
		if need := len(contract.MustFor(c.Name()).UserSecrets()); secrets < need {
			t.Errorf("%s has %d secret inputs, fewer than the %d credentials the contract has the user give", token, secrets, need)
		}
	}
}

// TestConstructLibvirt: the libvirt component constructed through the
// plugin as the engine does for another language, with a provider
// reference: the pool and the volume are registered, and the construct
// result carries the values (the outputs another language reads), the
// secret one secret.
func TestConstructLibvirt(t *testing.T) {
	const stackURN = "urn:pulumi:" + pulumitest.Stack + "::" + pulumitest.Project + "::"
	m := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{
		"pulumi:pulumi:getResource": func(args presource.PropertyMap) (presource.PropertyMap, error) {
			return presource.PropertyMap{"urn": args["urn"], "id": presource.NewProperty("pp-id"), "state": presource.NewProperty(presource.PropertyMap{})}, nil
		},
	}}
	resp, err := server(t, m).Construct(p.ConstructRequest{
		Urn: presource.URN(stackURN + "peerpods:libvirt:PeerPods::podvms"),
		Inputs: property.NewMap(map[string]property.Value{
			"uri":                property.New("qemu:///system"),
			"pool":               property.New("pp"),
			"capacity":           property.New(float64(1 << 20)),
			"redhatOfflineToken": property.New("token").WithSecret(true),
			"settings":           property.New(property.NewMap(map[string]property.Value{"limitPerNode": property.New(float64(4))})),
		}),
		Providers: map[tokens.Package]p.ProviderReference{"peerpods": {Urn: presource.URN(stackURN + "pulumi:providers:peerpods::pp"), ID: "pp-id"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.OfType("peerpods:libvirt:StoragePool")) != 1 || len(m.OfType("peerpods:libvirt:StorageVolume")) != 1 {
		t.Errorf("registered: %v", m.Summary())
	}
	if v, ok := resp.State.GetOk("cloud"); !ok || v.AsString() != "libvirt" {
		t.Errorf("cloud output %v", v)
	}
	cm, ok := resp.State.GetOk("configMap")
	if !ok || !cm.IsMap() || cm.AsMap().Get("LIBVIRT_POOL").AsString() != "pp" || cm.AsMap().Get("PEERPODS_LIMIT_PER_NODE").AsString() != "4" ||
		cm.AsMap().Get("PROXY_TIMEOUT").AsString() != "15m" {
		t.Errorf("configMap output %v", cm)
	}
	if sec, ok := resp.State.GetOk("secret"); !ok || !sec.Secret() {
		t.Errorf("secret output %v (want a secret)", sec)
	}
}
