package settings

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// ParseHostKey reads a host key given as a known_hosts line ("host
// ssh-ed25519 AAAA...") or in authorized-key format ("ssh-ed25519 AAAA...").
func ParseHostKey(s string) (ssh.PublicKey, error) {
	s = strings.TrimSpace(s)
	if _, _, key, _, _, err := ssh.ParseKnownHosts([]byte(s)); err == nil {
		return key, nil
	}
	if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		return key, nil
	}
	return nil, fmt.Errorf("host key %q is neither a known_hosts line nor a public key", s)
}

// HostKeyAlgorithms are the host key algorithms an SSH client offers when
// it accepts only key: exactly that key's (for an RSA key, its SHA-2
// signatures). Left to its defaults, golang.org/x/crypto/ssh offers ECDSA
// before Ed25519, and a server with both presents its ECDSA key, which a
// pin to the Ed25519 key then refuses as "changed".
func HostKeyAlgorithms(key ssh.PublicKey) []string {
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{key.Type()}
}
