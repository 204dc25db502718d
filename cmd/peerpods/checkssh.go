package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/peerpods/provisioner/components/backoff"
	"github.com/peerpods/provisioner/libvirt/conn"
	"golang.org/x/crypto/ssh"
)

// How peerpods check reaches a libvirtd over qemu+ssh (the fact says which).
const (
	// transportOpenSSH is cloud-api-adaptor's own transport: libvirt's ssh
	// transport, which runs the OpenSSH client. cloud-api-adaptor's libvirt
	// provider opens LIBVIRT_URI with the libvirt C library
	// (openshift/cloud-api-adaptor, branch osc-release-v1.12,
	// src/cloud-providers/libvirt/libvirt.go, NewLibvirtClient:
	// libvirt.NewConnect(libvirtCfg.URI)), and its image installs
	// /usr/bin/ssh for that (src/cloud-api-adaptor/Dockerfile.openshift:
	// "dnf install -y libvirt-libs /usr/bin/ssh"). ssh-key-secret is
	// mounted at /root/.ssh, mode 0600 (src/cloud-api-adaptor/install/yamls/caa-pod.yaml;
	// the operator's processDaemonsetForCAA does the same), so OpenSSH
	// finds id_rsa and known_hosts there.
	transportOpenSSH = "virsh over libvirt's qemu+ssh transport (OpenSSH), as cloud-api-adaptor connects"
	// transportGo is the fallback without the OpenSSH client or virsh.
	transportGo = "Go's SSH client (go-libvirt), not cloud-api-adaptor's OpenSSH: ssh, ssh-agent, ssh-add or virsh is not on PATH"
)

// opensshTools are the programs the OpenSSH path runs, looked up on PATH.
var opensshTools = []string{"ssh", "ssh-agent", "ssh-add", "virsh"}

// lookOpenSSH finds the OpenSSH client, its agent and virsh on PATH; ok
// is false when one is missing.
func lookOpenSSH() (paths map[string]string, ok bool) {
	paths = map[string]string{}
	for _, t := range opensshTools {
		p, err := exec.LookPath(t)
		if err != nil {
			return nil, false
		}
		paths[t] = p
	}
	return paths, true
}

// opensshError is a failed virsh over qemu+ssh: what failed (the key, the
// host key, the pool, the volume, or the connection) and virsh's words.
type opensshError struct {
	kind   string
	output string
}

// The kinds of opensshError.
const (
	failHostKey = "hostkey"
	failKey     = "key"
	failPool    = "pool"
	failConnect = "connect"
)

func (e *opensshError) Error() string { return e.output }

// virshOverSSH lists pool's volumes on the libvirtd of uri (qemu+ssh)
// the way cloud-api-adaptor's libvirt connects: libvirt's own ssh
// transport runs OpenSSH, which authenticates with ssh-key-secret's
// id_rsa and checks the host against its known_hosts only (no other
// file: OpenSSH's StrictHostKeyChecking default, "ask", refuses an
// unknown or changed key without a terminal, as in cloud-api-adaptor's
// pod, so "yes" here). It returns the volumes' names.
//
// Nothing of the private key reaches a file, an argument or the
// environment: an ssh-agent of its own, on a socket in a private
// directory, gets it from ssh-add on stdin ("ssh-add -"), and OpenSSH
// asks that agent for the signature (IdentityAgent), offering only that
// key (IdentitiesOnly with its public key as IdentityFile). OpenSSH takes
// ~ from the password database, not $HOME, so the private home's
// .ssh/known_hosts is named with UserKnownHostsFile and no ssh_config is
// read (-F none): the user's own keys, known hosts and configuration play
// no part. libvirt runs "ssh" from PATH (with -p, -l, -T, -e none and the
// remote command; libvirt docs/uri.rst "ssh transport"), so the private
// home's bin/ssh, first on PATH, adds those options and runs the real one.
func virshOverSSH(ctx context.Context, tools map[string]string, uri, pool, privateKey, knownHosts string) ([]string, error) {
	signer, err := ssh.ParsePrivateKey([]byte(privateKey))
	if err != nil {
		return nil, &opensshError{failKey, "id_rsa of ssh-key-secret does not parse as an unencrypted private key"}
	}
	home, err := os.MkdirTemp("", "peerpods-check-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	dotSSH, bin := filepath.Join(home, ".ssh"), filepath.Join(home, "bin")
	for _, d := range []string{dotSSH, bin} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	knownHostsFile, publicKeyFile := filepath.Join(dotSSH, "known_hosts"), filepath.Join(dotSSH, "id_rsa.pub")
	if err := os.WriteFile(knownHostsFile, []byte(knownHosts), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(publicKeyFile, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		return nil, err
	}
	sock, sshLog := filepath.Join(home, "agent.sock"), filepath.Join(home, "ssh.log")
	stop, err := startAgent(ctx, tools, sock, privateKey)
	if err != nil {
		return nil, err
	}
	defer stop()
	wrapper := "#!/bin/sh\nexec " + shellQuote(tools["ssh"]) + " -F none" +
		" -o " + shellQuote("UserKnownHostsFile="+knownHostsFile) + " -o GlobalKnownHostsFile=/dev/null" +
		" -o StrictHostKeyChecking=yes -o BatchMode=yes" +
		" -o IdentitiesOnly=yes -o " + shellQuote("IdentityFile="+publicKeyFile) + " -o " + shellQuote("IdentityAgent="+sock) +
		fmt.Sprintf(" -o ConnectTimeout=%d", int(conn.Timeout/time.Second)) + ` "$@" 2>>` + shellQuote(sshLog) + "\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o700); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*conn.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tools["virsh"], "-q", "-c", uri, "vol-list", "--pool", pool)
	cmd.Env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + home, "LC_ALL=C",
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR=" + home, "SSH_AUTH_SOCK=" + sock,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		said, _ := os.ReadFile(sshLog)
		return nil, classify(strings.TrimSpace(stderr.String()), lastLine(string(said)), err)
	}
	var names []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// lastLine is the last line of s with text: what OpenSSH says last is
// why it gave up ("Host key verification failed.", "...: Permission
// denied (publickey).").
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// classify names what virsh's failure over qemu+ssh means, from the
// words of virsh (stderr) and of OpenSSH (ssh, its last line).
// OpenSSH's stderr goes to a file of the private home rather than to
// libvirt, which keeps only a short read of it: the warning of a changed
// host key overflows it ("Cannot recv data: Value too large for defined
// data type").
func classify(stderr, ssh string, err error) *opensshError {
	out := strings.Join(strings.Fields(stderr), " ")
	if out == "" {
		out = err.Error()
	}
	if ssh != "" {
		out += "; ssh: " + ssh
	}
	switch {
	case strings.Contains(out, "Host key verification failed"), strings.Contains(out, "REMOTE HOST IDENTIFICATION HAS CHANGED"):
		return &opensshError{failHostKey, out}
	case strings.Contains(out, "Permission denied"):
		return &opensshError{failKey, out}
	case strings.Contains(out, "Storage pool not found"), strings.Contains(out, "failed to get pool"):
		return &opensshError{failPool, out}
	}
	return &opensshError{failConnect, out}
}

// startAgent runs an ssh-agent of its own in the foreground on sock, waits
// until the socket accepts a connection and gives it privateKey through ssh-add's stdin. stop
// ends the agent (the key goes with its memory).
func startAgent(ctx context.Context, tools map[string]string, sock, privateKey string) (stop func(), err error) {
	agent := exec.Command(tools["ssh-agent"], "-D", "-a", sock)
	agent.Env = []string{"PATH=" + os.Getenv("PATH")}
	var agentErr bytes.Buffer
	agent.Stderr = &agentErr
	if err := agent.Start(); err != nil {
		return nil, fmt.Errorf("starting ssh-agent: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = agent.Wait(); close(exited) }()
	stop = func() {
		_ = agent.Process.Kill()
		<-exited
	}
	up := false
	if _, err := backoff.Poll(ctx, backoff.Backoff{First: 5 * time.Millisecond, Max: 200 * time.Millisecond, Bound: 10 * time.Second}, nil,
		func(context.Context) (bool, error) {
			select {
			case <-exited:
				return false, errors.New("ssh-agent exited: " + strings.TrimSpace(agentErr.String()))
			default:
			}
			// Up when it accepts a connection: the socket file exists
			// from ssh-agent's bind, before its listen, and a connect
			// in between is refused (seen under load).
			c, err := net.Dial("unix", sock)
			if up = err == nil; up {
				c.Close()
			}
			return up, nil
		}); err != nil || !up {
		stop()
		if err == nil {
			err = errors.New("its socket did not appear in 10 s")
		}
		return nil, fmt.Errorf("starting ssh-agent: %w", err)
	}
	add := exec.CommandContext(ctx, tools["ssh-add"], "-q", "-")
	add.Env = []string{"PATH=" + os.Getenv("PATH"), "SSH_AUTH_SOCK=" + sock}
	add.Stdin = strings.NewReader(strings.TrimSpace(privateKey) + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		stop()
		// ssh-add names the file ("(stdin)"), never the key's content.
		return nil, &opensshError{failKey, "ssh-add refused id_rsa of ssh-key-secret: " + strings.TrimSpace(string(out))}
	}
	return stop, nil
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
