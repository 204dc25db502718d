package tests

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/peerpods/provisioner/tests/testkit/kubetest"
)

// releaseVersion is the version the release tests build.
const releaseVersion = "0.0.1-test"

// The one release build of this test binary, which the release tests
// share (built once: a build of two binaries is the costly part).
var (
	releaseOnce sync.Once
	releaseDir  string
	releaseErr  error
)

// makeRelease runs make release for linux/amd64 alone, once per test
// binary, into a temporary directory and returns it. The directory is
// removed once every test of the binary has run (onExit), never by
// another test binary, whose build may be under way.
func makeRelease(t *testing.T) string {
	t.Helper()
	releaseOnce.Do(func() {
		if releaseDir, releaseErr = os.MkdirTemp("", "peerpods-release-"); releaseErr != nil {
			return
		}
		dir := releaseDir
		onExit(func() { os.RemoveAll(dir) })
		cmd := exec.Command("make", "-s", "release", "VERSION="+releaseVersion, "PLATFORMS=linux/amd64", "DIST="+releaseDir)
		cmd.Dir = kubetest.RepoFile(t, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			releaseErr = fmt.Errorf("make release: %v\n%s", err, out)
		}
	})
	if releaseErr != nil {
		t.Fatal(releaseErr)
	}
	return releaseDir
}

// TestRelease: make release packs the plugin as the Pulumi engine
// downloads it (pulumi-resource-peerpods-v<version>-<os>-<arch>.tar.gz,
// the executable pulumi-resource-peerpods alone at the archive root) and
// the command likewise, both static, -trimpath builds with the version
// set at link time, and SHA256SUMS verifies them.
func TestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	t.Parallel()
	dist := makeRelease(t)
	archives := map[string]string{
		"pulumi-resource-peerpods-v" + releaseVersion + "-linux-amd64.tar.gz": "pulumi-resource-peerpods",
		"peerpods-v" + releaseVersion + "-linux-amd64.tar.gz":                 "peerpods",
	}
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"SHA256SUMS"}
	for a := range archives {
		want = append(want, a)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("dist holds %v, want %v", names, want)
	}
	for archive, binary := range archives {
		path := unpackOnly(t, filepath.Join(dist, archive), binary)
		info, err := buildinfo.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		for key, want := range map[string]string{"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "amd64", "-trimpath": "true"} {
			if settings[key] != want {
				t.Errorf("%s: built with %s=%q, want %q", archive, key, settings[key], want)
			}
		}
		// -trimpath leaves -ldflags out of the build information: the
		// command says its version, the plugin's is in its data.
		if binary == "peerpods" {
			out, err := exec.Command(path, "version").Output()
			if err != nil || string(out) != "peerpods "+releaseVersion+"\n" {
				t.Errorf("peerpods version: %q, %v; want %q", out, err, "peerpods "+releaseVersion+"\n")
			}
		} else if data, err := os.ReadFile(path); err != nil || !bytes.Contains(data, []byte(releaseVersion)) {
			t.Errorf("%s: the plugin holds no version %s (%v)", archive, releaseVersion, err)
		}
	}
	verifySums(t, dist, slices.Collect(func(yield func(string) bool) {
		for a := range archives {
			if !yield(a) {
				return
			}
		}
	}))
}

// TestReleaseRefusesBadVersions: make release wants a semantic version
// without the tag's v, and builds nothing otherwise.
func TestReleaseRefusesBadVersions(t *testing.T) {
	for _, v := range []string{"", "v1.2.3", "1.2", "1.2.3.4", "01.2.3", "1.2.3-"} {
		dist := filepath.Join(t.TempDir(), "dist")
		cmd := exec.Command("make", "-s", "release", "VERSION="+v, "PLATFORMS=linux/amd64", "DIST="+dist)
		cmd.Dir = kubetest.RepoFile(t, ".")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "is not a semantic version") {
			t.Errorf("VERSION=%q: %v, %s; want refused", v, err, out)
		}
		if _, err := os.Stat(dist); !os.IsNotExist(err) {
			t.Errorf("VERSION=%q: %s made (%v)", v, dist, err)
		}
	}
}

// TestReleaseRefusesAnotherSDKVersion: with REQUIRE_SDK_VERSION=1 (the
// release workflow), make release refuses a version other than the one
// the checked-in SDK asks the engine for (a program on that SDK would
// never load the released plugin), before building anything, and names
// the fix; the SDK's own version passes the check.
func TestReleaseRefusesAnotherSDKVersion(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(kubetest.RepoFile(t, "sdk/go/peerpods/pulumi-plugin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var plugin struct{ Version string }
	if err := json.Unmarshal(raw, &plugin); err != nil || plugin.Version == "" {
		t.Fatalf("sdk/go/peerpods/pulumi-plugin.json: no version (%v)", err)
	}
	release := func(version, platforms string) (string, error) {
		cmd := exec.Command("make", "-s", "release", "VERSION="+version, "PLATFORMS="+platforms, "DIST="+filepath.Join(t.TempDir(), "dist"))
		cmd.Dir = kubetest.RepoFile(t, ".")
		cmd.Env = append(os.Environ(), "REQUIRE_SDK_VERSION=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := release("9.9.9", "linux/amd64")
	if err == nil || !strings.Contains(out, "ask for plugin version "+plugin.Version) || !strings.Contains(out, "hack/sdkgen/cmd") {
		t.Errorf("VERSION=9.9.9 against the SDK's %s: %v\n%s; want refused, naming both and the fix", plugin.Version, err, out)
	}
	// The SDK's version gets past the checks (the tree's go.mod requires
	// the SDK module at that version) to the platforms, which an unknown
	// one stops before any build.
	if out, err := release(plugin.Version, "nowhere"); err == nil || strings.Contains(out, "ask for plugin version") || !strings.Contains(out, `platform "nowhere" is not os/arch`) {
		t.Errorf("VERSION=%s (the SDK's): %v\n%s; want past the version checks", plugin.Version, err, out)
	}
	// A tree whose go.mod requires the SDK module at another version is
	// refused: a library user would resolve that version, not this one.
	tree := t.TempDir()
	for _, f := range []string{"hack/release.sh", "sdk/go/peerpods/pulumi-plugin.json", "go.mod"} {
		data, err := os.ReadFile(kubetest.RepoFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "go.mod" {
			data = bytes.Replace(data, []byte("sdk/go/peerpods v"+plugin.Version+"\n"), []byte("sdk/go/peerpods v0.0.0-00010101000000-000000000000\n"), 1)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, f), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("hack/release.sh", plugin.Version)
	cmd.Dir = tree
	cmd.Env = append(os.Environ(), "REQUIRE_SDK_VERSION=1", "PLATFORMS=nowhere")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "go.mod does not require github.com/peerpods/provisioner/sdk/go/peerpods v"+plugin.Version) {
		t.Errorf("go.mod requiring another SDK module version: %v\n%s; want refused, naming the requirement", err, out)
	}
}

// unpackOnly checks that the gzipped tarball holds exactly one entry, the
// executable regular file name at its root, and returns it extracted.
func unpackOnly(t *testing.T, archive, name string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", archive, err)
	}
	tr := tar.NewReader(gz)
	out := filepath.Join(t.TempDir(), name)
	var seen []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		seen = append(seen, h.Name)
		if h.Name != name {
			continue
		}
		if h.Typeflag != tar.TypeReg || h.Mode&0o111 != 0o111 {
			t.Errorf("%s: %s is type %c mode %o, want an executable regular file", archive, name, h.Typeflag, h.Mode)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(seen, []string{name}) {
		t.Fatalf("%s holds %v, want [%s] alone", archive, seen, name)
	}
	return out
}

// verifySums checks that dist/SHA256SUMS lists exactly files (in
// sha256sum's format) with their digests.
func verifySums(t *testing.T, dist string, files []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var listed []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not sha256sum's", sc.Text())
		}
		listed = append(listed, name)
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("SHA256SUMS: %s has digest %x, listed %s", name, got, sum)
		}
	}
	slices.Sort(listed)
	slices.Sort(files)
	if !slices.Equal(listed, files) {
		t.Errorf("SHA256SUMS lists %v, want %v", listed, files)
	}
}
