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
