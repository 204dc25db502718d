package provider_test

import (
	"testing"

	"github.com/peerpods/provisioner/libvirt/settings"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// TestKvmHostAccessCheckUnknowns: the host, the credentials and the keys
// may be outputs of other resources (a VM's address, a generated password
// or key), unknown in a preview. Check passes and returns them still
// unknown, secrets still secret.
func TestKvmHostAccessCheckUnknowns(t *testing.T) {
	s := server(t)
	secrets := []string{"password", "bootstrapPrivateKey", "privateKey"}
	cases := []struct {
		name    string
		in      map[string]any
		unknown []string
	}{
		{"host and password", map[string]any{"host": unknown(), "password": secretUnknown()},
			[]string{"host"}},
		{"bootstrap key, key and host key", map[string]any{"host": "kvm1", "bootstrapPrivateKey": secretUnknown(), "privateKey": secretUnknown(), "knownHostKey": unknown()},
			[]string{"privateKey", "knownHostKey"}},
		{"port, user, key type and socket", map[string]any{"host": "kvm1", "password": secret("pw"), "port": unknown(), "user": unknown(), "keyType": unknown(), "libvirtSocket": unknown()},
			[]string{"port", "user", "keyType", "libvirtSocket"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := check(t, s, accessType, props(c.in))
			wantFailures(t, resp.Failures, nil)
			wantUnknown(t, resp.Inputs, secrets, c.unknown...)
			noBootstrapInput(t, resp.Inputs)
		})
	}
}

// noBootstrapInput fails when checked inputs, which the engine records in
// the state, hold a bootstrap credential.
func noBootstrapInput(t *testing.T, in property.Map) {
	t.Helper()
	for _, k := range []string{"password", "bootstrapPrivateKey"} {
		if v, ok := in.GetOk(k); ok {
			t.Errorf("the checked inputs hold %s (%v): the engine would store it", k, v)
		}
	}
}

// TestKvmHostAccessBootstrapNotInCheckedInputs: known bootstrap
// credentials are taken out of the checked inputs too, and given back to
// Create: a preview Create of the checked inputs sees them (its check of
// a missing credential passes).
func TestKvmHostAccessBootstrapNotInCheckedInputs(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	for _, in := range []map[string]any{
		{"host": "kvm1", "password": secret("pw")},
		{"host": "kvm1", "bootstrapPrivateKey": secret(keys.private)},
	} {
		checkedIn := checked(t, s, accessType, props(in))
		noBootstrapInput(t, checkedIn)
		if _, err := s.Create(p.CreateRequest{Urn: urn(accessType), Properties: checkedIn, DryRun: true}); err != nil {
			t.Errorf("preview Create of the checked inputs: %v", err)
		}
	}
}

// TestKvmHostAccessCheckKnownBad: known bad inputs fail with the same
// failures as before, whether or not other inputs are unknown.
func TestKvmHostAccessCheckKnownBad(t *testing.T) {
	s := server(t)
	const (
		badHost      = `is "a/b", which is not a host name or address; fix: give only the host's name or address, such as kvm1.example.com`
		badUser      = `is "a b", which is not a user name; fix: give the SSH user, such as root`
		noBootstrap  = "and bootstrapPrivateKey are both unset; fix: give the password or an existing private key the host accepts, as secrets, to install the new key once"
		badKeyType   = `is "dsa", which is not a key type; fix: use "rsa" or "ed25519"`
		badSocket    = `is "sock", which is not an absolute path; fix: give the socket's absolute path on the host, or leave it unset`
		badBootstrap = "does not parse; fix: give an unencrypted OpenSSH or PEM private key"
		badKey       = "does not parse; fix: give an unencrypted OpenSSH or PEM private key, or leave it unset to generate one"
		badKnown     = `does not parse; fix: give a known_hosts line or a public key ("ssh-ed25519 AAAA...", from ssh-keyscan)`
	)
	cases := []struct {
		name string
		in   map[string]any
		want map[string]string
	}{
		{"bad host, user, key type, socket, no bootstrap", map[string]any{"host": "a/b", "user": "a b", "keyType": "dsa", "libvirtSocket": "sock"},
			map[string]string{"host": badHost, "user": badUser, "password": noBootstrap, "keyType": badKeyType, "libvirtSocket": badSocket}},
		{"keys that do not parse", map[string]any{"host": "h", "bootstrapPrivateKey": secret("x"), "privateKey": secret("y"), "knownHostKey": "z"},
			map[string]string{"bootstrapPrivateKey": badBootstrap, "privateKey": badKey, "knownHostKey": badKnown}},
		{"empty host", map[string]any{"host": "", "password": secret("pw")},
			map[string]string{"host": "is empty; fix: give the KVM host's name or address"}},
		{"missing host", map[string]any{"password": secret("pw")},
			map[string]string{"host": "Missing required field 'host' on 'provider.KvmHostAccessArgs'"}},
		// Unknown inputs are skipped, the known ones still checked.
		{"bad user, key type, socket, unknown host and password", map[string]any{"host": unknown(), "password": secretUnknown(), "user": "a b", "keyType": "dsa", "libvirtSocket": "sock"},
			map[string]string{"user": badUser, "keyType": badKeyType, "libvirtSocket": badSocket}},
		{"bad bootstrap key, unknown password", map[string]any{"host": "h", "password": secretUnknown(), "bootstrapPrivateKey": secret("x")},
			map[string]string{"bootstrapPrivateKey": badBootstrap}},
		{"bad host, unknown keys", map[string]any{"host": "a/b", "bootstrapPrivateKey": secretUnknown(), "privateKey": secretUnknown(), "knownHostKey": unknown()},
			map[string]string{"host": badHost}},
		{"no bootstrap, unknown host", map[string]any{"host": unknown()},
			map[string]string{"password": noBootstrap}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailures(t, check(t, s, accessType, props(c.in)).Failures, c.want)
		})
	}
}

// restrictions are the options of every line installed (provider
// keyRestrictions), exactly.
const restrictions = "restrict,port-forwarding"

// accessState is the state of an access to kvm1 with a generated ed25519
// key, installed with a password, its line restricted (from anywhere).
func accessState(keys testKeys) property.Map {
	return props(map[string]any{
		"keyOptions": restrictions,
		"host":       "kvm1", "port": 22, "user": "root", "keyType": settings.KeyTypeED25519,
		"suppliedKey": false, "libvirtUri": "qemu+ssh://root@kvm1/system", "hostKey": keys.hostKey,
		"publicKey": "ssh-ed25519 AAAA peerpods", "privateKey": secret(keys.private), "installed": true, "libvirtVersion": "10.0.0",
	})
}

// TestKvmHostAccessDiffUnknowns: an unknown input is never compared as the
// value infer decodes it to: it is reported as changed, with the kind of
// change it may be. An unknown password at most updates the access (also
// when none was set before, where "" would have compared equal); an
// unknown host, pinned host key or supplied key at most replaces it, an
// unknown libvirtd socket at most updates it; the key type only counts for
// a generated key.
func TestKvmHostAccessDiffUnknowns(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	state := accessState(keys)
	supplied := with(state, map[string]any{"suppliedKey": true})
	noPassword := state
	base := map[string]any{"host": "kvm1", "password": secret("pw"), "keyType": settings.KeyTypeED25519}
	cases := []struct {
		name  string
		state property.Map
		in    map[string]any
		want  map[string]p.DiffKind
	}{
		// The bootstrap credentials are only used to install the key:
		// known or not, they are no change.
		{"password", state, map[string]any{"password": secretUnknown()}, nil},
		{"password and bootstrap key", noPassword, map[string]any{"password": secretUnknown(), "bootstrapPrivateKey": secret(keys.private)}, nil},
		{"host", state, map[string]any{"host": unknown()},
			map[string]p.DiffKind{"host": p.UpdateReplace}},
		{"pinned host key, none before", state, map[string]any{"knownHostKey": unknown()},
			map[string]p.DiffKind{"knownHostKey": p.UpdateReplace}},
		{"supplied key", supplied, map[string]any{"privateKey": secretUnknown()},
			map[string]p.DiffKind{"privateKey": p.UpdateReplace}},
		{"key type of a generated key", state, map[string]any{"keyType": unknown()},
			map[string]p.DiffKind{"keyType": p.UpdateReplace}},
		{"libvirtd socket", state, map[string]any{"libvirtSocket": unknown()},
			map[string]p.DiffKind{"libvirtSocket": p.Update}},
		{"key type of a supplied key", supplied, map[string]any{"keyType": unknown(), "privateKey": secret(keys.private)},
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := checked(t, s, accessType, with(props(base), c.in))
			d := diff(t, s, accessType, c.state, in)
			wantDiff(t, d, c.want)
			if d.DeleteBeforeReplace {
				t.Error("DeleteBeforeReplace is true")
			}
		})
	}
}

// TestKvmHostAccessDiffKnown: with every input known, the same inputs are
// no change; another host or key type replaces the access; another
// password is no change (it is used only to install the key), but state
// that stored one (an earlier version) is updated to drop it.
func TestKvmHostAccessDiffKnown(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	state := accessState(keys)
	base := map[string]any{"host": "kvm1", "password": secret("pw"), "keyType": settings.KeyTypeED25519}
	cases := []diffCase{
		{"same", nil, nil, nil},
		{"other host", map[string]any{"host": "kvm2"}, nil, map[string]p.DiffKind{"host": p.UpdateReplace}},
		{"other key type", map[string]any{"keyType": settings.KeyTypeRSA}, nil, map[string]p.DiffKind{"keyType": p.UpdateReplace}},
		{"other libvirtd socket", map[string]any{"libvirtSocket": "/run/libvirt/virtqemud-sock"}, nil, map[string]p.DiffKind{"libvirtSocket": p.Update}},
		{"other password", map[string]any{"password": secret("pw2")}, nil, nil},
		{"password stored by an earlier version", nil, map[string]any{"password": secret("pw")}, map[string]p.DiffKind{"password": p.Update}},
		{"key no longer installed", nil, map[string]any{"installed": false}, map[string]p.DiffKind{"installed": p.Update}},
		// The key's line: new ranges, or a line installed before key
		// options, are rewritten in place.
		{"allowed sources set", map[string]any{"allowedSources": []string{"10.0.0.0/16"}}, nil, map[string]p.DiffKind{"allowedSources": p.Update}},
		{"same allowed sources", map[string]any{"allowedSources": []string{"10.0.0.0/16"}},
			map[string]any{"allowedSources": []string{"10.0.0.0/16"}, "keyOptions": `from="10.0.0.0/16",` + restrictions}, nil},
		{"line of an earlier version", nil, map[string]any{"keyOptions": ""}, map[string]p.DiffKind{"allowedSources": p.Update}},
	}
	runDiffCases(t, s, accessType, base, state, cases)
}

// TestKvmHostAccessUpdatePreviewKeepsOutputsKnown: an update of the access
// (new bootstrap credentials, or installing a key no longer installed)
// never changes its address, host key or key pair, so in its preview
// those outputs stay known, and so does the provider configuration fed by
// them: its DiffConfig sees no change. Only installed and libvirtVersion may
// change; password and bootstrapPrivateKey are never stored.
func TestKvmHostAccessUpdatePreviewKeepsOutputsKnown(t *testing.T) {
	s := server(t)
	keys := newKeys(t)
	state := accessState(keys)
	stable := []string{"host", "port", "user", "keyType", "suppliedKey", "libvirtUri", "hostKey", "publicKey", "privateKey"}
	base := map[string]any{"host": "kvm1", "keyType": settings.KeyTypeED25519}
	cases := []struct {
		name    string
		state   map[string]any
		in      map[string]any
		unknown []string
	}{
		{"stored password dropped", map[string]any{"password": secret("pw")}, map[string]any{"password": secret("pw2")}, nil},
		{"unknown password, stored one dropped", map[string]any{"password": secret("pw")}, map[string]any{"password": secretUnknown()}, nil},
		{"key no longer installed", map[string]any{"installed": false}, map[string]any{"password": secret("pw")}, []string{"installed", "libvirtVersion"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := with(state, c.state)
			out := previewUpdate(t, s, accessType, old, with(props(base), c.in))
			for _, k := range stable {
				if got := out.Get(k); !got.Equals(old.Get(k)) {
					t.Errorf("%s is not its value before (unknown: %v), want it known and unchanged", k, got.IsComputed())
				}
			}
			wantUnknown(t, out, nil, c.unknown...)
			for _, k := range []string{"password", "bootstrapPrivateKey"} {
				if v, ok := out.GetOk(k); ok && !v.IsNull() {
					t.Errorf("%s = %v in the state, want none kept", k, v)
				}
			}

			// The provider configured from the access's outputs does
			// not change.
			cfg := func(m property.Map) property.Map {
				return props(map[string]any{"uri": m.Get("libvirtUri"), "privateKey": m.Get("privateKey"), "hostKey": m.Get("hostKey")})
			}
			wantDiff(t, diffConfig(t, s, cfg(old), checkedConfig(t, s, cfg(out))), nil)
		})
	}
}
