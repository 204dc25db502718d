package sshkey

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"
)

func newKey(t *testing.T, passphrase string) (string, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ssh.NewSignerFromKey(priv)
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}

func TestCheckPrivateKey(t *testing.T) {
	good, pub := newKey(t, "")
	if err := CheckPrivateKey("k", good); err != nil {
		t.Errorf("good key: %v", err)
	}
	if got, err := PublicKeyOf(good); err != nil || got != pub {
		t.Errorf("PublicKeyOf = %q, %v; want %q", got, err, pub)
	}
	locked, _ := newKey(t, "pw")
	if err := CheckPrivateKey("k", locked); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("locked key: %v", err)
	}
	err := CheckPrivateKey("k", "not-a-key-but-secret-text")
	if err == nil || strings.Contains(err.Error(), "secret-text") {
		t.Errorf("garbage: %v", err)
	}
	if _, err := PublicKeyOf("x"); err == nil {
		t.Error("PublicKeyOf garbage: nil error")
	}
}

func TestNewSSHKeyPair(t *testing.T) {
	good, pub := newKey(t, "")
	m := &pulumitest.Mocks{}
	var supplied, generated *SSHKeyPair
	var noProvider error
	err := pulumitest.Run(m, pulumitest.Config{}, func(ctx *pulumi.Context) error {
		var parent struct{ pulumi.ResourceState }
		if err := ctx.RegisterComponentResource("peerpods:test:Parent", "parent", &parent); err != nil {
			return err
		}
		var err error
		if supplied, err = NewSSHKeyPair(ctx, "given", SSHKeyPairArgs{PrivateKey: pulumi.String(good)}, &parent); err != nil {
			return err
		}
		_, noProvider = NewSSHKeyPair(ctx, "none", SSHKeyPairArgs{}, &parent)
		p, err := tls.NewProvider(ctx, "tls", &tls.ProviderArgs{})
		if err != nil {
			return err
		}
		generated, err = NewSSHKeyPair(ctx, "made", SSHKeyPairArgs{}, &parent, pulumi.Providers(p))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if noProvider == nil || !strings.Contains(noProvider.Error(), "provider for TLS") {
		t.Errorf("without provider: %v", noProvider)
	}
	data, secret := pulumitest.Await(t, supplied.SecretData().ToStringMapOutput())
	if !secret || data.(map[string]string)["id_rsa.pub"] != pub || data.(map[string]string)["id_rsa"] != good {
		t.Errorf("supplied: %v %v", data, secret)
	}
	if _, pubSecret := pulumitest.Await(t, supplied.PublicKey); pubSecret {
		t.Error("the public key is marked secret")
	}
	key := m.Get(t, "tls:index/privateKey:PrivateKey", "made")
	if key.Parent != m.Get(t, "peerpods:test:Parent", "parent").URN || key.Provider != m.Get(t, "pulumi:providers:tls", "tls").Ref() {
		t.Errorf("key parent %s provider %s", key.Parent, key.Provider)
	}
	if _, secret := pulumitest.Await(t, generated.PrivateKey); !secret {
		t.Error("generated private key is not secret")
	}
	if len(m.OfType("tls:index/privateKey:PrivateKey")) != 1 {
		t.Errorf("keys: %v", m.Summary())
	}
}
