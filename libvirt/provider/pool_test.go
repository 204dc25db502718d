package provider_test

import (
	"testing"

	"github.com/peerpods/provisioner/libvirt/settings"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// sshServer is the provider configured for a KVM host over qemu+ssh, as
// peerpods:libvirt:PeerPods configures it from the access's outputs.
func sshServer(t *testing.T, keys testKeys) integration.Server {
	t.Helper()
	return configured(t, map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey})
}

// TestStoragePoolCheckUnknowns: the pool's name and path may be unknown in
// a preview. Check passes and returns them still unknown, with the known
// inputs and defaults as usual.
func TestStoragePoolCheckUnknowns(t *testing.T) {
	s := sshServer(t, newKeys(t))
	cases := []struct {
		name    string
		in      map[string]any
		unknown []string
	}{
		{"none", map[string]any{"name": "images"}, nil},
		{"path", map[string]any{"name": "images", "path": unknown()}, []string{"path"}},
		{"name and path", map[string]any{"name": unknown(), "path": unknown()}, []string{"name", "path"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := check(t, s, poolType, props(c.in))
			wantFailures(t, resp.Failures, nil)
			wantUnknown(t, resp.Inputs, nil, c.unknown...)
			if c.in["name"] == "images" && c.in["path"] == nil {
				if got := resp.Inputs.Get("path").AsString(); got != settings.DefaultPoolPath {
					t.Errorf("path %q, want the default %s", got, settings.DefaultPoolPath)
				}
			}
		})
	}
}

// Failures every pool and volume check shares.
const (
	noURI        = "the peerpods provider of this resource has no uri; fix: give the resource a provider configured for its KVM host (uri, and privateKey and hostKey for qemu+ssh), as peerpods:libvirt:PeerPods does"
	isConfigured = "is provider configuration since 0.2.0, not an input of the resource; fix: set it on the resource's peerpods provider (peerpods:libvirt:PeerPods registers one per host) and remove it here"
)

// TestStoragePoolCheckKnownBad: known bad inputs fail, whether or not
// other inputs are unknown; the connection given as inputs (as up to
// 0.1.0) or a provider without uri fail with the fix.
func TestStoragePoolCheckKnownBad(t *testing.T) {
	keys := newKeys(t)
	s := sshServer(t, keys)
	const (
		badName = `is "a/b", which contains "/"; fix: use a plain name without /`
		badPath = `is "images", which is not an absolute path; fix: use an absolute directory such as /var/lib/libvirt/images`
	)
	cases := []struct {
		name string
		in   map[string]any
		want map[string]string
	}{
		{"bad name and path", map[string]any{"name": "a/b", "path": "images"},
			map[string]string{"name": badName, "path": badPath}},
		{"name with a line break", map[string]any{"name": "images\nx"},
			map[string]string{"name": `is "images\nx", which contains the control character U+000A; fix: use a name of printable characters, without line breaks or tabs`}},
		{"missing name", map[string]any{},
			map[string]string{"name": "Missing required field 'name' on 'provider.StoragePoolArgs'"}},
		{"bad path, unknown name", map[string]any{"name": unknown(), "path": "images"},
			map[string]string{"path": badPath}},
		{"connection as inputs", map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey, "name": "a/b"},
			map[string]string{"uri": isConfigured, "privateKey": isConfigured, "hostKey": isConfigured, "name": badName}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailures(t, check(t, s, poolType, props(c.in)).Failures, c.want)
		})
	}
	t.Run("provider without uri", func(t *testing.T) {
		wantFailures(t, check(t, server(t), poolType, props(map[string]any{"name": "images"})).Failures,
			map[string]string{"": noURI})
	})
}

// poolState is the state of a pool created at the default path.
func poolState() property.Map {
	return props(map[string]any{
		"name": "images", "path": settings.DefaultPoolPath,
		"uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "adopted": false, "createdDir": true, "active": true, "autostart": true,
	})
}

// legacyPoolState is poolState as versions up to 0.1.0 kept it: with the
// connection to the host (uri, the key pair, the pinned host key).
func legacyPoolState(keys testKeys, uri string) property.Map {
	return with(poolState(), map[string]any{"uri": uri, "privateKey": secret(keys.private), "hostKey": keys.hostKey})
}

// TestStoragePoolDiffUnknowns: an unknown input is never compared as the
// value infer decodes it to (""): it is reported as changed, with the
// kind of change it may be (a name or path: a replacement).
func TestStoragePoolDiffUnknowns(t *testing.T) {
	s := sshServer(t, newKeys(t))
	cases := []struct {
		name string
		in   map[string]any
		want map[string]p.DiffKind
	}{
		{"name", map[string]any{"name": unknown()}, map[string]p.DiffKind{"name": p.UpdateReplace}},
		{"path", map[string]any{"path": unknown()}, map[string]p.DiffKind{"path": p.UpdateReplace}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := checked(t, s, poolType, with(props(map[string]any{"name": "images"}), c.in))
			d := diff(t, s, poolType, poolState(), in)
			wantDiff(t, d, c.want)
			if !d.DeleteBeforeReplace {
				t.Error("DeleteBeforeReplace is false")
			}
		})
	}
}

// TestStoragePoolDiffKnown: with every input known, the same inputs are no
// change, a changed name or path replaces the pool, a stopped pool is
// started again by an update.
func TestStoragePoolDiffKnown(t *testing.T) {
	s := sshServer(t, newKeys(t))
	cases := []diffCase{
		{"same", nil, nil, nil},
		{"same path, trailing slash", map[string]any{"path": settings.DefaultPoolPath + "/"}, nil, nil},
		{"other name", map[string]any{"name": "images2"}, nil, map[string]p.DiffKind{"name": p.UpdateReplace}},
		{"other path", map[string]any{"path": "/srv/images"}, nil, map[string]p.DiffKind{"path": p.UpdateReplace}},
		{"stopped", nil, map[string]any{"active": false}, map[string]p.DiffKind{"active": p.Update}},
	}
	runDiffCases(t, s, poolType, map[string]any{"name": "images"}, poolState(), cases)
}

// TestStoragePoolDiffLegacy: a pool of an earlier version keeps its
// connection in its state. Served by a provider configured for the same
// host (another socket, port or user included), an update drops it; for
// another host, the pool is replaced; served by a provider without uri
// (the earlier version's), nothing changes yet.
func TestStoragePoolDiffLegacy(t *testing.T) {
	keys := newKeys(t)
	in := checked(t, sshServer(t, keys), poolType, props(map[string]any{"name": "images"}))
	drop := map[string]p.DiffKind{"uri": p.Delete, "privateKey": p.Delete, "hostKey": p.Delete}
	cases := []struct {
		name   string
		server integration.Server
		uri    string
		want   map[string]p.DiffKind
	}{
		{"same host", sshServer(t, keys), sshURI, drop},
		{"same host, other port and socket", sshServer(t, keys), "qemu+ssh://root@kvm1.example.com:2222/system?socket=/run/l.sock", drop},
		{"other host", sshServer(t, keys), "qemu+ssh://root@kvm2.example.com/system",
			map[string]p.DiffKind{"uri": p.DeleteReplace, "privateKey": p.Delete, "hostKey": p.Delete}},
		{"provider without uri", server(t), sshURI, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := c.server.Diff(p.DiffRequest{ID: "images", Urn: urn(poolType), State: legacyPoolState(keys, c.uri), Inputs: in})
			if err != nil {
				t.Fatal(err)
			}
			wantDiff(t, d, c.want)
		})
	}
}

// TestStoragePoolUpdatePreviewDropsLegacy: the update of a legacy pool
// returns a state without the connection, the key included.
func TestStoragePoolUpdatePreviewDropsLegacy(t *testing.T) {
	keys := newKeys(t)
	s := sshServer(t, keys)
	out := previewUpdate(t, s, poolType, legacyPoolState(keys, sshURI), props(map[string]any{"name": "images"}))
	for _, k := range []string{"uri", "privateKey", "hostKey"} {
		if v, ok := out.GetOk(k); ok && !v.IsNull() {
			t.Errorf("%s = %v after the update, want it dropped", k, v)
		}
	}
	if got := out.Get("uuid").AsString(); got != poolState().Get("uuid").AsString() {
		t.Errorf("uuid %q changed", got)
	}
}
