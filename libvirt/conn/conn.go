// Package conn opens go-libvirt connections from libvirt URIs: the local
// system socket, a unix socket at a given path, or a remote libvirtd over
// SSH with key authentication and a pinned host key.
package conn

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"golang.org/x/crypto/ssh"
)

// DefaultRemoteSocket is where libvirtd listens on a KVM host.
const DefaultRemoteSocket = "/var/run/libvirt/libvirt-sock"

// Timeout bounds dialing (TCP/SSH handshake or unix socket connect).
const Timeout = 20 * time.Second

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

// Parse checks a libvirt URI: qemu:///system, qemu+unix:///system
// (optionally ?socket=PATH) or qemu+ssh://user@host[:port]/system
// (optionally ?socket=PATH on the host). Options that weaken SSH host key
// checking (no_verify, known_hosts_verify) are refused.
func Parse(uri string) (Target, error) {
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
	ta, err := Parse(a)
	if err != nil {
		return false, err
	}
	tb, err := Parse(b)
	if err != nil {
		return false, err
	}
	return ta.Transport == tb.Transport && strings.EqualFold(ta.Host, tb.Host), nil
}

// Credentials authenticate a qemu+ssh connection.
type Credentials struct {
	// PrivateKey is the client's private key (OpenSSH or PEM).
	PrivateKey string
	// HostKey is the host's known_hosts line or authorized-key-format
	// public key; connections to any other host key fail.
	HostKey string
}

// Open connects to the libvirtd at uri. creds are needed for qemu+ssh.
func Open(uri string, creds Credentials) (*libvirt.Libvirt, error) {
	return OpenWrapped(uri, creds, nil)
}

// OpenWrapped is Open with every byte the client sends passing through
// wrap(conn), for protocol extensions go-libvirt lacks (see package
// upload). wrap may be nil.
func OpenWrapped(uri string, creds Credentials, wrap func(net.Conn) net.Conn) (*libvirt.Libvirt, error) {
	t, err := Parse(uri)
	if err != nil {
		return nil, err
	}
	var d socket.Dialer
	switch t.Transport {
	case "unix":
		opts := []dialers.LocalOption{dialers.WithLocalTimeout(Timeout)}
		if t.Socket != "" {
			opts = append(opts, dialers.WithSocket(t.Socket))
		}
		d = dialers.NewLocal(opts...)
	case "ssh":
		if d, err = NewSSHDialer(t, creds); err != nil {
			return nil, err
		}
	}
	if wrap != nil {
		d = wrappedDialer{d, wrap}
	}
	l := libvirt.NewWithDialer(d)
	if err := l.ConnectToURI(libvirt.QEMUSystem); err != nil {
		return nil, fmt.Errorf("connecting to libvirt at %s: %w", Redact(uri), err)
	}
	return l, nil
}

// SSHDialer dials libvirtd's unix socket on a KVM host through an SSH
// connection (a direct-streamlocal channel, as OpenSSH's ssh -W does):
// key authentication, and only the pinned host key is accepted. The key
// never touches the disk, and closing the connection closes the SSH
// client too.
type SSHDialer struct {
	addr, socket string
	config       *ssh.ClientConfig
}

// NewSSHDialer checks the credentials for the qemu+ssh target t.
func NewSSHDialer(t Target, creds Credentials) (*SSHDialer, error) {
	if creds.PrivateKey == "" {
		return nil, fmt.Errorf("libvirt URI %s: qemu+ssh needs a private key", t.URI)
	}
	if creds.HostKey == "" {
		return nil, fmt.Errorf("libvirt URI %s: qemu+ssh needs the host's pinned host key", t.URI)
	}
	signer, err := ssh.ParsePrivateKey([]byte(creds.PrivateKey))
	if err != nil {
		return nil, errors.New("the SSH private key does not parse")
	}
	key, err := ParseHostKey(creds.HostKey)
	if err != nil {
		return nil, err
	}
	remote := t.Socket
	if remote == "" {
		remote = DefaultRemoteSocket
	}
	return &SSHDialer{addr: t.Addr(), socket: remote, config: &ssh.ClientConfig{
		User: t.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: pinned(t.Addr(), key), Timeout: Timeout,
	}}, nil
}

// pinned accepts only key, naming both keys when another is presented.
func pinned(addr string, key ssh.PublicKey) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, got ssh.PublicKey) error {
		if !bytes.Equal(got.Marshal(), key.Marshal()) {
			return fmt.Errorf("the SSH host key of %s is %s %s, not the pinned %s %s",
				addr, got.Type(), ssh.FingerprintSHA256(got), key.Type(), ssh.FingerprintSHA256(key))
		}
		return nil
	}
}

// Dial connects to the host and opens a channel to libvirtd's socket.
func (d *SSHDialer) Dial() (net.Conn, error) {
	client, err := ssh.Dial("tcp", d.addr, d.config)
	if err != nil {
		return nil, err
	}
	c, err := client.Dial("unix", d.socket)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("libvirtd socket %s on %s: %w", d.socket, d.addr, err)
	}
	return &sshConn{Conn: c, client: client}, nil
}

// sshConn is a channel whose Close also closes its SSH client.
type sshConn struct {
	net.Conn
	client *ssh.Client
}

func (c *sshConn) Close() error {
	return errors.Join(c.Conn.Close(), c.client.Close())
}

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

type wrappedDialer struct {
	socket.Dialer
	wrap func(net.Conn) net.Conn
}

func (w wrappedDialer) Dial() (net.Conn, error) {
	c, err := w.Dialer.Dial()
	if err != nil {
		return nil, err
	}
	return w.wrap(c), nil
}
