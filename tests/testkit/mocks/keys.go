// Package mocks holds the fakes of the clouds for tests on Pulumi mocks:
// what each cloud's discovery invokes answer, the outputs its resources
// get, stack secret values and fixed SSH key pairs.
package mocks

import (
	"bytes"
	"crypto/ed25519"
	"encoding/pem"
	"strings"

	"github.com/peerpods/provisioner/tests/testkit/pulumitest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"golang.org/x/crypto/ssh"
)

// Mocks are a cloud's fakes for tests on Pulumi mocks.
type Mocks struct {
	// Resources give the resources of a type token their ID and outputs.
	Resources map[string]func(name string, inputs resource.PropertyMap) (string, resource.PropertyMap)
	// Calls answer the invokes of a token.
	Calls map[string]func(args resource.PropertyMap) (resource.PropertyMap, error)
	// Secrets are stack secret values (peerpods:<key> -> value) a user
	// of the example stacks sets.
	Secrets map[string]string
	// Fixup adapts an example stack's configuration (key -> value as the
	// engine hands it) to a test machine, with dir a temporary directory;
	// nil changes nothing.
	Fixup func(dir string, config map[string]string) error
}

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

// Recording are the fakes on pulumitest's recording mocks: a monitor for
// pulumi.WithMocks that answers as the cloud does and records the
// resource graph.
func (m Mocks) Recording() *pulumitest.Mocks {
	r := &pulumitest.Mocks{Calls: map[string]pulumitest.CallFunc{}, Fakes: map[string]pulumitest.FakeFunc{}}
	for k, f := range m.Calls {
		r.Calls[k] = f
	}
	for k, f := range m.Resources {
		r.Fakes[k] = f
	}
	return r
}
