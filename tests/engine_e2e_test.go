//go:build e2e

// Package tests holds the end-to-end tests that run the whole chain on the
// real Pulumi engine: the peerpods command (Automation API, inline
// program), the Pulumi CLI built from source, the project's provider
// plugin, a file:// backend and a real libvirtd. make e2e starts the
// backends and puts the CLI on PATH; the tests fail, never skip, when
// something is missing.
package tests

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/cmd/peerpods/diffreport"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
)

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// harness is a project directory with its own state backend, Pulumi home
// and binaries.
type harness struct {
	t       *testing.T
	dir     string // the project: Pulumi.yaml and stacks/
	state   string // the file:// backend
	bin     string // peerpods and pulumi-resource-peerpods
	env     []string
	stack   string
	lv      *golibvirt.Libvirt
	pool    string
	poolDir string
	// noWait passes --no-wait to up: a cluster-mode up would otherwise
	// follow an operator that does not run here.
	noWait bool
}

// newHarness makes a project for the stack whose file stackFile writes
// (given the repository root and a temporary directory).
func newHarness(t *testing.T, stack string, stackFile func(h *harness, root, tmp string) string) *harness {
	t.Helper()
	if _, err := exec.LookPath("pulumi"); err != nil {
		t.Fatalf("the Pulumi CLI is not on PATH (make e2e builds it with make pulumi): %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	h := &harness{
		t: t, dir: filepath.Join(tmp, "project"), state: filepath.Join(tmp, "state"), bin: filepath.Join(tmp, "bin"),
		stack: stack, pool: "peerpods-e2e-" + randomHex(t, 3),
	}
	for _, d := range []string{filepath.Join(h.dir, "stacks"), filepath.Join(h.dir, "bin"), h.state, h.bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.build(root, true)
	project, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "Pulumi.yaml"), append(project, treePlugin...), 0o644); err != nil {
		t.Fatal(err)
	}
	h.env = append(pulumiEnv(t, h.state, filepath.Join(tmp, "home")), "PATH="+h.bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	uri := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")
	h.poolDir = filepath.Join(e2eenv.Require(t, "PEERPODS_E2E_POOL_DIR"), h.pool)
	h.lv, err = conn.Open(uri, conn.Credentials{})
	if err != nil {
		t.Fatalf("connecting to the test libvirtd: %v", err)
	}
	t.Cleanup(func() { h.lv.Disconnect() })
	h.writeStack(stackFile(h, root, tmp))
	return h
}

// treePlugin is what the harness adds to the project file: the engine
// takes the plugin under test from the project's bin/ (build puts it
// there), before any plugin on PATH or in the Pulumi home.
const treePlugin = `plugins:
  providers:
    - name: peerpods
      path: ./bin
`

// pulumiEnv is the environment of the Pulumi CLI and the peerpods command
// in a test: a file:// backend at state, a random passphrase, its own
// Pulumi home and, with PEERPODS_E2E_BIN_COVERDIR (make e2e), the
// binaries' coverage directory.
func pulumiEnv(t *testing.T, state, home string) []string {
	env := append(os.Environ(),
		"PULUMI_BACKEND_URL=file://"+state,
		"PULUMI_CONFIG_PASSPHRASE="+randomHex(t, 16),
		"PULUMI_HOME="+home,
		"PULUMI_SKIP_UPDATE_CHECK=1",
	)
	if coverDir := os.Getenv("PEERPODS_E2E_BIN_COVERDIR"); coverDir != "" {
		env = append(env, "GOCOVERDIR="+coverDir)
	}
	return env
}

// build puts the command and the plugin built from the source tree src
// (the repository, or an earlier version of it) into the harness: the
// command on PATH, the plugin only into the project's bin/, where the
// plugins.providers entry newHarness adds (treePlugin) points the engine (so these tests
// prove that route: no PATH, no release lookup). They are built once per
// test process (binaries). With cover and PEERPODS_E2E_BIN_COVERDIR (make
// e2e), the binaries record coverage there (GOCOVERDIR in h.env); an
// earlier version's must not, its counters would be merged with this
// tree's.
func (h *harness) build(src string, cover bool) {
	h.t.Helper()
	h.install(binaries(h.t, src, cover))
}

// install links the command and the plugin of the directory dir into the
// harness, as build does.
func (h *harness) install(dir string) {
	h.t.Helper()
	for _, b := range binaryNames {
		out := filepath.Join(h.bin, b)
		if b == "pulumi-resource-peerpods" {
			out = filepath.Join(h.dir, "bin", b)
		}
		if err := link(filepath.Join(dir, b), out); err != nil {
			h.t.Fatal(err)
		}
	}
}

// localStack is the libvirt-local stack of stacks/, pointed at the test
// libvirtd, a fresh pool and a generated image.
func localStack(h *harness, root, tmp string) string {
	t := h.t
	uri := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")
	image := filepath.Join(tmp, "podvm.qcow2")
	h.run("qemu-img", "create", "-q", "-f", "qcow2", image, "64M")
	return exampleStack(t, root, "libvirt-local",
		"uri: qemu:///system", "uri: "+quote(uri),
		"pool: peerpods-local", "pool: "+h.pool,
		"dir: /var/lib/libvirt/images/peerpods-local", "dir: "+h.poolDir,
		"image: /var/tmp/peerpods/podvm-demo.qcow2", "image: "+image,
	)
}

// exampleStack returns the stack file stacks/Pulumi.<name>.yaml with each
// old string replaced by its new one (pairs, as strings.NewReplacer takes
// them); an old string not found fails the test.
func exampleStack(t *testing.T, root, name string, pairs ...string) string {
	t.Helper()
	base, err := os.ReadFile(filepath.Join(root, "stacks", "Pulumi."+name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(string(base), pairs[i]) {
			t.Fatalf("stacks/Pulumi.%s.yaml changed shape: no %q to replace", name, pairs[i])
		}
	}
	return strings.NewReplacer(pairs...).Replace(string(base))
}

// summary returns the rest of the output line that starts with prefix.
func summary(out, prefix string) string {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			return rest
		}
	}
	return ""
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func (h *harness) writeStack(content string) {
	h.t.Helper()
	path := filepath.Join(h.dir, "stacks", "Pulumi."+h.stack+".yaml")
	// Keep what pulumi added (encryptionsalt, secrets) when rewriting.
	if old, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(old), "\n") {
			if strings.HasPrefix(line, "encryptionsalt:") {
				content += "\n" + line + "\n"
			}
		}
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// run runs a command in the project and returns its output, failing on a
// non-zero exit.
func (h *harness) run(name string, args ...string) string {
	h.t.Helper()
	out, code := h.exec(name, args...)
	if code != 0 {
		h.t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// exec runs a command in the project and returns its output and exit code.
func (h *harness) exec(name string, args ...string) (string, int) {
	h.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = h.dir, h.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	}
	h.t.Fatalf("%s: %v", name, err)
	return "", -1
}

// peerpods runs the command under test and checks its exit code.
func (h *harness) peerpods(wantCode int, args ...string) string {
	h.t.Helper()
	args = append(args, "--stack", h.stack, "--dir", h.dir)
	if args[0] == "up" || args[0] == "destroy" {
		args = append(args, "--yes") // no terminal here, as in CI
	}
	if args[0] == "up" && h.noWait {
		args = append(args, "--no-wait")
	}
	out, code := h.exec(filepath.Join(h.bin, "peerpods"), args...)
	if code != wantCode {
		h.t.Fatalf("peerpods %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out)
	}
	return out
}

// volume reports whether the stack's volume exists in the test libvirtd.
func (h *harness) volume(name string) bool {
	h.t.Helper()
	p, err := h.lv.StoragePoolLookupByName(h.pool)
	if err != nil {
		return false
	}
	_, err = h.lv.StorageVolLookupByName(p, name)
	return err == nil
}

// fileID identifies a file's content on disk: a file created again, or
// written again, has another.
type fileID struct {
	Inode uint64
	MTime int64
}

// volumeFile returns the fileID of a volume of the stack's pool.
func (h *harness) volumeFile(name string) fileID {
	h.t.Helper()
	fi, err := os.Stat(filepath.Join(h.poolDir, name))
	if err != nil {
		h.t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		h.t.Fatal("no inode")
	}
	return fileID{Inode: st.Ino, MTime: fi.ModTime().UnixNano()}
}

func (h *harness) poolExists() bool {
	_, err := h.lv.StoragePoolLookupByName(h.pool)
	return err == nil
}

// outputs runs peerpods outputs into a file and returns the outputs and
// the file.
func (h *harness) outputs(extra ...string) (map[string]any, string) {
	h.t.Helper()
	file := filepath.Join(h.t.TempDir(), "outputs.json")
	h.peerpods(0, append([]string{"outputs", "--file", file}, extra...)...)
	b, err := os.ReadFile(file)
	if err != nil {
		h.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		h.t.Fatalf("outputs: %v\n%s", err, b)
	}
	return m, file
}

// TestEngineLibvirtLocal is the chain: up, no-op up, drift found by
// refresh and repaired by up, a preview report after a config change,
// destroy, and no plaintext secret anywhere.
func TestEngineLibvirtLocal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "libvirt-e2e", localStack)
	token := "offline-token-" + randomHex(t, 12)
	h.run("pulumi", "stack", "init", h.stack)
	h.run("pulumi", "config", "set", "--secret", "redhatOfflineToken", token, "--stack", h.stack)
	t.Cleanup(func() {
		if h.poolExists() { // leave nothing behind after a failure
			h.exec(filepath.Join(h.bin, "peerpods"), "destroy", "--yes", "--stack", h.stack, "--dir", h.dir)
		}
	})
	var files []string // every file the command wrote, grepped for the token at the end

	// A misspelt key in the stack file is refused by the program the
	// engine runs, with the nearest name, before anything is created.
	h.editStack("config:\n", "config:\n  peerpods:tunelPort: \"9000\"\n")
	if out := h.peerpods(1, "preview"); !strings.Contains(out, "peerpods:tunelPort is not a setting of this project; fix: did you mean peerpods:tunnelPort?") {
		t.Errorf("a misspelt key's preview:\n%s", out)
	}
	h.editStack("  peerpods:tunelPort: \"9000\"\n", "")

	// up creates pool and volume (with the image).
	h.peerpods(0, "up")
	if !h.poolExists() || !h.volume("podvm-base.qcow2") {
		t.Fatalf("after up: pool %v, volume %v", h.poolExists(), h.volume("podvm-base.qcow2"))
	}
	outs, outFile := h.outputs()
	files = append(files, outFile)
	cm, _ := outs["configMap"].(map[string]any)
	want := map[string]any{
		"CLOUD_PROVIDER": "libvirt", "LIBVIRT_POOL": h.pool, "LIBVIRT_VOL_NAME": "podvm-base.qcow2",
		"LIBVIRT_DIR_NAME": h.poolDir, "LIBVIRT_NET": "default", "PROXY_TIMEOUT": "15m",
	}
	for k, v := range want {
		if cm[k] != v {
			t.Errorf("configMap %s = %v, want %v", k, cm[k], v)
		}
	}
	if outs["secret"] != diffreport.Secret {
		t.Errorf("secret output shown without --show-secrets: %v", outs["secret"])
	}
	shown, _ := h.outputs("--show-secrets") // the one file meant to hold it
	if sec, _ := shown["secret"].(map[string]any); sec["REDHAT_OFFLINE_TOKEN"] != token || sec["CLOUD_PROVIDER"] != "libvirt" {
		t.Errorf("secret output with --show-secrets: %v", shown["secret"])
	}

	// A second up changes nothing; a preview says so with exit 0.
	if got := summary(h.peerpods(0, "up"), "up of "+h.stack+": "); !strings.HasSuffix(got, " same") || strings.Contains(got, ",") {
		t.Errorf("second up changed something: %q", got)
	}
	if out := h.peerpods(0, "preview", "--expect-no-changes"); !strings.Contains(out, "No changes") {
		t.Errorf("preview after up:\n%s", out)
	}

	// A volume deleted out of band: refresh finds it, up recreates it.
	p, err := h.lv.StoragePoolLookupByName(h.pool)
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.lv.StorageVolLookupByName(p, "podvm-base.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.lv.StorageVolDelete(v, 0); err != nil {
		t.Fatal(err)
	}
	h.peerpods(7, "refresh", "--expect-no-changes") // 7: drift (Pulumi: expectation about changes not met)
	h.peerpods(0, "refresh")
	if h.volume("podvm-base.qcow2") {
		t.Fatal("refresh recreated the volume; it should only record that it is gone")
	}
	h.peerpods(0, "up")
	if !h.volume("podvm-base.qcow2") {
		t.Fatal("up did not recreate the deleted volume")
	}

	// A config change: the preview report shows the volume's replacement.
	stackPath := h.editStack("volume: podvm-base.qcow2", "volume: podvm-next.qcow2")
	mdFile, jsonFile := filepath.Join(h.dir, "preview.md"), filepath.Join(h.dir, "preview.json")
	files = append(files, mdFile, jsonFile)
	h.peerpods(7, "preview", "--expect-no-changes", "--markdown", mdFile, "--report-json", jsonFile) // 7: changes found
	report := readReport(t, jsonFile)
	raw, _ := json.Marshal(report)
	if len(report.Changes) != 1 || report.Changes[0].Op != "replace" || report.Changes[0].Type != "peerpods:libvirt:StorageVolume" {
		t.Fatalf("preview report: %s", raw)
	}
	var nameChange *diffreport.Property
	for i, prop := range report.Changes[0].Properties {
		if prop.Path == "name" {
			nameChange = &report.Changes[0].Properties[i]
		}
	}
	if nameChange == nil || nameChange.Old != "podvm-base.qcow2" || nameChange.New != "podvm-next.qcow2" || !nameChange.Replaces {
		t.Errorf("name change in the report: %+v", report.Changes[0].Properties)
	}
	md, err := os.ReadFile(mdFile)
	if err != nil {
		t.Fatal(err)
	}
	// The diagram: the old volume's path removed, the new one's added,
	// from the pool on this host's libvirtd.
	for _, want := range []string{"**1 to replace", "| **replace** | `peerpods:libvirt:StorageVolume` | `peerpods-volume` |",
		"`name`: `podvm-base.qcow2` → `podvm-next.qcow2` **(forces replacement)**",
		"```mermaid\nflowchart LR\n", `["− volume podvm-base.qcow2`, `["+ volume podvm-next.qcow2`, "#### After the merge"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if !h.volume("podvm-base.qcow2") || h.volume("podvm-next.qcow2") {
		t.Error("the preview changed libvirt")
	}

	// destroy leaves no pool, no volume, no resource in the state.
	h.peerpods(0, "destroy")
	defer func() { // last: --remove drops the stack from the backend, not its file
		h.peerpods(0, "destroy", "--remove")
		if _, err := os.Stat(stackPath); err != nil {
			t.Errorf("destroy --remove deleted the stack file: %v", err)
		}
		if out, _ := h.exec("pulumi", "stack", "ls", "--json"); strings.Contains(out, h.stack) {
			t.Errorf("the stack is still in the backend: %s", out)
		}
	}()
	if h.poolExists() {
		t.Error("the pool is still defined after destroy")
	}
	if _, err := os.Stat(h.poolDir); !os.IsNotExist(err) {
		t.Errorf("the pool directory is still there: %v", err)
	}
	var export struct {
		Deployment struct {
			Resources []any `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(h.run("pulumi", "stack", "export", "--stack", h.stack)), &export); err != nil {
		t.Fatal(err)
	}
	if n := len(export.Deployment.Resources); n != 0 {
		t.Errorf("%d resources left in the state", n)
	}

	// No plaintext secret in the state or in any file the command wrote.
	err = filepath.Walk(h.state, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stateFiles := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("%s holds the secret in plain text", f)
		}
		if strings.HasSuffix(f, ".json") && strings.Contains(f, "stacks") {
			stateFiles++
		}
	}
	if stateFiles == 0 {
		t.Errorf("no state file found under %s to check: %v", h.state, files)
	}
	fmt.Fprintf(os.Stderr, "checked %d files for the secret\n", len(files))
}

// editStack replaces old by new in the stack file (old must be there) and
// returns the file's path.
func (h *harness) editStack(old, new string) string {
	h.t.Helper()
	path := filepath.Join(h.dir, "stacks", "Pulumi."+h.stack+".yaml")
	cur, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatal(err)
	}
	if !bytes.Contains(cur, []byte(old)) {
		h.t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(cur, []byte(old), []byte(new), 1), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return path
}
