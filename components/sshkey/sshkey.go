package sshkey

import (
	"fmt"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"
)

// SSHKeyPairArgs are the inputs of NewSSHKeyPair.
type SSHKeyPairArgs struct {
	// PrivateKey is a key the user supplies (OpenSSH or PEM); nil generates
	// an RSA 4096 key with the TLS provider passed in the options.
	PrivateKey pulumi.StringInput
}

// SSHKeyPair is an SSH key pair for ssh-key-secret: id_rsa (secret) and
// id_rsa.pub.
type SSHKeyPair struct {
	// PrivateKey is the private key in OpenSSH format, a secret.
	PrivateKey pulumi.StringOutput
	// PublicKey is the public key in authorized_keys format.
	PublicKey pulumi.StringOutput
}

// SecretData is the ssh-key-secret data.
func (k *SSHKeyPair) SecretData() pulumi.StringMap {
	return pulumi.StringMap{contract.KeySSHPrivateKey: k.PrivateKey, contract.KeySSHPublicKey: k.PublicKey}
}

// CheckPrivateKey checks that key parses as an unencrypted SSH private key.
// The error never contains the key.
func CheckPrivateKey(setting, key string) error {
	if _, err := ssh.ParsePrivateKey([]byte(key)); err != nil {
		problem := "is not an SSH private key"
		if _, ok := err.(*ssh.PassphraseMissingError); ok {
			problem = "is protected by a passphrase"
		}
		return problems.Invalid(setting, problem, "supply an unencrypted private key in OpenSSH or PEM format (ssh-keygen -t rsa -b 4096 -N '')")
	}
	return nil
}

// PublicKeyOf derives the authorized_keys line of a private key.
func PublicKeyOf(privateKey string) (string, error) {
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	if err != nil {
		return "", fmt.Errorf("parsing the SSH private key: %w", err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), nil
}

// Check checks, before anything is registered, that the key pair can be
// made: a supplied key, or a TLS provider in opts to generate one.
func (a SSHKeyPairArgs) Check(opts []pulumi.ResourceOption) error {
	if a.PrivateKey != nil {
		return nil
	}
	_, err := providers.RequireProvider("tls", "TLS (to generate the SSH key)", opts)
	return err
}

// NewSSHKeyPair returns the supplied key pair, or generates one as a
// tls.PrivateKey child of parent with the TLS provider from opts. The
// private key is secret in state and outputs.
func NewSSHKeyPair(ctx *pulumi.Context, name string, args SSHKeyPairArgs, parent pulumi.Resource, opts ...pulumi.ResourceOption) (*SSHKeyPair, error) {
	if args.PrivateKey != nil {
		priv := pulumi.ToSecret(args.PrivateKey).(pulumi.StringOutput)
		pub := pulumi.Unsecret(priv.ApplyT(PublicKeyOf)).(pulumi.StringOutput)
		return &SSHKeyPair{PrivateKey: priv, PublicKey: pub}, nil
	}
	if err := args.Check(opts); err != nil {
		return nil, err
	}
	provider, _ := providers.RequireProvider("tls", "TLS", opts)
	key, err := tls.NewPrivateKey(ctx, name, &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("RSA"),
		RsaBits:   pulumi.Int(4096),
	}, pulumi.Parent(parent), pulumi.Provider(provider),
		pulumi.AdditionalSecretOutputs([]string{"privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"}))
	if err != nil {
		return nil, err
	}
	return &SSHKeyPair{
		PrivateKey: pulumi.ToSecret(key.PrivateKeyOpenssh).(pulumi.StringOutput),
		PublicKey:  key.PublicKeyOpenssh.ApplyT(strings.TrimSpace).(pulumi.StringOutput),
	}, nil
}
