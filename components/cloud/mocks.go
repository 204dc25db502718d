package cloud

import (
	"bytes"
	"crypto/ed25519"
	"encoding/pem"
	"strings"

	"golang.org/x/crypto/ssh"
)

// FakeKeyPair is a fixed, real ed25519 key pair (OpenSSH private key,
// authorized_keys public key) for mocks whose outputs are SSH keys, so
// that what reaches the handoff passes the contract's format checks;
// seed picks the pair.
func FakeKeyPair(seed byte) (private, public string) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	block, err := ssh.MarshalPrivateKey(key, "")
	if err != nil {
		panic(err)
	}
	pub, err := ssh.NewPublicKey(key.Public())
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

// FakeSecret is a value for the mocks' stack secrets.
const FakeSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
