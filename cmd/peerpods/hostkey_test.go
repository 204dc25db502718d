package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/sshtest"
	"golang.org/x/crypto/ssh"
)

// sshServer serves SSH with the host key signer on loopback, refusing
// every login; it returns the address.
func sshServer(t *testing.T, signer ssh.Signer) string {
	t.Helper()
	cfg := &ssh.ServerConfig{PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, ssh.ErrNoAuth }}
	cfg.AddHostKey(signer)
	return sshtest.Serve(t, cfg)
}

// The preview's note on the KVM host's key: read with no credential, the
// fingerprint given with what to do, whether the key is pinned, matches,
// or differs; nothing for a stack without a remote host.
func TestHostKeyNote(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	otherSigner, _ := ssh.NewSignerFromKey(other)
	addr := sshServer(t, signer)
	host, port, _ := net.SplitHostPort(addr)
	fp := ssh.FingerprintSHA256(signer.PublicKey())
	cfg := func(pin string) string {
		return `{"host":{"address":"` + host + `","port":` + port + `,"knownHostKey":"` + pin + `"}}`
	}
	line := func(s ssh.Signer) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))) }
	for _, c := range []struct {
		config, want string
	}{
		{cfg(""), "presents the SSH host key ssh-ed25519 " + fp + ", which no setting pins"},
		{cfg(line(signer)), "presents the pinned SSH host key ssh-ed25519 " + fp},
		{cfg(line(otherSigner)), "presents the SSH host key ssh-ed25519 " + fp + ", NOT the pinned"},
		{`{"host":{"address":"127.0.0.1","port":1}}`, "could not be reached"},
	} {
		if got := hostKeyNote(c.config); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.config, got, c.want)
		}
	}
	for _, none := range []string{"", `{"uri":"qemu:///system"}`, "not json"} {
		if got := hostKeyNote(none); got != "" {
			t.Errorf("%q: %q", none, got)
		}
	}
}
