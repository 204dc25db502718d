package settings

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
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

// KnownHostsKey finds the key known_hosts content holds for addr
// (host:port), as OpenSSH looks it up: a plain or hashed (|1|) host
// pattern of the address ("host" for port 22, "[host]:port" otherwise),
// revoked (@revoked) entries refused. It returns the key in
// authorized-key format, for Credentials.HostKey.
func KnownHostsKey(knownHosts, addr string) (string, error) {
	want := knownhosts.Normalize(addr)
	rest := []byte(knownHosts)
	for {
		marker, hosts, key, _, next, err := ssh.ParseKnownHosts(rest)
		if err != nil {
			break // io.EOF, or a line OpenSSH would skip too
		}
		rest = next
		for _, h := range hosts {
			if h == want || strings.HasPrefix(h, "|1|") && hashedMatch(h, want) {
				if marker == "revoked" {
					return "", fmt.Errorf("known_hosts revokes the key of %s", want)
				}
				return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key))), nil
			}
		}
	}
	return "", fmt.Errorf("known_hosts has no key for %s (OpenSSH would refuse the host)", want)
}

// hashedMatch reports whether the hashed known_hosts pattern |1|salt|hash
// is host's.
func hashedMatch(pattern, host string) bool {
	parts := strings.Split(pattern, "|")
	if len(parts) != 4 {
		return false
	}
	salt, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)) == parts[3]
}
