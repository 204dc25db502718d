package provider_test

import (
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

const sshURI = "qemu+ssh://root@kvm1.example.com/system"

// TestStoragePoolCheckUnknowns: in a preview of a remote-host stack the
// connection inputs are KvmHostAccess outputs not known yet. Check passes
// and returns them still unknown (privateKey still secret), with the known
// inputs and defaults as usual.
func TestStoragePoolCheckUnknowns(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	cases := []struct {
		name    string
		in      map[string]any
		unknown []string
	}{
		{"connection", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown(), "name": "images"},
			[]string{"uri", "privateKey", "hostKey"}},
		{"keys of a known ssh URI", map[string]any{"uri": sshURI, "privateKey": secretUnknown(), "hostKey": unknown(), "name": "images"},
			[]string{"privateKey", "hostKey"}},
		{"uri only", map[string]any{"uri": unknown(), "privateKey": secret(keys.private), "hostKey": keys.hostKey, "name": "images"},
			[]string{"uri"}},
		{"name and path", map[string]any{"uri": "qemu:///system", "name": unknown(), "path": unknown()},
			[]string{"name", "path"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := check(t, s, poolType, props(c.in))
			wantFailures(t, resp.Failures, nil)
			wantUnknown(t, resp.Inputs, []string{"privateKey"}, c.unknown...)
			if c.in["name"] == "images" {
				if got := resp.Inputs.Get("name").AsString(); got != "images" {
					t.Errorf("name %q", got)
				}
				if got := resp.Inputs.Get("path").AsString(); got != provider.DefaultPoolPath {
					t.Errorf("path %q, want the default %s", got, provider.DefaultPoolPath)
				}
			}
			if pk, ok := resp.Inputs.GetOk("privateKey"); ok && !pk.Secret() {
				t.Error("privateKey is not secret")
			}
		})
	}
}

// TestStoragePoolCheckKnownBad: known bad inputs fail with the same
// failures as before, whether or not other inputs are unknown.
func TestStoragePoolCheckKnownBad(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	const (
		needKey     = "is needed for " + sshURI + "; pass the KvmHostAccess privateKey output"
		needHostKey = "is needed for " + sshURI + "; pass the KvmHostAccess hostKey output"
		badHostKey  = `host key "garbage" is neither a known_hosts line nor a public key`
		badName     = `is "a/b", which contains "/"; fix: use a plain name without /`
		badPath     = `is "images", which is not an absolute path; fix: use an absolute directory such as /var/lib/libvirt/images`
	)
	cases := []struct {
		name string
		in   map[string]any
		want map[string]string
	}{
		{"unsupported scheme", map[string]any{"uri": "http://h/system", "name": "p"},
			map[string]string{"uri": `libvirt URI "http://h/system": scheme "http" is not supported; use qemu:///system, qemu+unix:///system?socket=PATH or qemu+ssh://user@host/system`}},
		{"ssh without keys", map[string]any{"uri": sshURI, "name": "p"},
			map[string]string{"privateKey": needKey, "hostKey": needHostKey}},
		{"bad host key", map[string]any{"uri": sshURI, "name": "p", "privateKey": secret(keys.private), "hostKey": "garbage"},
			map[string]string{"hostKey": badHostKey}},
		{"bad name and path", map[string]any{"uri": "qemu:///system", "name": "a/b", "path": "images"},
			map[string]string{"name": badName, "path": badPath}},
		{"missing name", map[string]any{"uri": "qemu:///system"},
			map[string]string{"name": "Missing required field 'name' on 'provider.StoragePoolArgs'"}},
		// Unknown inputs are skipped, the known ones still checked.
		{"bad name, unknown connection", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown(), "name": "a/b", "path": "images"},
			map[string]string{"name": badName, "path": badPath}},
		{"bad host key, unknown private key", map[string]any{"uri": sshURI, "name": "p", "privateKey": secretUnknown(), "hostKey": "garbage"},
			map[string]string{"hostKey": badHostKey}},
		{"no host key, unknown private key", map[string]any{"uri": sshURI, "name": "p", "privateKey": secretUnknown()},
			map[string]string{"hostKey": needHostKey}},
		{"no private key, unknown host key", map[string]any{"uri": sshURI, "name": "p", "hostKey": unknown()},
			map[string]string{"privateKey": needKey}},
		{"bad host key, unknown URI", map[string]any{"uri": unknown(), "name": "p", "privateKey": secretUnknown(), "hostKey": "garbage"},
			map[string]string{"hostKey": badHostKey}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailures(t, check(t, s, poolType, props(c.in)).Failures, c.want)
		})
	}
}

// poolState is the state of a pool created over qemu+ssh with the
// access's keys.
func poolState(keys testKeys) property.Map {
	return props(map[string]any{
		"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey,
		"name": "images", "path": provider.DefaultPoolPath,
		"uuid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427", "adopted": false, "createdDir": true, "active": true, "autostart": true,
	})
}

// TestStoragePoolDiffUnknowns: an unknown input is never compared as the
// value infer decodes it to (""): it is reported as changed, with the
// kind of change it may be. An unknown URI may be another host: at most a
// replacement; unknown keys: at most an update (new credentials), no
// replacement; known inputs that did not change are not reported.
func TestStoragePoolDiffUnknowns(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	state := poolState(keys)
	cases := []struct {
		name   string
		in     map[string]any
		ignore []string
		want   map[string]p.DiffKind
	}{
		{"connection", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown()}, nil,
			map[string]p.DiffKind{"uri": p.UpdateReplace, "privateKey": p.Update, "hostKey": p.Update}},
		{"keys of the same URI", map[string]any{"privateKey": secretUnknown(), "hostKey": unknown()}, nil,
			map[string]p.DiffKind{"privateKey": p.Update, "hostKey": p.Update}},
		{"host key only", map[string]any{"hostKey": unknown()}, nil,
			map[string]p.DiffKind{"hostKey": p.Update}},
		{"name", map[string]any{"name": unknown()}, nil,
			map[string]p.DiffKind{"name": p.UpdateReplace}},
		// ignoreChanges: infer diffs the state's URI, which is known.
		{"connection, uri ignored", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown()}, []string{"uri"},
			map[string]p.DiffKind{"privateKey": p.Update, "hostKey": p.Update}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := checked(t, s, poolType, with(props(map[string]any{
				"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey, "name": "images",
			}), c.in))
			d := diff(t, s, poolType, state, in, c.ignore...)
			wantDiff(t, d, c.want)
			if !d.DeleteBeforeReplace {
				t.Error("DeleteBeforeReplace is false")
			}
		})
	}
}

// TestStoragePoolDiffKnown: with every input known, the same inputs are no
// change, and a changed URI, name or path replaces the pool.
func TestStoragePoolDiffKnown(t *testing.T) {
	s := server(t)
	keys, other := newKeys(t), newKeys(t)
	state := poolState(keys)
	base := map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey, "name": "images"}
	cases := []struct {
		name  string
		in    map[string]any
		state map[string]any
		want  map[string]p.DiffKind
	}{
		{"same", nil, nil, nil},
		{"same path, trailing slash", map[string]any{"path": provider.DefaultPoolPath + "/"}, nil, nil},
		{"other URI", map[string]any{"uri": "qemu+ssh://root@kvm2.example.com/system"}, nil, map[string]p.DiffKind{"uri": p.UpdateReplace}},
		{"other name", map[string]any{"name": "images2"}, nil, map[string]p.DiffKind{"name": p.UpdateReplace}},
		{"other path", map[string]any{"path": "/srv/images"}, nil, map[string]p.DiffKind{"path": p.UpdateReplace}},
		{"new keys", map[string]any{"privateKey": secret(other.private), "hostKey": other.hostKey}, nil,
			map[string]p.DiffKind{"privateKey": p.Update, "hostKey": p.Update}},
		{"stopped", nil, map[string]any{"active": false}, map[string]p.DiffKind{"active": p.Update}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := checked(t, s, poolType, with(props(base), c.in))
			wantDiff(t, diff(t, s, poolType, with(state, c.state), in), c.want)
		})
	}
}
