package settings

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/sshtest"
	"golang.org/x/crypto/ssh"
)

// A server with ECDSA, Ed25519 and RSA host keys (as OpenSSH is set up by
// default) is reached with a client pinned to each of them: offering
// exactly the pinned key's algorithms, the client is shown that key. With
// the library's default order it is shown the ECDSA key, which a pin to
// the Ed25519 key refuses.
func TestHostKeyAlgorithmsMatchThePin(t *testing.T) {
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaPriv, _ := rsa.GenerateKey(rand.Reader, 2048)
	var signers []ssh.Signer
	for _, k := range []any{ecPriv, edPriv, rsaPriv} {
		s, err := ssh.NewSignerFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
	}
	srv := &ssh.ServerConfig{NoClientAuth: true}
	for _, s := range signers {
		srv.AddHostKey(s)
	}
	addr := sshtest.Serve(t, srv)
	dial := func(pin ssh.PublicKey, algos []string) error {
		c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User: "u", HostKeyAlgorithms: algos,
			HostKeyCallback: func(_ string, _ net.Addr, got ssh.PublicKey) error {
				if string(got.Marshal()) != string(pin.Marshal()) {
					return &keyError{got.Type()}
				}
				return nil
			},
		})
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, s := range signers {
		pin := s.PublicKey()
		if err := dial(pin, HostKeyAlgorithms(pin)); err != nil {
			t.Errorf("pinned %s: %v", pin.Type(), err)
		}
	}
	// The library's defaults: the pin to Ed25519 is shown another key.
	if err := dial(signers[1].PublicKey(), nil); err == nil || !strings.Contains(err.Error(), "presented") {
		t.Errorf("default algorithms with an Ed25519 pin: %v, want a refusal", err)
	}
}

type keyError struct{ typ string }

func (e *keyError) Error() string { return "presented " + e.typ }
