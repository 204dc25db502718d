//go:build e2e

package main

import (
	"github.com/peerpods/provisioner/tests/testkit/sshtest"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/handoffcheck"
	"github.com/peerpods/provisioner/components/readiness"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"golang.org/x/crypto/ssh"
)

// authorize adds line to the e2e sshd user's authorized_keys until the
// test ends, holding the lock every edit of that file holds
// (libvirt/provider lockName), replacing the file by a rename.
func authorize(t *testing.T, line string) {
	t.Helper()
	u, err := user.Lookup(e2eenv.Require(t, "PEERPODS_E2E_SSH_USER"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(u.HomeDir, ".ssh", "authorized_keys")
	edit := func(change func(string) string) {
		lock, err := os.OpenFile(filepath.Join(u.HomeDir, ".ssh", ".authorized_keys.peerpods.lock"), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Close()
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		old, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		// Never in place: sshd may be reading it for another test's login.
		tmp := file + ".check-e2e"
		if err := os.WriteFile(tmp, []byte(change(string(old))), 0o600); err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(tmp, uid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	edit(func(s string) string {
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		return s + line + "\n"
	})
	t.Cleanup(func() { edit(func(s string) string { return strings.Replace(s, line+"\n", "", 1) }) })
}

// TestCheckLibvirtOpenSSH: peerpods check's libvirt fact against the e2e
// sshd and libvirtd, as cloud-api-adaptor connects (virsh, libvirt's ssh
// transport, OpenSSH): with the handoff's key and known_hosts it finds
// the pool and the volume; a known_hosts pinning another key, and a key
// the host does not accept, fail naming known_hosts and the key; a
// missing volume fails naming it; without virsh on PATH it falls back to
// Go's SSH client and says so. The private key is in no fact and no file
// is left behind.
func TestCheckLibvirtOpenSSH(t *testing.T) {
	addr := e2eenv.Require(t, "PEERPODS_E2E_SSH_ADDR")
	sshUser := e2eenv.Require(t, "PEERPODS_E2E_SSH_USER")
	socket := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_SOCKET")
	local := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")
	hostPub, err := os.ReadFile(filepath.Join(e2eenv.Require(t, "PEERPODS_E2E_STATE"), "ssh", "host_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(addr, ":")
	knownHosts := "[" + host + "]:" + port + " " + strings.Join(strings.Fields(string(hostPub))[:2], " ") + "\n"

	// A transient pool with a volume, on the local socket.
	pool, vol := "ppe2e-check-openssh", "podvm.qcow2"
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	virsh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("virsh", append([]string{"-c", local}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("virsh %v: %v\n%s", args, err, out)
		}
	}
	virsh("pool-create-as", pool, "dir", "--target", dir)
	t.Cleanup(func() { _ = exec.Command("virsh", "-c", local, "pool-destroy", pool).Run() })
	virsh("vol-create-as", pool, vol, "1M", "--format", "qcow2")

	private, public := sshtest.NewKey(t)
	authorize(t, public+" peerpods-check-e2e")
	other, _ := sshtest.NewKey(t)
	otherHost, _ := sshtest.NewKey(t)
	otherSigner, err := ssh.ParsePrivateKey([]byte(otherHost))
	if err != nil {
		t.Fatal(err)
	}
	wrongKnownHosts := "[" + host + "]:" + port + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(otherSigner.PublicKey()))) + "\n"

	uri := "qemu+ssh://" + sshUser + "@" + addr + "/system?socket=" + url.QueryEscape(socket)
	handoff := func(key, known, volume string) handoffcheck.Handoff {
		return handoffcheck.Handoff{Cloud: contract.Libvirt, Line: contract.Line112, Objects: []handoffcheck.Object{
			{Name: contract.SecretName, Secret: true, Data: map[string]string{contract.KeyLibvirtURI: uri}},
			{Name: contract.ConfigMapName, Data: map[string]string{contract.KeyLibvirtPool: pool, contract.KeyLibvirtVolName: volume}},
			{Name: contract.SSHKeySecretName, Secret: true, Data: map[string]string{contract.KeySSHPrivateKey: key, contract.KeySSHKnownHosts: known}},
		}}
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	check := func(h handoffcheck.Handoff) readiness.Fact {
		t.Helper()
		f, _, err := libvirtFact(t.Context(), cluster.Clients{}, false, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{private, other} {
			if strings.Contains(f.Line(), strings.Split(k, "\n")[1]) {
				t.Fatalf("the fact shows the private key: %s", f.Line())
			}
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("the check left %v in TMPDIR", left)
		}
		return f
	}
	for _, c := range []struct {
		name  string
		h     handoffcheck.Handoff
		state readiness.State
		want  []string
	}{
		{"right key and known_hosts", handoff(private, knownHosts, vol), readiness.OK,
			[]string{"connected with the handoff's key and known_hosts; pool and volume found", transportOpenSSH}},
		{"known_hosts pins another key", handoff(private, wrongKnownHosts, vol), readiness.Failed,
			[]string{"not the pinned one in known_hosts of ssh-key-secret", "Host key verification failed", transportOpenSSH}},
		{"a key the host does not accept", handoff(other, knownHosts, vol), readiness.Failed,
			[]string{"the host refused the key id_rsa of ssh-key-secret", "Permission denied", transportOpenSSH}},
		{"no such volume", handoff(private, knownHosts, "gone.qcow2"), readiness.Failed,
			[]string{"volume gone.qcow2 not found in pool " + pool}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := check(c.h)
			t.Log(f.Line())
			if f.State != c.state {
				t.Errorf("state %s, want %s: %s", f.State, c.state, f.Line())
			}
			for _, w := range c.want {
				if !strings.Contains(f.Line(), w) {
					t.Errorf("the fact lacks %q: %s", w, f.Line())
				}
			}
		})
	}

	// Without virsh on PATH: Go's SSH client, said in the fact.
	noVirsh := t.TempDir()
	for _, tool := range []string{"ssh", "ssh-agent", "ssh-add"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(noVirsh, tool)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", noVirsh)
	f := check(handoff(private, knownHosts, vol))
	if f.State != readiness.OK || !strings.Contains(f.Detail, transportGo) {
		t.Errorf("without virsh: %s", f.Line())
	}
	if f = check(handoff(other, knownHosts, vol)); f.State != readiness.Failed || !strings.Contains(f.Detail, transportGo) {
		t.Errorf("without virsh, a wrong key: %s", f.Line())
	}
}
