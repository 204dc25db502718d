// Package sshtest serves SSH (golang.org/x/crypto/ssh) on loopback for
// tests of clients: the handshake and authentication as cfg says, then the
// connection is closed.
package sshtest

import (
	"net"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Serve accepts SSH connections on a loopback port until the test ends and
// returns the address. Each connection runs the handshake with cfg, has
// its channels refused, and is closed.
func Serve(t testing.TB, cfg *ssh.ServerConfig) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
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
			go func() {
				defer c.Close()
				sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
				if err != nil {
					return
				}
				defer sc.Close()
				go ssh.DiscardRequests(reqs)
				for ch := range chans {
					_ = ch.Reject(ssh.Prohibited, "sshtest")
				}
			}()
		}
	}()
	return l.Addr().String()
}
