package provider_test

import (
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
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
