package provider_test

import (
	"testing"
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
			[]string{"host", "password"}},
		{"bootstrap key, key and host key", map[string]any{"host": "kvm1", "bootstrapPrivateKey": secretUnknown(), "privateKey": secretUnknown(), "knownHostKey": unknown()},
			[]string{"bootstrapPrivateKey", "privateKey", "knownHostKey"}},
		{"port, user, key type and socket", map[string]any{"host": "kvm1", "password": secret("pw"), "port": unknown(), "user": unknown(), "keyType": unknown(), "libvirtSocket": unknown()},
			[]string{"port", "user", "keyType", "libvirtSocket"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := check(t, s, accessType, props(c.in))
			wantFailures(t, resp.Failures, nil)
			wantUnknown(t, resp.Inputs, secrets, c.unknown...)
		})
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
