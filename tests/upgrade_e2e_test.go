//go:build e2e

package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/tests/testkit/clustertest"
	"github.com/peerpods/provisioner/tests/testkit/kubetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// previousVersion is the last commit (provider 0.1.0) whose storage pools
// and volumes kept their libvirt connection (uri, privateKey, hostKey) as
// their own inputs and state, served by the stack's one peerpods provider.
const previousVersion = "f517e26aff86a203e7b7cfab5dfe7ce165843898"

// TestEngineUpgradeFromConnectionInputs is the upgrade path of the
// connection becoming provider configuration, on a stack the previous
// version created: its binaries, built from git history, create a
// remote-host stack; this version's binaries then preview and apply it.
// The pool and volume move to the host's own provider instance without a
// replacement (the engine asks the new instance's DiffConfig, which does
// not replace an instance without uri) and are updated to drop the
// connection from their state; the image is not uploaded again, the
// access keeps its key and its state loses the bootstrap password the
// previous version recorded. A no-op up, refresh and destroy follow.
func TestEngineUpgradeFromConnectionInputs(t *testing.T) {
	t.Parallel()
	old := previousSource(t)
	h := newHarness(t, "libvirt-upgrade-e2e", func(h *harness, _, tmp string) string { return remoteStack(h, old, tmp) })
	h.install(commitBinaries(t, previousVersion, old))
	authorizedKeys, password := h.remoteHost()

	// The previous version creates the stack.
	h.peerpods(0, "up")
	state := h.export()
	for _, typ := range []string{"peerpods:libvirt:StoragePool", "peerpods:libvirt:StorageVolume"} {
		if _, ok := state.resource(t, typ).Outputs["privateKey"]; !ok {
			t.Fatalf("the previous version's %s keeps no privateKey: not the state this test upgrades", typ)
		}
	}
	pw := bytes.TrimSpace(password)
	if !bytes.Contains(h.exportRaw("--show-secrets"), pw) {
		t.Fatal("the previous version's state lacks the bootstrap password: not the state this test upgrades")
	}
	vol := "podvm-base.qcow2"
	volFile := h.volumeFile(vol)
	pool, err := h.lv.StoragePoolLookupByName(h.pool)
	if err != nil {
		t.Fatal(err)
	}
	keysBefore, err := os.ReadFile(authorizedKeys)
	if err != nil {
		t.Fatal(err)
	}

	// This version: the pull request's preview, then the merge's up. It
	// wants the host key pinned or the first key met accepted: this
	// stack's access has met and pinned it already.
	h.build(repoRoot(t), true)
	h.run("pulumi", "config", "set", "--path", "peerpods:libvirt.host.acceptNewHostKey", "true", "--type", "bool", "--stack", h.stack)
	reportFile := filepath.Join(h.dir, "preview.json")
	h.peerpods(7, "preview", "--expect-no-changes", "--report-json", reportFile)
	ops := map[string]string{}
	for _, c := range readReport(t, reportFile).Changes {
		ops[c.Type+" "+c.Name] = c.Op
	}
	want := map[string]string{
		"pulumi:providers:peerpods peerpods-libvirt":     "create",
		"peerpods:libvirt:StoragePool peerpods-pool":     "update",
		"peerpods:libvirt:StorageVolume peerpods-volume": "update",
		// The key's line gains its options (restrict; no from=: the
		// stack sets no libvirt.allowedSources and reads no cluster).
		"peerpods:libvirt:KvmHostAccess peerpods-host": "update",
	}
	if len(ops) != len(want) {
		t.Errorf("the upgrade's preview: %v, want %v", ops, want)
	}
	for k, op := range want {
		if ops[k] != op {
			t.Errorf("the upgrade's preview: %s is %q, want %q (all: %v)", k, ops[k], op, ops)
		}
	}
	h.peerpods(0, "up")

	p2, err := h.lv.StoragePoolLookupByName(h.pool)
	if err != nil || p2.UUID != pool.UUID {
		t.Errorf("the pool was replaced: %v", err)
	}
	if got := h.volumeFile(vol); got != volFile {
		t.Errorf("the volume's file changed in the upgrade (replaced or uploaded again): %+v, was %+v", got, volFile)
	}
	// authorized_keys: only the access's line changed, rewritten with
	// the key options in front (the new line added, then the old one
	// removed: it moves to the end).
	const options = "restrict,port-forwarding "
	sortedLines := func(b []byte) string {
		l := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(b), options, "")), "\n")
		slices.Sort(l)
		return strings.Join(l, "\n")
	}
	if keys, _ := os.ReadFile(authorizedKeys); bytes.Count(keys, []byte(options)) != bytes.Count(keysBefore, []byte(options))+1 ||
		sortedLines(keys) != sortedLines(keysBefore) {
		t.Errorf("authorized_keys changed in the upgrade other than the access's line gaining %q:\n%s\nwas\n%s", options, keys, keysBefore)
	}
	// The access's inputs in the state lose the bootstrap password.
	if bytes.Contains(h.exportRaw("--show-secrets"), pw) {
		t.Error("the upgraded state still holds the bootstrap password")
	}
	// The connection is the host provider's configuration, the key secret
	// there; the pool and volume keep none of it.
	state = h.export()
	for _, typ := range []string{"peerpods:libvirt:StoragePool", "peerpods:libvirt:StorageVolume"} {
		r := state.resource(t, typ)
		for _, k := range []string{"uri", "privateKey", "hostKey"} {
			if v, ok := r.Outputs[k]; ok {
				t.Errorf("%s keeps %s after the upgrade: %s", typ, k, v)
			}
		}
		if !strings.HasSuffix(r.Provider[:strings.LastIndex(r.Provider, "::")], "::peerpods-libvirt") {
			t.Errorf("%s is served by %s, want the host's provider", typ, r.Provider)
		}
	}
	var cfg struct {
		PrivateKey json.RawMessage `json:"privateKey"`
	}
	host := state.named(t, "pulumi:providers:peerpods", "peerpods-libvirt")
	if err := json.Unmarshal(host.Inputs, &cfg); err != nil || !bytes.Contains(cfg.PrivateKey, []byte("ciphertext")) {
		t.Errorf("the host provider's privateKey is not a secret: %s (%v)", cfg.PrivateKey, err)
	}

	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("the up after the upgrade changed something: %q", got)
	}
	h.peerpods(0, "refresh", "--expect-no-changes")
	h.peerpods(0, "destroy")
	if h.poolExists() {
		t.Error("the pool is still defined after destroy")
	}
	if keys, _ := os.ReadFile(authorizedKeys); strings.Count(string(keys), "peerpods:") >= strings.Count(string(keysBefore), "peerpods:") {
		t.Error("destroy left the stack's key in authorized_keys")
	}
}

// recordedDiscoveryVersion is the last commit whose program pinned what
// it discovered through its own outputs: a StackReference to the stack
// itself (recorded-discovery) read the "discovered" output back.
const recordedDiscoveryVersion = "641bf7a4e516b0703ddb568104a67c2c1269c91f"

// TestEngineUpgradeFromRecordedDiscovery: a stack that discovers its cloud
// from the cluster (platform None: libvirt), created by the version that
// kept a StackReference to itself, upgrades with nothing but that
// reference leaving the state. A StackReference is a read of another
// stack's outputs, not a cloud resource: the engine discards it (no
// delete reaches any provider). Every other resource keeps its URN and ID
// (no replacement), the run reports the cloud taken from the cluster and
// how to record it, and a second up, refresh and destroy follow.
func TestEngineUpgradeFromRecordedDiscovery(t *testing.T) {
	c := kubetest.Client(t)
	kubetest.InstallCRDs(t, kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_infrastructures.yaml"),
		kubetest.RepoFile(t, "tests/testdata/openshift-crds/config.openshift.io_authentications.yaml"))
	kubeconfig, err := os.ReadFile(os.Getenv(kubetest.KubeconfigEnv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = c.Dynamic.Resource(infrastructures).Delete(ctx, "cluster", metav1.DeleteOptions{})
		_ = c.Dynamic.Resource(authentications).Delete(ctx, "cluster", metav1.DeleteOptions{})
		_ = c.Typed.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "peerpods-e2e=discovery"})
	})
	writeCluster(t, c, clustertest.For(contract.Libvirt))

	old := sourceAt(t, recordedDiscoveryVersion)
	h := newHarness(t, "libvirt-discovery-upgrade", func(h *harness, root, tmp string) string {
		return strings.Replace(localStack(h, root, tmp), "  peerpods:cloud: libvirt\n", "", 1)
	})
	h.install(commitBinaries(t, recordedDiscoveryVersion, old))
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "kubeconfig", string(kubeconfig), "--stack", h.stack)

	// The previous version creates the stack, with its self-reference.
	h.peerpods(0, "up")
	before := h.export()
	before.named(t, "pulumi:pulumi:StackReference", "recorded-discovery")

	// This version: the preview shows only the reference discarded and the
	// default provider of package pulumi, which only the reference used,
	// deleted (neither touches a cloud: exit 0), then the up.
	h.build(repoRoot(t), true)
	reportFile := filepath.Join(h.dir, "preview.json")
	h.peerpods(0, "preview", "--expect-no-changes", "--report-json", reportFile)
	for _, ch := range readReport(t, reportFile).Changes {
		if !ofTheReference(ch.Type, ch.Name) || (ch.Op != "discard" && ch.Op != "delete") {
			t.Errorf("the upgrade's preview changes %s %s: %s", ch.Type, ch.Name, ch.Op)
		}
	}
	out := h.peerpods(0, "up")
	if !strings.Contains(out, "peerpods discover --stack "+h.stack+" --write records it") {
		t.Errorf("the up does not say how to record the cloud taken from the cluster:\n%s", out)
	}
	after := h.export()
	ids := map[string]string{}
	for _, r := range after.Deployment.Resources {
		if ofTheReference(r.Type, urnName(r.URN)) {
			t.Errorf("the upgraded state keeps %s", r.URN)
		}
		ids[r.URN] = r.ID
	}
	for _, r := range before.Deployment.Resources {
		if ofTheReference(r.Type, urnName(r.URN)) {
			continue
		}
		if id, ok := ids[r.URN]; !ok || id != r.ID {
			t.Errorf("%s: id %q after the upgrade, was %q (replaced, or gone)", r.URN, id, r.ID)
		}
	}

	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("the up after the upgrade changed something: %q", got)
	}
	h.peerpods(0, "refresh", "--expect-no-changes")
	h.peerpods(0, "destroy")
}

// ofTheReference reports whether a resource is the previous version's
// StackReference to the stack itself, or the default provider of package
// pulumi that the engine made for it (and deletes with it).
func ofTheReference(typ, name string) bool {
	return typ == "pulumi:pulumi:StackReference" && name == "recorded-discovery" ||
		typ == "pulumi:providers:pulumi" && name == "default"
}

// urnName is the resource name at the end of a URN.
func urnName(urn string) string { return urn[strings.LastIndex(urn, "::")+2:] }

// previousSource extracts previousVersion's tree from the repository's
// history into a temporary directory (sourceAt).
func previousSource(t *testing.T) string { return sourceAt(t, previousVersion) }

// sourceAt extracts the tree of commit previousVersion from the
// repository's history into a temporary directory. A clone without that
// history (a shallow one, or a tree without .git) cannot run the test, and
// says so.
func sourceAt(t *testing.T, previousVersion string) string {
	t.Helper()
	root := repoRoot(t)
	if err := exec.Command("git", "-C", root, "cat-file", "-e", previousVersion+"^{commit}").Run(); err != nil {
		shallow, _ := exec.Command("git", "-C", root, "rev-parse", "--is-shallow-repository").Output()
		if strings.TrimSpace(string(shallow)) != "false" {
			t.Skipf("the upgrade test builds %s from git history, which this clone lacks (shallow or no .git): clone with full history (actions/checkout fetch-depth: 0)", previousVersion[:12])
		}
		t.Fatalf("commit %s is not in the repository's history: %v", previousVersion, err)
	}
	dir := filepath.Join(t.TempDir(), "src")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	archive := exec.Command("git", "-C", root, "archive", previousVersion)
	extract := exec.Command("tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	extract.Stdin = pipe
	if err := extract.Start(); err != nil {
		t.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive %s: %v", previousVersion, err)
	}
	if err := extract.Wait(); err != nil {
		t.Fatalf("extracting %s: %v", previousVersion, err)
	}
	return dir
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// checkpoint is the part of a stack export the tests read.
type checkpoint struct {
	Deployment struct {
		Resources []checkpointResource `json:"resources"`
	} `json:"deployment"`
}

// checkpointResource is one resource of a checkpoint.
type checkpointResource struct {
	URN      string                     `json:"urn"`
	ID       string                     `json:"id"`
	Type     string                     `json:"type"`
	Provider string                     `json:"provider"`
	Inputs   json.RawMessage            `json:"inputs"`
	Outputs  map[string]json.RawMessage `json:"outputs"`
}

// export returns the stack's checkpoint (secrets encrypted).
func (h *harness) export() checkpoint {
	h.t.Helper()
	out := h.exportRaw()
	var c checkpoint
	if err := json.Unmarshal(out, &c); err != nil {
		h.t.Fatalf("stack export: %v", err)
	}
	return c
}

// exportRaw returns the stack's checkpoint as exported, with extra
// arguments (--show-secrets).
func (h *harness) exportRaw(extra ...string) []byte {
	h.t.Helper()
	file := filepath.Join(h.t.TempDir(), "state.json")
	h.run("pulumi", append([]string{"stack", "export", "--stack", h.stack, "--file", file}, extra...)...)
	out, err := os.ReadFile(file)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// resource returns the one resource of type typ.
func (c checkpoint) resource(t *testing.T, typ string) checkpointResource {
	t.Helper()
	var found []checkpointResource
	for _, r := range c.Deployment.Resources {
		if r.Type == typ {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s in the state", len(found), typ)
	}
	return found[0]
}

// named returns the resource of type typ whose URN ends with ::name.
func (c checkpoint) named(t *testing.T, typ, name string) checkpointResource {
	t.Helper()
	for _, r := range c.Deployment.Resources {
		if r.Type == typ && strings.HasSuffix(r.URN, "::"+name) {
			return r
		}
	}
	t.Fatalf("no %s %s in the state", typ, name)
	return checkpointResource{}
}
