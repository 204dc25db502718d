package provider

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/peerpods/provisioner/libvirt/settings"
	"golang.org/x/crypto/ssh"
)

// The generated keys: RSA keys' size and every key's comment.
const (
	rsaBits    = 4096
	keyComment = "peerpods"
)

// keyPair is a private key (PEM) and its authorized_keys line.
type keyPair struct {
	Private string
	Public  string
	signer  ssh.Signer
}

// generateKey makes a new key pair with crypto/rand.
func generateKey(keyType string) (keyPair, error) {
	var block *pem.Block
	switch keyType {
	case settings.KeyTypeRSA:
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return keyPair{}, err
		}
		block = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case settings.KeyTypeED25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return keyPair{}, err
		}
		if block, err = ssh.MarshalPrivateKey(k, keyComment); err != nil {
			return keyPair{}, err
		}
	default:
		return keyPair{}, fmt.Errorf("key type %q is not supported", keyType)
	}
	return parseKey(string(pem.EncodeToMemory(block)))
}

// parseKey reads a private key and derives its public key line.
func parseKey(private string) (keyPair, error) {
	s, err := ssh.ParsePrivateKey([]byte(private))
	if err != nil {
		return keyPair{}, fmt.Errorf("the private key does not parse (an unencrypted OpenSSH or PEM key is needed)")
	}
	pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))) + " " + keyComment
	return keyPair{Private: private, Public: pub, signer: s}, nil
}
