package conn

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerpods/provisioner/libvirt/settings"
	"golang.org/x/crypto/ssh"
)

func newSigner(t *testing.T) (ssh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return signer, string(pem.EncodeToMemory(block))
}

// sshServer is an SSH server (golang.org/x/crypto/ssh's) that lets in
// clientKey and forwards direct-streamlocal channels to unix sockets, as
// OpenSSH's sshd does for AllowStreamLocalForwarding; closed receives once
// per client connection when it ends.
func sshServer(t *testing.T, hostKey ssh.Signer, clientKey ssh.PublicKey) (addr string, closed chan struct{}) {
	t.Helper()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) == string(clientKey.Marshal()) {
			return nil, nil
		}
		return nil, io.EOF
	}}
	cfg.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	closed = make(chan struct{}, 4)
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
				if err != nil {
					nc.Close()
					return
				}
				go ssh.DiscardRequests(reqs)
				go func() {
					for nch := range chans {
						if nch.ChannelType() != "direct-streamlocal@openssh.com" {
							nch.Reject(ssh.UnknownChannelType, "no")
							continue
						}
						var req struct {
							Path      string
							Reserved0 string
							Reserved1 uint32
						}
						if err := ssh.Unmarshal(nch.ExtraData(), &req); err != nil {
							nch.Reject(ssh.ConnectionFailed, err.Error())
							continue
						}
						uc, err := net.Dial("unix", req.Path)
						if err != nil {
							nch.Reject(ssh.ConnectionFailed, err.Error())
							continue
						}
						ch, creqs, err := nch.Accept()
						if err != nil {
							uc.Close()
							continue
						}
						go ssh.DiscardRequests(creqs)
						go func() { io.Copy(uc, ch); uc.Close() }()
						go func() { io.Copy(ch, uc); ch.Close() }()
					}
				}()
				sc.Wait()
				closed <- struct{}{}
			}()
		}
	}()
	return l.Addr().String(), closed
}

// echoSocket is a unix socket that echoes what it reads.
func echoSocket(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "libvirt-sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return path
}

// TestSSHDialer: the dialer reaches the socket on the host through the
// SSH connection with the key held in memory, and closing the connection
// closes the SSH client (the server sees the client go); another host key
// than the pinned one is refused, naming both fingerprints.
func TestSSHDialer(t *testing.T) {
	hostKey, _ := newSigner(t)
	clientSigner, clientPEM := newSigner(t)
	addr, closed := sshServer(t, hostKey, clientSigner.PublicKey())
	socket := echoSocket(t)
	host, port, _ := net.SplitHostPort(addr)
	target := settings.Target{URI: "qemu+ssh://u@" + addr + "/system", Transport: "ssh", User: "u", Host: host, Port: port, Socket: socket}
	pinnedKey := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostKey.PublicKey())))

	d, err := NewSSHDialer(target, Credentials{PrivateKey: clientPEM, HostKey: pinnedKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Dial()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo %q %v", buf, err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(Timeout):
		t.Fatal("the SSH client stayed connected after Close")
	}

	other, _ := newSigner(t)
	d, err = NewSSHDialer(target, Credentials{PrivateKey: clientPEM, HostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other.PublicKey())))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Dial(); err == nil || !strings.Contains(err.Error(), "not the pinned") || !strings.Contains(err.Error(), ssh.FingerprintSHA256(hostKey.PublicKey())) {
		t.Fatalf("another host key: %v", err)
	}

	for _, creds := range []Credentials{{HostKey: pinnedKey}, {PrivateKey: clientPEM}, {PrivateKey: "x", HostKey: pinnedKey}} {
		if _, err := NewSSHDialer(target, creds); err == nil || strings.Contains(err.Error(), clientPEM) {
			t.Errorf("bad credentials accepted or echoed: %v", err)
		}
	}
}
