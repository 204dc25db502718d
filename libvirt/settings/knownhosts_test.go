package settings

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TestKnownHostsKey: the key of host:port as OpenSSH looks it up: "host"
// for port 22, "[host]:port" otherwise, plain or hashed; another host's
// key, a revoked one and no entry are refused.
func TestKnownHostsKey(t *testing.T) {
	key := func(seed byte) ssh.PublicKey {
		pub, _, _ := ed25519.GenerateKey(strings.NewReader(strings.Repeat(string(rune('a'+seed)), 64)))
		k, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b := key(0), key(1)
	text := func(k ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) }
	kh := knownhosts.Line([]string{"other.example"}, b) + "\n" +
		knownhosts.Line([]string{"[127.0.0.1]:2222"}, a) + "\n" +
		knownhosts.Line([]string{knownhosts.HashHostname("kvm.example")}, b) + "\n" +
		"@revoked " + knownhosts.Line([]string{"bad.example"}, a) + "\n"
	for addr, want := range map[string]string{
		"127.0.0.1:2222":   text(a),
		"kvm.example:22":   text(b),
		"other.example:22": text(b),
		"127.0.0.1:22":     "no key for 127.0.0.1",
		"bad.example:22":   "revokes the key of bad.example",
	} {
		got, err := KnownHostsKey(kh, addr)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}
