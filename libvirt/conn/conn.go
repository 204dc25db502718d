// Package conn opens go-libvirt connections from libvirt URIs (as
// settings.ParseURI reads them): the local system socket, a unix socket at
// a given path, or a remote libvirtd over SSH with key authentication and
// a pinned host key.
package conn

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/peerpods/provisioner/libvirt/settings"
	"golang.org/x/crypto/ssh"
)

// DefaultRemoteSocket is where libvirtd listens on a KVM host.
const DefaultRemoteSocket = "/var/run/libvirt/libvirt-sock"

// Timeout bounds dialing (TCP/SSH handshake or unix socket connect).
const Timeout = 20 * time.Second

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
	t, err := settings.ParseURI(uri)
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
		return nil, fmt.Errorf("connecting to libvirt at %s: %w", settings.Redact(uri), err)
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
func NewSSHDialer(t settings.Target, creds Credentials) (*SSHDialer, error) {
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
	key, err := settings.ParseHostKey(creds.HostKey)
	if err != nil {
		return nil, err
	}
	remote := t.Socket
	if remote == "" {
		remote = DefaultRemoteSocket
	}
	return &SSHDialer{addr: t.Addr(), socket: remote, config: &ssh.ClientConfig{
		User: t.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: pinned(t.Addr(), key), HostKeyAlgorithms: settings.HostKeyAlgorithms(key), Timeout: Timeout,
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

// errKeySeen ends a handshake once the host key is read.
var errKeySeen = errors.New("host key read")

// PresentedHostKey connects to the SSH server at addr without any
// credential and returns the host key it presents, offering pinned's
// algorithms when a key is pinned (settings.HostKeyAlgorithms) and the
// client's defaults otherwise. Nothing is authenticated: the handshake
// ends after the key exchange.
func PresentedHostKey(addr string, pinned ssh.PublicKey) (ssh.PublicKey, error) {
	var seen ssh.PublicKey
	cfg := &ssh.ClientConfig{User: "peerpods-host-key-check", Timeout: Timeout,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error { seen = key; return errKeySeen }}
	if pinned != nil {
		cfg.HostKeyAlgorithms = settings.HostKeyAlgorithms(pinned)
	}
	c, err := ssh.Dial("tcp", addr, cfg)
	if err == nil {
		c.Close()
	}
	if seen != nil {
		return seen, nil
	}
	return nil, fmt.Errorf("reading the SSH host key of %s: %w", addr, err)
}
