package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"

	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/settings"
	"golang.org/x/crypto/ssh"
)

// hostConfig is the part of peerpods:libvirt that names a remote KVM host:
// the fields of libvirt.Host, which the command does not import (a build
// for one public cloud links no libvirt component: stacks TestOneCloudBuild).
type hostConfig struct {
	Host *struct {
		Address          string `json:"address"`
		Port             int    `json:"port"`
		KnownHostKey     string `json:"knownHostKey"`
		AcceptNewHostKey bool   `json:"acceptNewHostKey"`
	} `json:"host"`
}

// hostKeyNote reads, without any credential, the key the KVM host of a
// libvirt stack presents (peerpods:libvirt as the stack file has it), and
// says whether it is the pinned one, for the preview and its report: the
// reviewer confirms the key before the merge sends the bootstrap password.
// It returns "" for a stack without a remote host.
func hostKeyNote(libvirtConfig string) string {
	var c hostConfig
	if libvirtConfig == "" || json.Unmarshal([]byte(libvirtConfig), &c) != nil || c.Host == nil || c.Host.Address == "" {
		return ""
	}
	port := c.Host.Port
	if port == 0 {
		port = 22
	}
	addr := net.JoinHostPort(c.Host.Address, strconv.Itoa(port))
	var pinned ssh.PublicKey
	if c.Host.KnownHostKey != "" {
		if k, err := settings.ParseHostKey(c.Host.KnownHostKey); err == nil {
			pinned = k
		}
	}
	got, err := conn.PresentedHostKey(addr, pinned)
	switch {
	case err != nil:
		return fmt.Sprintf("The KVM host %s could not be reached from here to read its SSH host key (%v): confirm libvirt.host.knownHostKey on the host before merging.", addr, err)
	case pinned == nil:
		return fmt.Sprintf("The KVM host %s presents the SSH host key %s %s, which no setting pins (libvirt.host.acceptNewHostKey): confirm it on the host (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub) and pin it as libvirt.host.knownHostKey before merging.",
			addr, got.Type(), ssh.FingerprintSHA256(got), keyFileName(got.Type()))
	case string(got.Marshal()) != string(pinned.Marshal()):
		return fmt.Sprintf("The KVM host %s presents the SSH host key %s %s, NOT the pinned %s %s: do not merge until that is explained.",
			addr, got.Type(), ssh.FingerprintSHA256(got), pinned.Type(), ssh.FingerprintSHA256(pinned))
	}
	return fmt.Sprintf("The KVM host %s presents the pinned SSH host key %s %s.", addr, got.Type(), ssh.FingerprintSHA256(got))
}

// keyFileName is the part of OpenSSH's host key file name for a key type.
func keyFileName(typ string) string {
	switch typ {
	case ssh.KeyAlgoED25519:
		return "ed25519"
	case ssh.KeyAlgoRSA:
		return "rsa"
	}
	return "ecdsa"
}

// stackHostKeyNote is hostKeyNote for the stack's own configuration.
func (s *stack) stackHostKeyNote(ctx context.Context) string {
	v, err := s.GetConfig(ctx, "peerpods:libvirt")
	if err != nil {
		return ""
	}
	return hostKeyNote(v.Value)
}
