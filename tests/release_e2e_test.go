//go:build e2e

package tests

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// releaseProgram is a Pulumi YAML program using the plugin without a
// plugins.providers entry: the engine takes the plugin installed in the
// Pulumi home. Its preview connects to no libvirtd.
const releaseProgram = `name: peerpods-release
runtime: yaml
resources:
  peerpods:
    type: pulumi:providers:peerpods
    properties:
      uri: qemu:///system
  pool:
    type: peerpods:libvirt:StoragePool
    properties:
      name: peerpods-release-e2e
    options:
      provider: ${peerpods}
`

// TestReleaseInstalls: the plugin's release tarball (make release) is a
// plugin as Pulumi installs it, from the file (pulumi plugin install
// --file) and through the engine's own download from a server (--server,
// the download path of a pluginDownloadURL, here an HTTP server of the
// dist directory); a project without plugins.providers then runs on the
// installed plugin (a YAML program's preview: the stack, the provider
// and a pool to create), with no plugin on PATH.
func TestReleaseInstalls(t *testing.T) {
	t.Parallel()
	dist := makeRelease(t)
	tarball := filepath.Join(dist, "pulumi-resource-peerpods-v"+releaseVersion+"-linux-amd64.tar.gz")

	srv, requests := releaseServer(t, dist)

	tmp := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"file", []string{"--file", tarball}},
		{"server", []string{"--server", srv.URL}},
	} {
		home := filepath.Join(tmp, c.name, "home")
		h := &harness{t: t, dir: filepath.Join(tmp, c.name, "project"), stack: "release"}
		if err := os.MkdirAll(h.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		h.env = append(pulumiEnv(t, filepath.Join(tmp, c.name, "state"), home), "PULUMI_IGNORE_AMBIENT_PLUGINS=true")
		if err := os.MkdirAll(filepath.Join(tmp, c.name, "state"), 0o755); err != nil {
			t.Fatal(err)
		}
		h.run("pulumi", append([]string{"plugin", "install", "resource", "peerpods", releaseVersion}, c.args...)...)
		installed := filepath.Join(home, "plugins", "resource-peerpods-v"+releaseVersion, "pulumi-resource-peerpods")
		if fi, err := os.Stat(installed); err != nil || fi.Mode()&0o111 == 0 {
			t.Fatalf("%s: the installed plugin %s: %v", c.name, installed, err)
		}
		var plugins []struct {
			Name, Kind, Version string
		}
		if err := json.Unmarshal([]byte(h.run("pulumi", "plugin", "ls", "--json")), &plugins); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(plugins, func(p struct{ Name, Kind, Version string }) bool {
			return p.Name == "peerpods" && p.Kind == "resource" && p.Version == releaseVersion
		}) {
			t.Errorf("%s: pulumi plugin ls: %+v, want peerpods %s", c.name, plugins, releaseVersion)
		}

		if err := os.WriteFile(filepath.Join(h.dir, "Pulumi.yaml"), []byte(releaseProgram), 0o644); err != nil {
			t.Fatal(err)
		}
		h.run("pulumi", "stack", "init", h.stack)
		preview := h.run("pulumi", "preview", "--stack", h.stack)
		if !strings.Contains(preview, "peerpods:libvirt:StoragePool") || !strings.Contains(preview, "3 to create") {
			t.Errorf("%s: preview without plugins.providers:\n%s", c.name, preview)
		}
	}
	want := "/pulumi-resource-peerpods-v" + releaseVersion + "-linux-amd64.tar.gz"
	if got := requests(); !slices.Equal(got, []string{want}) {
		t.Errorf("the server was asked for %v, want [%s]", got, want)
	}
}

// TestAWSStackNeedsNoBin: the AWS example stack runs on the repository's
// Pulumi.yaml in a project without bin/ (no plugin folder, no plugin
// anywhere): peerpods preview gets to the program, which stops at its own
// settings check (no kubeconfig, no credentials: nothing reaches AWS).
// With a plugins.providers entry naming ./bin, as Pulumi.yaml had, the
// engine refuses the project before any program runs.
func TestAWSStackNeedsNoBin(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	project, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(project), "\nplugins:") {
		t.Fatalf("Pulumi.yaml has a plugins section:\n%s", project)
	}
	stack, err := os.ReadFile(filepath.Join(root, "stacks", "Pulumi.aws-example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	peerpods := filepath.Join(binaries(t, root, true), "peerpods")
	for _, c := range []struct {
		name, extra, want, not string
	}{
		{"Pulumi.yaml", "", "invalid settings", "no folder at path"},
		{"with plugins.providers ./bin", treePlugin, "no folder at path", "invalid settings"},
	} {
		tmp := t.TempDir()
		h := &harness{t: t, dir: filepath.Join(tmp, "project"), stack: "aws-example", bin: tmp}
		for _, d := range []string{filepath.Join(h.dir, "stacks"), filepath.Join(tmp, "state")} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for path, data := range map[string][]byte{"Pulumi.yaml": append(project, c.extra...), "stacks/Pulumi.aws-example.yaml": stack} {
			if err := os.WriteFile(filepath.Join(h.dir, path), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := link(peerpods, filepath.Join(h.bin, "peerpods")); err != nil {
			t.Fatal(err)
		}
		h.env = append(pulumiEnv(t, filepath.Join(tmp, "state"), filepath.Join(tmp, "home")), "PULUMI_IGNORE_AMBIENT_PLUGINS=true")
		out := h.peerpods(1, "preview")
		if !strings.Contains(out, c.want) || strings.Contains(out, c.not) {
			t.Errorf("%s: peerpods preview says %q, want %q and no %q", c.name, out, c.want, c.not)
		}
	}
}

// releaseServer serves the release folder dist over HTTP, as GitHub
// serves a release's assets, until the test ends; requests returns the
// paths asked for so far, in order.
func releaseServer(t *testing.T, dist string) (srv *httptest.Server, requests func() []string) {
	t.Helper()
	var mu sync.Mutex
	var paths []string
	files := http.FileServer(http.Dir(dist))
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(paths)
	}
}
