//go:build e2e

package tests

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/internal/e2eenv"
	"github.com/peerpods/provisioner/internal/kubetest"
	"golang.org/x/crypto/ssh"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// remoteStack is the libvirt-example stack of stacks/ pointed at the e2e
// sshd (as the KVM host: its user, password and libvirtd socket), a fresh
// pool and a generated image, with the handoff rendered as manifests.
func remoteStack(h *harness, root, tmp string) string {
	t := h.t
	addr := e2eenv.Require(t, "PEERPODS_E2E_SSH_ADDR")
	host, port, _ := strings.Cut(addr, ":")
	image := filepath.Join(tmp, "podvm.qcow2")
	h.run("qemu-img", "create", "-q", "-f", "qcow2", image, "64M")
	return exampleStack(t, root, "libvirt-example",
		"peerpods:handoff: cluster", "peerpods:handoff: manifests",
		"address: kvm.example.com", "address: "+host,
		"port: 22", "port: "+port,
		"user: root", "user: "+e2eenv.Require(t, "PEERPODS_E2E_SSH_USER")+"\n      libvirtSocket: "+e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_SOCKET"),
		"pool: peerpods", "pool: "+h.pool,
		"dir: /var/lib/libvirt/images", "dir: "+h.poolDir,
		"image: /var/tmp/peerpods/podvm.qcow2", "image: "+image,
	)
}

// TestEngineKnownHostsReachCAA: a remote-KVM-host stack on the real engine
// hands ssh-key-secret over with known_hosts (the pinned host key) and a
// LIBVIRT_URI without no_verify. cloud-api-adaptor mounts the whole secret
// at /root/.ssh (the operator's processDaemonsetForCAA) and its libvirt
// runs OpenSSH for qemu+ssh. So virsh, a client this project did not
// write, is run the same way: as root, with exactly the handoff's
// ssh-key-secret files (mode 0600) in /root/.ssh and HOME=/root (in a
// private mount namespace: OpenSSH takes ~ from the password database, not
// from $HOME), host-key checking on. pool-info and vol-info work; with a
// wrong known_hosts, virsh is refused.
func TestEngineKnownHostsReachCAA(t *testing.T) {
	h := newHarness(t, "libvirt-remote-e2e", remoteStack)
	password, err := os.ReadFile(e2eenv.Require(t, "PEERPODS_E2E_SSH_PASSWORD_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "libvirtHostPassword", strings.TrimSpace(string(password)), "--stack", h.stack)
	t.Cleanup(func() {
		if h.poolExists() {
			h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--stack", h.stack, "--dir", h.dir)
		}
	})
	h.peerpods(0, "up")

	outs, _ := h.outputs("--show-secrets")
	manifests, _ := outs["manifests"].(string)
	objs, err := kubetest.DecodeYAML([]byte(manifests))
	if err != nil || len(objs) == 0 {
		t.Fatalf("manifests output: %v\n%s", err, manifests)
	}
	secretData := func(name string) map[string]string {
		o := find(t, objs, "Secret", name)
		m, _, _ := unstructured.NestedStringMap(o.Object, "data")
		for k, v := range m {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatal(err)
			}
			m[k] = string(b)
		}
		return m
	}
	keys := secretData("ssh-key-secret")
	uri := secretData("peer-pods-secret")["LIBVIRT_URI"]
	if strings.Contains(uri, "no_verify") || !strings.HasPrefix(uri, "qemu+ssh://") {
		t.Fatalf("LIBVIRT_URI %q", uri)
	}
	addr := e2eenv.Require(t, "PEERPODS_E2E_SSH_ADDR")
	host, port, _ := strings.Cut(addr, ":")
	if p, _ := strconv.Atoi(port); p != 22 && !strings.HasPrefix(keys["known_hosts"], "["+host+"]:"+port+" ") {
		t.Errorf("known_hosts %q does not name [%s]:%s", keys["known_hosts"], host, port)
	}
	if len(keys) != 3 || keys["id_rsa"] == "" || keys["id_rsa.pub"] == "" || keys["known_hosts"] == "" {
		t.Fatalf("ssh-key-secret keys: %d (want id_rsa, id_rsa.pub, known_hosts)", len(keys))
	}
	cm := find(t, objs, "ConfigMap", "peer-pods-cm")
	vol, _, _ := unstructured.NestedString(cm.Object, "data", "LIBVIRT_VOL_NAME")

	// The secret's files, as the kubelet projects them (mode 0600).
	sshDir := filepath.Join(t.TempDir(), "ssh-key-secret")
	if err := os.Mkdir(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range keys {
		if err := os.WriteFile(filepath.Join(sshDir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := virshAsCAA(sshDir, uri, "pool-info", h.pool)
	if err != nil || !strings.Contains(out, h.pool) || !strings.Contains(out, "running") {
		t.Fatalf("virsh pool-info with the handoff's ssh-key-secret: %v\n%s", err, out)
	}
	out, err = virshAsCAA(sshDir, uri, "vol-info", "--pool", h.pool, vol)
	if err != nil || !strings.Contains(out, vol) {
		t.Fatalf("virsh vol-info: %v\n%s", err, out)
	}

	// Another host key pinned: OpenSSH refuses the host.
	other, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := ssh.NewPublicKey(other)
	if err != nil {
		t.Fatal(err)
	}
	wrong := strings.Fields(keys["known_hosts"])[0] + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(otherKey)))
	if err := os.WriteFile(filepath.Join(sshDir, "known_hosts"), []byte(wrong+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = virshAsCAA(sshDir, uri, "pool-info", h.pool)
	if err == nil || !strings.Contains(out, "Host key verification failed") {
		t.Fatalf("virsh with a wrong known_hosts: %v\n%s", err, out)
	}
	// Without known_hosts at all (the previous handoff): refused too.
	if err := os.Remove(filepath.Join(sshDir, "known_hosts")); err != nil {
		t.Fatal(err)
	}
	if out, err = virshAsCAA(sshDir, uri, "pool-info", h.pool); err == nil {
		t.Fatalf("virsh without known_hosts connected:\n%s", out)
	}

	h.peerpods(0, "destroy")
	if h.poolExists() {
		t.Error("the pool is still defined after destroy")
	}
}

// virshAsCAA runs virsh as cloud-api-adaptor's libvirt would connect: root,
// HOME=/root, and /root/.ssh holding exactly the files of dir, in a private
// mount namespace (a tmpfs over /root, so nothing of this machine's root
// account is seen or changed).
func virshAsCAA(dir, uri string, args ...string) (string, error) {
	script := `mount -t tmpfs -o mode=0700 tmpfs /root && mkdir -m 0700 /root/.ssh && mount --bind "$1" /root/.ssh && shift && exec env HOME=/root virsh -c "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", dir, uri}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
