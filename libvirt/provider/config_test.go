package provider_test

import (
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

const sshURI = "qemu+ssh://root@kvm1.example.com/system"

// checkConfig runs CheckConfig, failing the test on an error (not on
// check failures).
func checkConfig(t *testing.T, s integration.Server, in property.Map) p.CheckResponse {
	t.Helper()
	resp, err := s.CheckConfig(p.CheckRequest{Urn: urn(providerType), Inputs: in})
	if err != nil {
		t.Fatalf("CheckConfig: %v", err)
	}
	return resp
}

// TestConfigCheckUnknowns: in a preview of a remote-host stack the
// provider's keys are KvmHostAccess outputs not known yet. CheckConfig
// passes and returns them still unknown (privateKey still secret).
func TestConfigCheckUnknowns(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	cases := []struct {
		name    string
		in      map[string]any
		unknown []string
	}{
		{"connection", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown()},
			[]string{"uri", "privateKey", "hostKey"}},
		{"keys of a known ssh URI", map[string]any{"uri": sshURI, "privateKey": secretUnknown(), "hostKey": unknown()},
			[]string{"privateKey", "hostKey"}},
		{"uri only", map[string]any{"uri": unknown(), "privateKey": secret(keys.private), "hostKey": keys.hostKey},
			[]string{"uri"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := checkConfig(t, s, props(c.in))
			wantFailures(t, resp.Failures, nil)
			wantUnknown(t, resp.Inputs, []string{"privateKey"}, c.unknown...)
			if pk, ok := resp.Inputs.GetOk("privateKey"); ok && !pk.Secret() {
				t.Error("privateKey is not secret")
			}
		})
	}
}

// TestConfigCheckKnownBad: known bad values fail, whether or not others
// are unknown; a provider without uri (serving KvmHostAccess only) is
// valid.
func TestConfigCheckKnownBad(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	const (
		needKey     = "is needed for " + sshURI + "; pass the KvmHostAccess privateKey output"
		needHostKey = "is needed for " + sshURI + "; pass the KvmHostAccess hostKey output"
		badHostKey  = `host key "garbage" is neither a known_hosts line nor a public key`
	)
	cases := []struct {
		name string
		in   map[string]any
		want map[string]string
	}{
		{"no connection", map[string]any{}, nil},
		{"local", map[string]any{"uri": "qemu:///system"}, nil},
		{"ssh with keys", map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey}, nil},
		{"ssh with keys and a kubeconfig", map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey,
			"kubeconfig": secret(kubeconfigFor("https://api.example.com:6443"))}, nil},
		{"a bad kubeconfig next to a host", map[string]any{"uri": "qemu:///system", "kubeconfig": secret("nonsense")},
			map[string]string{"kubeconfig": "is not a kubeconfig (it cannot be loaded, or has no clusters); fix: pass the contents of the cluster's kubeconfig, not its path"}},
		{"unsupported scheme", map[string]any{"uri": "http://h/system"},
			map[string]string{"uri": `libvirt URI "http://h/system": scheme "http" is not supported; use qemu:///system, qemu+unix:///system?socket=PATH or qemu+ssh://user@host/system`}},
		{"no_verify", map[string]any{"uri": sshURI + "?no_verify=1", "privateKey": secret(keys.private), "hostKey": keys.hostKey},
			map[string]string{"uri": `libvirt URI "` + sshURI + `?no_verify=1": option "no_verify" is not supported (host keys are always checked)`}},
		{"ssh without keys", map[string]any{"uri": sshURI},
			map[string]string{"privateKey": needKey, "hostKey": needHostKey}},
		{"bad host key", map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": "garbage"},
			map[string]string{"hostKey": badHostKey}},
		// Unknown values are skipped, the known ones still checked.
		{"bad host key, unknown private key", map[string]any{"uri": sshURI, "privateKey": secretUnknown(), "hostKey": "garbage"},
			map[string]string{"hostKey": badHostKey}},
		{"no host key, unknown private key", map[string]any{"uri": sshURI, "privateKey": secretUnknown()},
			map[string]string{"hostKey": needHostKey}},
		{"no private key, unknown host key", map[string]any{"uri": sshURI, "hostKey": unknown()},
			map[string]string{"privateKey": needKey}},
		{"bad host key, unknown URI", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": "garbage"},
			map[string]string{"hostKey": badHostKey}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailures(t, checkConfig(t, s, props(c.in)).Failures, c.want)
		})
	}
}

// diffConfig runs DiffConfig of the configuration in against old, as the
// engine does for a provider instance and for a resource whose provider
// instance changed (step_generator.go, providerChanged).
func diffConfig(t *testing.T, s integration.Server, old, in property.Map) p.DiffResponse {
	t.Helper()
	resp, err := s.DiffConfig(p.DiffRequest{ID: "provider-id", Urn: urn(providerType), State: old, OldInputs: old, Inputs: in})
	if err != nil {
		t.Fatalf("DiffConfig: %v", err)
	}
	return resp
}

// TestConfigDiff: only another host replaces the provider (and so what
// lives on it); another socket, port, user or transport to the same
// host, and new keys, are updates. An unknown URI may be another host: at
// most a replacement; unknown keys at most an update. A provider of an
// earlier version (no uri) given one is an update: its resources compare
// hosts themselves (TestStoragePoolDiffLegacy).
func TestConfigDiff(t *testing.T) {
	s := server(t)
	keys, other := newKeys(t), newKeys(t)
	base := map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey}
	cases := []struct {
		name     string
		old, new map[string]any
		want     map[string]p.DiffKind
	}{
		{"same", base, base, nil},
		{"other port", base, plus(base, map[string]any{"uri": "qemu+ssh://root@kvm1.example.com:2222/system"}),
			map[string]p.DiffKind{"uri": p.Update}},
		{"other socket", base, plus(base, map[string]any{"uri": sshURI + "?socket=/run/libvirt/virtqemud-sock"}),
			map[string]p.DiffKind{"uri": p.Update}},
		{"other user, host name case", base, plus(base, map[string]any{"uri": "qemu+ssh://admin@KVM1.example.com/system"}),
			map[string]p.DiffKind{"uri": p.Update}},
		{"other host", base, plus(base, map[string]any{"uri": "qemu+ssh://root@kvm2.example.com/system"}),
			map[string]p.DiffKind{"uri": p.UpdateReplace}},
		{"local to remote", map[string]any{"uri": "qemu:///system"}, base,
			map[string]p.DiffKind{"uri": p.UpdateReplace, "privateKey": p.Update, "hostKey": p.Update}},
		{"local socket", map[string]any{"uri": "qemu:///system"}, map[string]any{"uri": "qemu+unix:///system?socket=/run/l.sock"},
			map[string]p.DiffKind{"uri": p.Update}},
		{"new keys", base, plus(base, map[string]any{"privateKey": secret(other.private), "hostKey": other.hostKey}),
			map[string]p.DiffKind{"privateKey": p.Update, "hostKey": p.Update}},
		{"unknown uri", base, plus(base, map[string]any{"uri": unknown()}),
			map[string]p.DiffKind{"uri": p.UpdateReplace}},
		{"unknown keys", base, plus(base, map[string]any{"privateKey": secretUnknown(), "hostKey": unknown()}),
			map[string]p.DiffKind{"privateKey": p.Update, "hostKey": p.Update}},
		{"earlier version's provider", map[string]any{}, base,
			map[string]p.DiffKind{"uri": p.Update, "privateKey": p.Update, "hostKey": p.Update}},
		// The cluster's connection (NodeTaints') next to the host's.
		{"a kubeconfig added", base, plus(base, map[string]any{"kubeconfig": secret(kubeconfigFor("https://api.example.com:6443"))}),
			map[string]p.DiffKind{"kubeconfig": p.Update}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := diffConfig(t, s, props(c.old), checkedConfig(t, s, props(c.new)))
			wantDiff(t, d, c.want)
			if d.DeleteBeforeReplace {
				t.Error("DeleteBeforeReplace: a provider is replaced create-before-delete, so the old one deletes what it served")
			}
		})
	}
}

// plus returns a copy of m with the keys of kv set.
func plus(m, kv map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range kv {
		out[k] = v
	}
	return out
}

// checkedConfig runs CheckConfig like the engine before DiffConfig,
// failing the test on a check failure.
func checkedConfig(t *testing.T, s integration.Server, in property.Map) property.Map {
	t.Helper()
	resp := checkConfig(t, s, in)
	if len(resp.Failures) > 0 {
		t.Fatalf("CheckConfig: %v", checkError(resp.Failures))
	}
	return resp.Inputs
}

// TestDiffConfigLeavesConfigurationAlone: the engine diffs a configured
// provider instance against another instance's configuration (a resource
// moved between instances, providerChanged). The instance still serves
// its own host afterwards: a Create dials its libvirtd, not the other's.
func TestDiffConfigLeavesConfigurationAlone(t *testing.T) {
	mine, other := newTripwire(t, "unix"), newTripwire(t, "unix")
	s := configured(t, map[string]any{"uri": unixURI(mine)})
	diffConfig(t, s, props(map[string]any{"uri": unixURI(other)}), checkedConfig(t, s, props(map[string]any{"uri": unixURI(mine)})))
	if _, err := s.Create(p.CreateRequest{Urn: urn(poolType), Properties: checked(t, s, poolType, props(map[string]any{"name": "images"}))}); err == nil {
		t.Error("Create against the tripwire socket succeeded")
	}
	if n := other.dialled(t); n != 0 {
		t.Errorf("Create dialled the other instance's libvirtd (%d times)", n)
	}
	if n := mine.dialled(t); n == 0 {
		t.Error("Create did not dial its own libvirtd")
	}
}

// TestConfigCheckEngineKeys: the version the generated SDK registers the
// provider with (and a plugin download URL) reach CheckConfig among the
// inputs, as the engine sends them; they are no configuration error, and
// come back unchanged in the checked inputs, where the engine reads the
// version. (Found by the YAML engine test: a nested provider registered
// through the SDK failed "Unrecognized field 'version'".)
func TestConfigCheckEngineKeys(t *testing.T) {
	s := server(t)
	resp := checkConfig(t, s, props(map[string]any{"uri": "qemu:///system", "version": provider.Version, "pluginDownloadURL": "https://example.com/plugins"}))
	wantFailures(t, resp.Failures, nil)
	for k, want := range map[string]string{"version": provider.Version, "pluginDownloadURL": "https://example.com/plugins", "uri": "qemu:///system"} {
		if v, ok := resp.Inputs.GetOk(k); !ok || !v.IsString() || v.AsString() != want {
			t.Errorf("checked %s = %v, want %q", k, v, want)
		}
	}
}

// kubeconfigFor is a kubeconfig of one cluster at server.
func kubeconfigFor(server string) string {
	return "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"" + server + "\"}\n"
}
