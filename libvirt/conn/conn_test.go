package conn

import (
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestOpenSSHNeedsPinnedKey(t *testing.T) {
	if _, err := Open("qemu+ssh://root@127.0.0.1:1/system", Credentials{PrivateKey: "x"}); err == nil || !strings.Contains(err.Error(), "host key") {
		t.Errorf("without host key: %v", err)
	}
	if _, err := Open("qemu+ssh://root@127.0.0.1:1/system", Credentials{HostKey: "x"}); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("without private key: %v", err)
	}
}

// TestOpenNotLibvirt: a unix socket that is not libvirtd's fails the
// connection, naming the URI, through the wrap as without it; a bad URI
// fails before any dialing.
func TestOpenNotLibvirt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not-libvirt-sock")
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
			c.Close()
		}
	}()
	uri := "qemu+unix:///system?socket=" + path
	var wrapped atomic.Bool
	wrap := func(c net.Conn) net.Conn { wrapped.Store(true); return c }
	if _, err := OpenWrapped(uri, Credentials{}, wrap); err == nil || !strings.Contains(err.Error(), "connecting to libvirt at "+uri) {
		t.Errorf("not libvirt: %v", err)
	}
	if !wrapped.Load() {
		t.Error("the connection did not pass through wrap")
	}
	if _, err := Open("qemu+tcp://h/system", Credentials{}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("bad URI: %v", err)
	}
}
