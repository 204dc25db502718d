//go:build e2e

package tests

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
)

// packageProgram is a Pulumi YAML program that uses the libvirt component
// of a package added with pulumi package add: no plugins section, the
// engine finds the plugin from the project's packages entry and the YAML
// host's package lock under sdks/ (pulumi-yaml pkg/pulumiyaml/packages,
// SearchPackageDecls).
const packageProgram = `name: peerpods-package
runtime: yaml
resources:
  peerpods:
    type: pulumi:providers:peerpods
  podvms:
    type: peerpods:libvirt:PeerPods
    properties:
      uri: %URI%
      pool: %POOL%
      dir: %DIR%
      image: %IMAGE%
      settings:
        limitPerNode: 4
    options:
      providers:
        - ${peerpods}
outputs:
  cloud: ${podvms.cloud}
  configMap: ${podvms.configMap}
`

// languageHost fails (yaml, which make e2e builds) or skips (go, nodejs,
// python: not buildable from the Go module proxy, hack/language-hosts.sh
// builds them from a pulumi/pulumi checkout) unless the language host
// pulumi-language-<lang> is next to the pulumi executable: with
// PULUMI_IGNORE_AMBIENT_PLUGINS, as these tests run, the engine looks for
// a language host there only (pulumi sdk/v3 v3.250.0,
// go/common/workspace/plugins.go, GetPluginPath: "bundled" plugins).
func languageHost(t *testing.T, lang string) {
	t.Helper()
	cli, err := exec.LookPath("pulumi")
	if err != nil {
		t.Fatalf("the Pulumi CLI is not on PATH (make e2e builds it with make pulumi): %v", err)
	}
	if cli, err = filepath.EvalSymlinks(cli); err != nil {
		t.Fatal(err)
	}
	host := filepath.Join(filepath.Dir(cli), "pulumi-language-"+lang)
	if _, err := os.Stat(host); err == nil {
		return
	}
	if lang == "yaml" {
		t.Fatalf("no %s next to the Pulumi CLI (make e2e builds it with make yaml)", host)
	}
	t.Skipf("no %s: the Go module proxy does not serve pulumi's language hosts; "+
		"build them next to the CLI with PULUMI_SRC=<pulumi/pulumi v3.250.0 checkout> hack/language-hosts.sh %s",
		host, filepath.Dir(cli))
}

// packageHarness makes an empty project directory with its own state
// backend and Pulumi home, plugins only from the Pulumi home (no plugin
// on PATH: PULUMI_IGNORE_AMBIENT_PLUGINS), a fresh pool name and a
// connection to the test libvirtd.
func packageHarness(t *testing.T, stack string) *harness {
	t.Helper()
	tmp := t.TempDir()
	h := &harness{t: t, dir: filepath.Join(tmp, "project"), state: filepath.Join(tmp, "state"), stack: stack,
		pool: "peerpods-e2e-" + randomHex(t, 3)}
	for _, d := range []string{h.dir, h.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.env = append(pulumiEnv(t, h.state, filepath.Join(tmp, "home")), "PULUMI_IGNORE_AMBIENT_PLUGINS=true")
	return h
}

// writeProgram writes packageProgram into the harness's project, pointed
// at the test libvirtd, the harness's pool and a generated image, and
// connects the harness to that libvirtd.
func (h *harness) writeProgram() {
	t := h.t
	t.Helper()
	uri := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")
	h.poolDir = filepath.Join(e2eenv.Require(t, "PEERPODS_E2E_POOL_DIR"), h.pool)
	lv, err := conn.Open(uri, conn.Credentials{})
	if err != nil {
		t.Fatalf("connecting to the test libvirtd: %v", err)
	}
	h.lv = lv
	t.Cleanup(func() { lv.Disconnect() })
	image := filepath.Join(t.TempDir(), "podvm.qcow2")
	h.run("qemu-img", "create", "-q", "-f", "qcow2", image, "64M")
	program := strings.NewReplacer("%URI%", quote(uri), "%POOL%", h.pool, "%DIR%", quote(h.poolDir),
		"%IMAGE%", quote(image)).Replace(packageProgram)
	if err := os.WriteFile(filepath.Join(h.dir, "Pulumi.yaml"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
}

// deploy runs up on the harness's program (a new stack) and checks the
// pool, the volume and the outputs, then destroy and that the pool is
// gone.
func (h *harness) deploy() {
	t := h.t
	t.Helper()
	h.run("pulumi", "stack", "init", h.stack)
	t.Cleanup(func() {
		if h.poolExists() {
			h.exec("pulumi", "destroy", "--yes", "--skip-preview", "--stack", h.stack)
		}
	})
	h.run("pulumi", "up", "--yes", "--skip-preview", "--stack", h.stack)
	if !h.poolExists() || !h.volume("podvm-base.qcow2") {
		t.Fatalf("after up: pool %v, volume %v", h.poolExists(), h.volume("podvm-base.qcow2"))
	}
	var outs struct {
		Cloud     string            `json:"cloud"`
		ConfigMap map[string]string `json:"configMap"`
	}
	if err := json.Unmarshal([]byte(h.run("pulumi", "stack", "output", "--json", "--stack", h.stack)), &outs); err != nil {
		t.Fatal(err)
	}
	if outs.Cloud != "libvirt" || outs.ConfigMap["LIBVIRT_POOL"] != h.pool || outs.ConfigMap["PEERPODS_LIMIT_PER_NODE"] != "4" {
		t.Errorf("outputs: %+v", outs)
	}
	h.run("pulumi", "destroy", "--yes", "--skip-preview", "--stack", h.stack)
	if h.poolExists() {
		t.Error("destroy left the pool")
	}
}

// packageLock returns the YAML host's package lock that pulumi package
// add wrote under the project's sdks/ (pulumi-yaml pkg/server,
// GeneratePackage: sdks/<namespace>-<name>/<name>-<version>.yaml).
func (h *harness) packageLock(version string) string {
	h.t.Helper()
	path := filepath.Join(h.dir, "sdks", "peerpods-peerpods", "peerpods-"+version+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		h.t.Fatalf("the package lock: %v", err)
	}
	return string(data)
}

// TestPackageAddYAML: a released plugin is a Pulumi package a YAML
// project adds by name and version. pulumi plugin install with the
// plugin's download URL (the schema's pluginDownloadURL, github://, sent
// to a local server of make release's dist by
// PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES), then pulumi package add
// peerpods@<version>: the project's packages entry and the package lock
// with that version and download URL. In a Pulumi home without the
// plugin, up downloads it from the lock's URL and deploys the libvirt
// component against the test libvirtd; destroy removes it.
func TestPackageAddYAML(t *testing.T) {
	t.Parallel()
	languageHost(t, "yaml")
	dist := makeRelease(t)
	srv, requests := releaseServer(t, dist)

	h := packageHarness(t, "package-yaml")
	// The override maps the plugin's github:// download URL to the server
	// (pulumi sdk/v3 v3.250.0 go/common/workspace/plugins.go,
	// PluginDescriptor.GetSource); no registry lookup for a name the
	// registry does not know.
	h.env = append(h.env, "PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES=^"+regexp.QuoteMeta(provider.PluginDownloadURL)+"="+srv.URL,
		"PULUMI_DISABLE_REGISTRY_RESOLVE=true")
	h.writeProgram()
	h.run("pulumi", "plugin", "install", "resource", "peerpods", releaseVersion, "--server", provider.PluginDownloadURL)
	h.run("pulumi", "package", "add", "peerpods@"+releaseVersion)

	project, err := os.ReadFile(filepath.Join(h.dir, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(project), "packages:\n  peerpods: peerpods@"+releaseVersion+"\n") {
		t.Errorf("Pulumi.yaml after package add:\n%s", project)
	}
	lock := h.packageLock(releaseVersion)
	for _, want := range []string{"name: peerpods\n", "version: " + releaseVersion + "\n", "downloadUrl: " + provider.PluginDownloadURL} {
		if !strings.Contains(lock, want) {
			t.Errorf("the package lock has no %q:\n%s", want, lock)
		}
	}

	// A Pulumi home without the plugin: up installs it from the lock.
	for i, e := range h.env {
		if strings.HasPrefix(e, "PULUMI_HOME=") {
			h.env[i] = "PULUMI_HOME=" + filepath.Join(t.TempDir(), "home")
		}
	}
	h.deploy()

	want := "/pulumi-resource-peerpods-v" + releaseVersion + "-linux-amd64.tar.gz"
	if got := requests(); !slices.Equal(got, []string{want, want}) {
		t.Errorf("the server was asked for %v, want %s twice (install, then up in a new home)", got, want)
	}
}

// TestPackageAddSource: the repository's provider plugin is a
// source-based package (cmd/pulumi-resource-peerpods/PulumiPlugin.yaml,
// runtime go), added as a directory or from git, a subdirectory of the
// repository at a tag (path@version; here an HTTPS git server of a copy
// of this tree, tagged v<provider.Version>). The engine runs it through
// the Go language host, which builds it (pulumi-language-go v3.250.0,
// RunPlugin, compileProgram: go build in the plugin's directory, of the
// clone for git: pkg/v3 v3.250.0 cmd/pulumi/packageresolution, Resolve).
// With the directory, a YAML project with the packages entry that pulumi
// package add wrote deploys the libvirt component from source, with no
// plugin binary anywhere.
func TestPackageAddSource(t *testing.T) {
	t.Parallel()
	languageHost(t, "yaml")
	languageHost(t, "go")
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// The Go host builds the plugin with -trimpath (compileProgram), as
	// make release does with CGO_ENABLED=0: with CGO_ENABLED=0 here too
	// (the host's go build inherits the engine's environment), that build
	// compiles nothing make release has compiled for linux/amd64 (Go's
	// build cache), where a build of its own would add minutes and a
	// gigabyte of cache.
	makeRelease(t)

	t.Run("path", func(t *testing.T) {
		t.Parallel()
		// A copy of the source tree: a source-based package writes into
		// it (the Go host's InstallDependencies runs go mod tidy in the
		// module; the YAML host caches the schema next to the plugin's
		// directory, cmd/schema-peerpods.json: pulumi sdk/v3 v3.230.0
		// go/common/workspace/plugins.go, PluginInfo.SchemaPath).
		root := copyTree(t, repo)
		dir := filepath.Join(root, "cmd", "pulumi-resource-peerpods")
		h := packageHarness(t, "package-path")
		h.env = append(h.env, "CGO_ENABLED=0")
		h.writeProgram()
		seedGoDependencies(t, h, root)
		h.run("pulumi", "package", "add", dir)
		h.checkSourcePackage("packages:\n  peerpods: " + dir + "\n")
		h.deploy()
	})

	t.Run("git", func(t *testing.T) {
		t.Parallel()
		root := copyTree(t, repo)
		url, certFile := gitServer(t, root, "peerpods/provisioner.git", "v"+provider.Version)
		h := packageHarness(t, "package-git")
		h.env = append(h.env, "CGO_ENABLED=0", "SSL_CERT_FILE="+certFile)
		h.writeProgram()
		seedGoDependencies(t, h, root)
		source := url + "/peerpods/provisioner.git/cmd/pulumi-resource-peerpods"
		// pulumi package add clones the tag, builds and runs the plugin
		// from the clone for its schema; Pulumi.yaml names the source
		// without its scheme.
		h.run("pulumi", "package", "add", source+"@v"+provider.Version)
		h.checkSourcePackage("packages:\n  peerpods: " + strings.TrimPrefix(source, "https://") + "@v" + provider.Version + "\n")
		// No deploy: the component's own libvirt provider asks the engine
		// for the plugin peerpods at its version from the SDK's download
		// URL (the GitHub releases), which the packages entry of a git
		// source (a plugin named after the URL) does not serve, where a
		// path's does. Deploying it needs that release (or the path form).
	})
}

// checkSourcePackage checks that Pulumi.yaml holds want (the packages
// entry) and the package lock the plugin's version.
func (h *harness) checkSourcePackage(want string) {
	t := h.t
	t.Helper()
	project, err := os.ReadFile(filepath.Join(h.dir, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(project), want) {
		t.Errorf("Pulumi.yaml after package add has no %q:\n%s", want, project)
	}
	if lock := h.packageLock(provider.Version); !strings.Contains(lock, "version: "+provider.Version+"\n") {
		t.Errorf("the package lock:\n%s", lock)
	}
}

// gitServer commits the tree at dir to a new repository, tags it tag and
// serves it bare at https://<server>/<name> (git http-backend, smart
// HTTP, over an httptest TLS server); it returns the server's URL and a
// PEM file of its certificate, for SSL_CERT_FILE (Go's root pool on
// Linux).
func gitServer(t *testing.T, dir, name, tag string) (string, string) {
	t.Helper()
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=peerpods", "-c", "user.email=peerpods@example.com"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git(dir, "init", "-q", "-b", "main")
	git(dir, "add", "-A")
	git(dir, "commit", "-q", "-m", "peerpods")
	git(dir, "tag", tag)
	serve := t.TempDir()
	git(dir, "clone", "-q", "--bare", dir, filepath.Join(serve, name))
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	// On port 443: the CLI v3.250.0 takes a git source with a port in
	// its host for a local path and then panics (pkg/v3
	// cmd/pulumi/packagecmd/package_add.go:195, plugin.IsLocalPluginPath:
	// url.Parse of "host:port/..." fails), so the URL names no port.
	l, err := net.Listen("tcp", "127.0.0.1:443")
	if err != nil {
		t.Skipf("the git server needs 127.0.0.1:443 (a git source with a port makes pulumi package add v3.250.0 panic): %v", err)
	}
	srv := httptest.NewUnstartedServer(&cgi.Handler{
		Path: gitBin, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + serve, "GIT_HTTP_EXPORT_ALL=1"},
	})
	srv.Listener.Close()
	srv.Listener = l
	srv.StartTLS()
	t.Cleanup(srv.Close)
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(certFile, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(srv.URL, ":443"), certFile
}

// copyTree copies the files of the repository at repo that git tracks or
// would track (the working tree's, edits included) into a temporary
// directory and returns it.
func copyTree(t *testing.T, repo string) string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dst := t.TempDir()
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(repo, name)
		fi, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) { // deleted in the working tree
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// seedGoDependencies marks the provider plugins that the Go language
// host reports as the source-based package's dependencies as installed
// in the harness's Pulumi home, as empty plugin directories. The host
// reports every module required by the plugin's go.mod (the root
// module's: aws, azure, azure-native, gcp, kubernetes, tls, for the
// components' resources) with a pulumi-plugin.json of a resource plugin
// (pulumi-language-go v3.250.0, GetRequiredPackages, readPulumiPluginJSON,
// getPackage), and the engine installs each one not in the Pulumi home
// (pkg/v3 v3.250.0 cmd/pulumi/packageinstallation,
// gatherPackageDependenciesStep; workspace.HasPlugin: the directory
// exists): online, over a gigabyte of downloads; offline, here, an error.
// The libvirt component starts none of them.
func seedGoDependencies(t *testing.T, h *harness, root string) {
	t.Helper()
	goCmd := func(args ...string) []byte {
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	var mod struct{ Require []struct{ Path string } }
	if err := json.Unmarshal(goCmd("mod", "edit", "-json"), &mod); err != nil {
		t.Fatal(err)
	}
	args := []string{"list", "-m", "-json"}
	for _, r := range mod.Require {
		args = append(args, r.Path)
	}
	home := ""
	for _, e := range h.env {
		if v, ok := strings.CutPrefix(e, "PULUMI_HOME="); ok {
			home = v
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(goCmd(args...))))
	for dec.More() {
		var m struct{ Path, Version, Dir string }
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Dir == "" {
			continue
		}
		paths := []string{filepath.Join(m.Dir, "pulumi-plugin.json"), filepath.Join(m.Dir, "go", "pulumi-plugin.json")}
		for _, glob := range []string{"go/*/pulumi-plugin.json", "*/pulumi-plugin.json"} {
			more, _ := filepath.Glob(filepath.Join(m.Dir, glob))
			paths = append(paths, more...)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			var p struct {
				Resource      bool
				Name, Version string
			}
			if err := json.Unmarshal(data, &p); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if p.Resource {
				if p.Name == "" { // github.com/pulumi/pulumi-aws/sdk/v6 => aws
					p.Name = strings.SplitN(strings.Split(m.Path, "/")[2], "-", 2)[1]
				}
				if p.Version == "" {
					p.Version = m.Version
				}
				dir := filepath.Join(home, "plugins", "resource-"+p.Name+"-v"+strings.TrimPrefix(p.Version, "v"))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			break
		}
	}
}

// goProgram is a Go Pulumi program on the Go SDK that pulumi package add
// generates (the README's Go example, on the package's SDK instead of
// the library).
const goProgram = `package main

import (
	"github.com/peerpods/provisioner/sdk/go/peerpods"
	"github.com/peerpods/provisioner/sdk/go/peerpods/components"
	"github.com/peerpods/provisioner/sdk/go/peerpods/libvirt"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		provider, err := peerpods.NewProvider(ctx, "peerpods", &peerpods.ProviderArgs{})
		if err != nil {
			return err
		}
		podvms, err := libvirt.NewPeerPods(ctx, "podvms", &libvirt.PeerPodsArgs{
			Uri:                pulumi.StringRef("qemu:///system"),
			Pool:               pulumi.StringRef("peerpods"),
			Dir:                pulumi.StringRef("/var/lib/libvirt/images/peerpods"),
			Image:              pulumi.StringRef("/var/tmp/peerpods/podvm.qcow2"),
			RedhatOfflineToken: config.RequireSecret(ctx, "token"),
			Settings:           components.SettingsArgs{LimitPerNode: pulumi.IntPtr(4)},
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("configMap", podvms.ConfigMap)
		ctx.Export("secret", podvms.Secret)
		return nil
	})
}
`

// tsProgram is the README's TypeScript program.
const tsProgram = `import * as pulumi from "@pulumi/pulumi";
import * as peerpods from "@peerpods/peerpods";

const config = new pulumi.Config();
const provider = new peerpods.Provider("peerpods");
const podvms = new peerpods.libvirt.PeerPods("podvms", {
    uri: "qemu:///system",
    pool: "peerpods",
    dir: "/var/lib/libvirt/images/peerpods",
    image: "/var/tmp/peerpods/podvm.qcow2",
    redhatOfflineToken: config.requireSecret("token"),
    settings: { limitPerNode: 4 },
}, { provider });
export const configMap = podvms.configMap;
export const secret = podvms.secret;
`

// TestPackageSDKs: pulumi package add of the plugin generates typed SDKs
// that compile with the programs of the README: in a Go project (go
// build; a misspelt field does not compile), in a TypeScript project
// (tsc, with @pulumi/pulumi and TypeScript from npm; a misspelt input
// does not compile), and pulumi package gen-sdk the Python SDK
// (python3 -m compileall). Each needs its language host (GeneratePackage,
// Link): skipped without.
func TestPackageSDKs(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// The plugin the engine tests run (one build per test process), built
	// only once a subtest has its language host.
	plugin := func(t *testing.T) string {
		return filepath.Join(binaries(t, root, true), "pulumi-resource-peerpods")
	}

	t.Run("go", func(t *testing.T) {
		t.Parallel()
		languageHost(t, "go")
		h := packageHarness(t, "sdk-go")
		h.write("Pulumi.yaml", "name: podvms\nruntime: go\n")
		h.write("go.mod", "module example.com/podvms\n\ngo 1.25\n")
		h.run("pulumi", "package", "add", plugin(t))
		h.write("main.go", goProgram)
		h.run("go", "mod", "tidy")
		h.run("go", "build", "-o", os.DevNull, ".")
		h.write("main.go", strings.Replace(goProgram, "Pool:", "Pol: ", 1))
		if out, code := h.exec("go", "build", "-o", os.DevNull, "."); code == 0 || !strings.Contains(out, "unknown field Pol") {
			t.Errorf("a misspelt field: exit %d\n%s", code, out)
		}
	})

	t.Run("typescript", func(t *testing.T) {
		t.Parallel()
		languageHost(t, "nodejs")
		if _, err := exec.LookPath("npm"); err != nil {
			t.Skip("no npm")
		}
		h := packageHarness(t, "sdk-ts")
		cache := os.Getenv("PEERPODS_CACHE")
		if cache == "" {
			cache = t.TempDir()
		}
		h.env = append(h.env, "npm_config_cache="+filepath.Join(cache, "npm"), "npm_config_audit=false",
			"npm_config_fund=false", "npm_config_update_notifier=false")
		h.write("Pulumi.yaml", "name: podvms\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\n")
		h.write("package.json", `{"name": "podvms", "main": "index.ts",
  "dependencies": {"@pulumi/pulumi": "3.250.0"},
  "devDependencies": {"typescript": "5.9.3", "@types/node": "20.19.0"}}
`)
		h.write("tsconfig.json", `{"compilerOptions": {"strict": true, "target": "es2020", "module": "commonjs",
  "moduleResolution": "node", "outDir": "bin", "skipLibCheck": true}, "files": ["index.ts"]}
`)
		h.run("npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
		h.run("pulumi", "package", "add", plugin(t))
		h.write("index.ts", tsProgram)
		h.run(filepath.Join(h.dir, "node_modules", ".bin", "tsc"), "--noEmit", "-p", ".")
		h.write("index.ts", strings.Replace(tsProgram, "limitPerNode", "limitPerNod", 1))
		if out, code := h.exec(filepath.Join(h.dir, "node_modules", ".bin", "tsc"), "--noEmit", "-p", "."); code == 0 || !strings.Contains(out, "limitPerNod") {
			t.Errorf("a misspelt input: exit %d\n%s", code, out)
		}
	})

	t.Run("python", func(t *testing.T) {
		t.Parallel()
		languageHost(t, "python")
		if _, err := exec.LookPath("python3"); err != nil {
			t.Skip("no python3")
		}
		h := packageHarness(t, "sdk-python")
		out := filepath.Join(t.TempDir(), "sdk")
		h.run("pulumi", "package", "gen-sdk", plugin(t), "--language", "python", "--out", out)
		h.run("python3", "-m", "compileall", "-q", out)
		found, _ := filepath.Glob(filepath.Join(out, "python", "*", "libvirt", "peer_pods.py"))
		if len(found) != 1 {
			t.Fatalf("no libvirt/peer_pods.py in the Python SDK: %v", found)
		}
		if data, err := os.ReadFile(found[0]); err != nil || !strings.Contains(string(data), "class PeerPods(pulumi.ComponentResource)") {
			t.Errorf("%s: no class PeerPods (%v)", found[0], err)
		}
	})
}

// write writes a file of the harness's project.
func (h *harness) write(name, content string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}
