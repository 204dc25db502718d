//go:build e2e

package tests

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/peerpods/provisioner/cmd/peerpods/diffreport"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
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
	pairs := []string{
		"peerpods:handoff: cluster", "peerpods:handoff: manifests",
		"address: kvm.example.com", "address: " + host,
		"port: 22", "port: " + port,
		"user: root", "user: " + e2eenv.Require(t, "PEERPODS_E2E_SSH_USER") + "\n      libvirtSocket: " + e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_SOCKET"),
		"pool: peerpods", "pool: " + h.pool,
		"dir: /var/lib/libvirt/images", "dir: " + h.poolDir,
		"image: /var/tmp/peerpods/podvm.qcow2", "image: " + image,
	}
	// The test sshd's key is met on first contact (an earlier version's
	// example, which an upgrade test runs, pins nothing).
	if example, err := os.ReadFile(filepath.Join(root, "stacks", "Pulumi.libvirt-example.yaml")); err == nil && strings.Contains(string(example), exampleHostKey) {
		pairs = append(pairs, exampleHostKey, "acceptNewHostKey: true")
	}
	return exampleStack(t, root, "libvirt-example", pairs...)
}

// exampleHostKey is the placeholder pin of stacks/Pulumi.libvirt-example.yaml.
const exampleHostKey = "knownHostKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBCO+1CcflZSbG9OhkwGsQiH5XF7eNX76At5h2iYF9Oz"

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
//
// It is also the remote-host stack's whole life on the engine, as a pull
// request and its merge run it: preview first (the planned creates, exit
// 7, nothing touched), up, a no-op up, a volume resize previewed and
// applied as an update, refresh with no drift, destroy (the key's line
// gone from authorized_keys, pool and volume gone).
func TestEngineKnownHostsReachCAA(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "libvirt-remote-e2e", remoteStack)
	authorizedKeys, password := h.remoteHost()
	readKeys := func() string { b, _ := os.ReadFile(authorizedKeys); return string(b) }
	// The pull request: a preview of a stack whose pool and volume take
	// their connection from the host access's outputs, unknown until it
	// exists.
	keysBefore := readKeys()
	reportFile := filepath.Join(h.dir, "preview.json")
	previewOut := h.peerpods(7, "preview", "--expect-no-changes", "--report-json", reportFile)
	report := readReport(t, reportFile)
	// The host's key, read by the preview with no credential from the test
	// sshd (OpenSSH), for the reviewer to confirm: in the output and first
	// in the report.
	if !strings.Contains(previewOut, "presents the SSH host key ssh-ed25519 SHA256:") || len(report.Notes) != 1 || !strings.Contains(report.Notes[0], "which no setting pins") {
		t.Errorf("the preview does not show the host key to confirm: notes %q\n%s", report.Notes, previewOut)
	}
	var creates []string
	for _, c := range report.Changes {
		if c.Op == "create" {
			creates = append(creates, c.Type)
		}
	}
	for _, typ := range []string{"peerpods:libvirt:KvmHostAccess", "peerpods:libvirt:StoragePool", "peerpods:libvirt:StorageVolume"} {
		if !slices.Contains(creates, typ) {
			t.Errorf("the preview plans no create of %s: %v", typ, creates)
		}
	}
	if h.poolExists() || readKeys() != keysBefore {
		t.Fatal("the preview changed the host")
	}
	// The report's network paths, from the engine's real events: the
	// cluster to the KVM host over SSH, the pool on that host (its
	// provider's URI), the volume in the pool, all added.
	var host string
	added := map[string]string{}
	for _, p := range report.Paths {
		if p.State == diffreport.Added {
			added[p.From.Key] = p.To.Key
		}
		if p.From.Key == "cluster" {
			host = p.To.Key
		}
	}
	if !strings.HasPrefix(host, "kvm:") || !strings.HasPrefix(added[host], "pool:") || !strings.HasPrefix(added[added[host]], "volume:") ||
		!strings.HasPrefix(added["cluster"], "kvm:") {
		t.Errorf("preview paths: %+v", report.Paths)
	}

	// The merge: up, then up again with nothing to do.
	h.peerpods(0, "up")
	// The bootstrap password installed the key and is kept nowhere in the
	// state, not even encrypted: the decrypted checkpoint lacks it.
	if bytes.Contains(h.exportRaw("--show-secrets"), bytes.TrimSpace(password)) {
		t.Error("the state holds the bootstrap password")
	}
	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("second up changed something: %q", got)
	}

	outs, _ := h.outputs("--show-secrets")
	manifests, _ := outs["manifests"].(string)
	objs, err := kubetest.DecodeYAML([]byte(manifests))
	if err != nil || len(objs) == 0 {
		t.Fatalf("manifests output: %v\n%s", err, manifests)
	}
	// The engine's rendered objects pass the checks of the operator and
	// CAA of the line written for (the newest: no cluster is read here).
	if err := linesAccept(readLineFacts(t, contract.NewestLine), contract.Libvirt, clusterOf(t, objs)); err != nil {
		t.Errorf("the engine's handoff objects: %v", err)
	}
	keys := data(t, find(t, objs, "Secret", "ssh-key-secret"))
	uri := data(t, find(t, objs, "Secret", "peer-pods-secret"))["LIBVIRT_URI"]
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

	// A bigger volume: previewed and applied as an update (a resize), not
	// a replacement that would upload the image again.
	h.editStack("    format: qcow2\n", "    format: qcow2\n    capacity: 134217728\n")
	h.peerpods(7, "preview", "--expect-no-changes", "--report-json", reportFile)
	report = readReport(t, reportFile)
	if len(report.Changes) != 1 || report.Changes[0].Op != "update" || report.Changes[0].Type != "peerpods:libvirt:StorageVolume" {
		t.Fatalf("the resize's preview: %+v", report.Changes)
	}
	h.peerpods(0, "up")
	pool, err := h.lv.StoragePoolLookupByName(h.pool)
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.lv.StorageVolLookupByName(pool, vol)
	if err != nil {
		t.Fatal(err)
	}
	if _, capacity, _, err := h.lv.StorageVolGetInfo(v); err != nil || capacity != 134217728 {
		t.Errorf("volume capacity %d (%v), want 134217728", capacity, err)
	}
	h.peerpods(0, "refresh", "--expect-no-changes")

	// Another path to the host's libvirtd socket (a second name for the
	// same socket): the access and the host's provider instance are
	// updated in place; the pool and volume are not touched, the image is
	// not uploaded again, and CAA gets the new URI.
	sock := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_SOCKET")
	alias := filepath.Join(filepath.Dir(sock), "libvirt-sock-"+randomHex(t, 3))
	if err := os.Symlink(sock, alias); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(alias) })
	volFile := h.volumeFile(vol)
	h.editStack("libvirtSocket: "+sock+"\n", "libvirtSocket: "+alias+"\n")
	h.peerpods(7, "preview", "--expect-no-changes", "--report-json", reportFile)
	report = readReport(t, reportFile)
	updated := map[string]bool{}
	for _, c := range report.Changes {
		if c.Op != "update" || c.Type == "peerpods:libvirt:StoragePool" || c.Type == "peerpods:libvirt:StorageVolume" {
			t.Errorf("the socket change's preview: %s %s %s", c.Op, c.Type, c.Name)
		}
		updated[c.Type] = true
	}
	if !updated["peerpods:libvirt:KvmHostAccess"] || !updated["pulumi:providers:peerpods"] {
		t.Errorf("the socket change's preview updates %v, want the access and the host's provider", updated)
	}
	h.peerpods(0, "up")
	if got := h.volumeFile(vol); got != volFile {
		t.Errorf("the volume's file changed with the socket path: %+v, was %+v", got, volFile)
	}
	outs, _ = h.outputs("--show-secrets")
	objs, err = kubetest.DecodeYAML([]byte(outs["manifests"].(string)))
	if err != nil {
		t.Fatal(err)
	}
	uri = data(t, find(t, objs, "Secret", "peer-pods-secret"))["LIBVIRT_URI"]
	if !strings.Contains(uri, "socket="+url.QueryEscape(alias)) {
		t.Errorf("LIBVIRT_URI %q does not name the new socket %s", uri, alias)
	}
	// The access kept its key and pinned host key: the same
	// ssh-key-secret works over the new path.
	if got := data(t, find(t, objs, "Secret", "ssh-key-secret")); !maps.Equal(got, keys) {
		t.Error("ssh-key-secret changed with the socket path")
	}
	if err := os.WriteFile(filepath.Join(sshDir, "known_hosts"), []byte(keys["known_hosts"]), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := virshAsCAA(sshDir, uri, "pool-info", h.pool); err != nil {
		t.Errorf("virsh over the new socket path: %v\n%s", err, out)
	}
	h.peerpods(0, "refresh", "--expect-no-changes")

	publicKey := strings.Fields(keys["id_rsa.pub"])[1]
	if !strings.Contains(readKeys(), publicKey) {
		t.Fatal("the stack's key is not in authorized_keys")
	}
	h.peerpods(0, "destroy")
	if h.poolExists() {
		t.Error("the pool is still defined after destroy")
	}
	if strings.Contains(readKeys(), publicKey) {
		t.Error("the stack's key is still in authorized_keys after destroy")
	}
}

// remoteHostMu is held by a test with a remote-host stack from remoteHost
// to its end (its destroy included): such tests add and remove keys in
// the one authorized_keys of the e2e sshd user and compare it before and
// after, so they run one at a time, the other tests beside them.
var remoteHostMu sync.Mutex

// remoteHost initializes a remote-host stack: the stack, the e2e sshd
// user's password as its bootstrap secret, and a destroy at the end of a
// failed test. It returns the user's authorized_keys path and the
// password. The test holds remoteHostMu until it ends.
func (h *harness) remoteHost() (authorizedKeys string, password []byte) {
	t := h.t
	t.Helper()
	remoteHostMu.Lock()
	t.Cleanup(remoteHostMu.Unlock)
	u, err := user.Lookup(e2eenv.Require(t, "PEERPODS_E2E_SSH_USER"))
	if err != nil {
		t.Fatal(err)
	}
	password, err = os.ReadFile(e2eenv.Require(t, "PEERPODS_E2E_SSH_PASSWORD_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "libvirtHostPassword", strings.TrimSpace(string(password)), "--stack", h.stack)
	t.Cleanup(func() {
		if h.poolExists() {
			h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--yes", "--stack", h.stack, "--dir", h.dir)
		}
	})
	return filepath.Join(u.HomeDir, ".ssh", "authorized_keys"), password
}

// readReport reads a peerpods preview JSON report.
func readReport(t *testing.T, file string) diffreport.Report {
	t.Helper()
	var r diffreport.Report
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return r
}

// virshAsCAA runs e2eenv.VirshAsCAA and returns its output.
func virshAsCAA(dir, uri string, args ...string) (string, error) {
	out, err := e2eenv.VirshAsCAA(dir, uri, args...).CombinedOutput()
	return string(out), err
}
