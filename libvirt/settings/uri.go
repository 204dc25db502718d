// Package settings holds the rules of the libvirt settings that both the
// peerpods provider's Check (package libvirt/provider) and the component's
// Validate (package libvirt) apply, once each: libvirt URIs, SSH host
// keys, the defaults and checks of storage pools, volumes and KVM host
// access. It links no libvirt client (go-libvirt) and no provider
// framework, so that the program validates its settings without them.
package settings

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Target is a parsed libvirt URI.
type Target struct {
	// URI is the URI as given.
	URI string
	// Transport is "unix" or "ssh".
	Transport string
	// Socket is the libvirtd socket: local for unix, on the host for ssh;
	// empty for the default.
	Socket string
	// User, Host and Port address the SSH server (ssh only).
	User, Host, Port string
}

// Addr is the SSH server's host:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, t.Port) }

// ParseURI checks a libvirt URI: qemu:///system, qemu+unix:///system
// (optionally ?socket=PATH) or qemu+ssh://user@host[:port]/system
// (optionally ?socket=PATH on the host). Options that weaken SSH host key
// checking (no_verify, known_hosts_verify) are refused.
func ParseURI(uri string) (Target, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return Target{}, fmt.Errorf("libvirt URI %q: %w", uri, err)
	}
	t := Target{URI: uri}
	switch u.Scheme {
	case "qemu", "qemu+unix":
		t.Transport = "unix"
		if u.Host != "" {
			return Target{}, fmt.Errorf("libvirt URI %q: a host needs qemu+ssh://", uri)
		}
	case "qemu+ssh":
		t.Transport = "ssh"
		t.Host, t.Port, t.User = u.Hostname(), u.Port(), u.User.Username()
		if t.Host == "" {
			return Target{}, fmt.Errorf("libvirt URI %q: qemu+ssh needs a host", uri)
		}
		if _, hasPassword := u.User.Password(); hasPassword {
			return Target{}, fmt.Errorf("libvirt URI %q: carries a password; use key authentication", "qemu+ssh://"+t.User+"@"+t.Addr())
		}
		if t.Port == "" {
			t.Port = "22"
		}
		if t.User == "" {
			t.User = "root"
		}
	default:
		return Target{}, fmt.Errorf("libvirt URI %q: scheme %q is not supported; use qemu:///system, qemu+unix:///system?socket=PATH or qemu+ssh://user@host/system", uri, u.Scheme)
	}
	if u.Path != "/system" {
		return Target{}, fmt.Errorf("libvirt URI %q: path %q is not supported; use /system", uri, u.Path)
	}
	q := u.Query()
	for k := range q {
		if k != "socket" {
			return Target{}, fmt.Errorf("libvirt URI %q: option %q is not supported (host keys are always checked)", uri, k)
		}
	}
	t.Socket = q.Get("socket")
	if t.Socket != "" && !filepath.IsAbs(t.Socket) {
		return Target{}, fmt.Errorf("libvirt URI %q: socket %q is not an absolute path", uri, t.Socket)
	}
	return t, nil
}

// SameHost reports whether two libvirt URIs name the same machine: both
// local (unix socket), or both qemu+ssh to the same host name (compared
// case-insensitively). The socket, the SSH port and user are how the
// machine is reached, not which machine it is.
func SameHost(a, b string) (bool, error) {
	ta, err := ParseURI(a)
	if err != nil {
		return false, err
	}
	tb, err := ParseURI(b)
	if err != nil {
		return false, err
	}
	return ta.Transport == tb.Transport && strings.EqualFold(ta.Host, tb.Host), nil
}

// Redact drops any user information but the user name from a URI for
// messages.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		return uri
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// LibvirtURI is the qemu+ssh URI of a KVM host's libvirtd (socket empty:
// the default), as KvmHostAccess outputs it (libvirtUri).
func LibvirtURI(user, host string, port int, socket string) string {
	u := url.URL{Scheme: "qemu+ssh", User: url.User(user), Host: host, Path: "/system"}
	if port != 22 {
		u.Host = net.JoinHostPort(host, strconv.Itoa(port))
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	}
	if socket != "" {
		u.RawQuery = url.Values{"socket": {socket}}.Encode()
	}
	return u.String()
}
