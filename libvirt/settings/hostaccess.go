package settings

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/problems"
	"golang.org/x/crypto/ssh"
)

// Key types of the key pair a KvmHostAccess generates.
const (
	KeyTypeRSA     = "rsa"
	KeyTypeED25519 = "ed25519"
)

// HostAccess are the arguments of SSH key access to a KVM host, as the
// KvmHostAccess inputs (provider.KvmHostAccessArgs converts to it).
type HostAccess struct {
	// Host, Port and User address the KVM host's SSH server.
	Host string
	Port int
	User string
	// Password and BootstrapPrivateKey are the credential used to install
	// the key; at least one is needed.
	Password            *string
	BootstrapPrivateKey *string
	// KnownHostKey pins the host key (known_hosts line or public key).
	KnownHostKey *string
	// PrivateKey is a key pair to install instead of a generated one.
	PrivateKey *string
	// KeyType is the type of the generated key: KeyTypeRSA or
	// KeyTypeED25519.
	KeyType string
	// LibvirtSocket is libvirtd's socket on the host, when not the default.
	LibvirtSocket *string
	// AllowedSources are the address ranges (CIDR) the key may log in
	// from; none: from anywhere.
	AllowedSources []string
}

// HostAccessNames name the settings CheckHostAccess reports problems on,
// one per HostAccess field.
type HostAccessNames struct {
	Host, Port, User, Password, BootstrapPrivateKey, PrivateKey, KnownHostKey, KeyType, LibvirtSocket, AllowedSources string
}

// CheckHostAccess validates host access arguments (after defaults); every
// problem names its setting in n. The arguments unknown holds, by
// KvmHostAccess input name (host, port, user, password,
// bootstrapPrivateKey, privateKey, knownHostKey, keyType, libvirtSocket,
// allowedSources),
// are not known yet (in a preview) and not checked; nil checks all.
func CheckHostAccess(n HostAccessNames, a HostAccess, unknown map[string]bool) error {
	u := unknown
	var ps problems.List
	switch {
	case u["host"]:
	case a.Host == "":
		ps.Add(problems.Invalid(n.Host, "is empty", "give the KVM host's name or address"))
	case strings.ContainsAny(a.Host, "/@ ?#") || strings.HasPrefix(a.Host, "["):
		ps.Add(problems.Invalid(n.Host, fmt.Sprintf("is %q, which is not a host name or address", a.Host), "give only the host's name or address, such as kvm1.example.com"))
	}
	if !u["port"] {
		ps.Add(check.Port(n.Port, a.Port))
	}
	if !u["user"] && (a.User == "" || strings.ContainsAny(a.User, "/@:; ")) {
		ps.Add(problems.Invalid(n.User, fmt.Sprintf("is %q, which is not a user name", a.User), "give the SSH user, such as root"))
	}
	if !u["password"] && !u["bootstrapPrivateKey"] && deref(a.Password) == "" && deref(a.BootstrapPrivateKey) == "" {
		ps.Add(problems.Invalid(n.Password, "and "+n.BootstrapPrivateKey+" are both unset", "give the password or an existing private key the host accepts, as secrets, to install the new key once"))
	}
	if k := deref(a.BootstrapPrivateKey); !u["bootstrapPrivateKey"] && k != "" {
		if _, err := ssh.ParsePrivateKey([]byte(k)); err != nil {
			ps.Add(problems.Invalid(n.BootstrapPrivateKey, "does not parse", "give an unencrypted OpenSSH or PEM private key"))
		}
	}
	if k := deref(a.PrivateKey); !u["privateKey"] && k != "" {
		if _, err := ssh.ParsePrivateKey([]byte(k)); err != nil {
			ps.Add(problems.Invalid(n.PrivateKey, "does not parse", "give an unencrypted OpenSSH or PEM private key, or leave it unset to generate one"))
		}
	}
	if k := deref(a.KnownHostKey); !u["knownHostKey"] && k != "" {
		if _, err := ParseHostKey(k); err != nil {
			ps.Add(problems.Invalid(n.KnownHostKey, "does not parse", `give a known_hosts line or a public key ("ssh-ed25519 AAAA...", from ssh-keyscan)`))
		}
	}
	if !u["keyType"] && a.KeyType != KeyTypeRSA && a.KeyType != KeyTypeED25519 {
		ps.Add(problems.Invalid(n.KeyType, fmt.Sprintf("is %q, which is not a key type", a.KeyType), `use "rsa" or "ed25519"`))
	}
	if s := deref(a.LibvirtSocket); !u["libvirtSocket"] && a.LibvirtSocket != nil && !strings.HasPrefix(s, "/") {
		ps.Add(problems.Invalid(n.LibvirtSocket, fmt.Sprintf("is %q, which is not an absolute path", s), "give the socket's absolute path on the host, or leave it unset"))
	}
	if !u["allowedSources"] {
		for i, r := range a.AllowedSources {
			if p, err := netip.ParsePrefix(r); err != nil || p != p.Masked() {
				ps.Add(problems.Invalid(fmt.Sprintf("%s[%d]", n.AllowedSources, i), fmt.Sprintf("is %q, which is not an address range", r),
					"give the range cloud-api-adaptor connects from (the workers' network) as CIDR with no host bits, such as 10.0.0.0/16"))
			}
		}
	}
	return ps.Err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
