//go:build e2e

package tests

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// binaryNames are the binaries a harness runs: the command and the plugin.
var binaryNames = []string{"peerpods", "pulumi-resource-peerpods"}

// shared is the directory of the binaries built in this test process
// (removed by TestMain), and the builds made there, by source tree and
// coverage: every harness runs the same command and plugin, linked once.
var shared struct {
	mu     sync.Mutex
	dir    string
	builds map[string]*build
}

// build is one go build of the binaries, done once; its error, if any,
// fails every test that asks for it.
type build struct {
	once sync.Once
	dir  string
	err  error
}

// binaries returns the directory holding the command and the plugin built
// from the source tree src, building them the first time it is asked in
// this test process. With cover and PEERPODS_E2E_BIN_COVERDIR (make e2e),
// they record coverage of the module's packages (GOCOVERDIR in the
// tests' environment).
func binaries(t testing.TB, src string, cover bool) string {
	t.Helper()
	cover = cover && os.Getenv("PEERPODS_E2E_BIN_COVERDIR") != ""
	key := fmt.Sprintf("%s cover=%t", src, cover)
	shared.mu.Lock()
	if shared.builds == nil {
		shared.builds = map[string]*build{}
	}
	b := shared.builds[key]
	if b == nil {
		b = &build{}
		shared.builds[key] = b
	}
	if shared.dir == "" {
		dir, err := os.MkdirTemp("", "peerpods-e2e-bin")
		if err != nil {
			shared.mu.Unlock()
			t.Fatal(err)
		}
		shared.dir = dir
		onExit(func() { os.RemoveAll(dir) })
	}
	base := shared.dir
	n := len(shared.builds)
	shared.mu.Unlock()
	b.once.Do(func() {
		b.dir = filepath.Join(base, fmt.Sprint(n))
		b.err = goBuild(src, b.dir, cover)
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

// goBuild builds the command and the plugin from src into dir.
func goBuild(src, dir string, cover bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range binaryNames {
		// -w: no DWARF (a quarter of the link time, nobody debugs them).
		args := []string{"build", "-ldflags=-w", "-o", filepath.Join(dir, name)}
		if cover {
			args = append(args, "-cover", "-coverpkg=github.com/peerpods/provisioner/...")
		}
		cmd := exec.Command("go", append(args, "./cmd/"+name)...)
		cmd.Dir = src
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s in %s: %v\n%s", name, src, err, out)
		}
	}
	return nil
}

// commitBinaries returns the directory holding the command and the plugin
// of an earlier commit, whose tree sourceAt extracted to src. A fixed
// commit builds to the same binaries every time: with PEERPODS_CACHE (make
// e2e sets it) they are built once and kept there, by commit and Go
// version; without, once per test process.
func commitBinaries(t testing.TB, commit, src string) string {
	t.Helper()
	cache := os.Getenv("PEERPODS_CACHE")
	if cache == "" {
		return binaries(t, src, false)
	}
	dir := filepath.Join(cache, "previous", commit[:12]+"-"+runtime.Version())
	if complete(dir) {
		return dir
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := goBuild(src, tmp, false); err != nil {
		t.Fatal(err)
	}
	// Another run may have put them there meanwhile: theirs are as good.
	if err := os.Rename(tmp, dir); err != nil && !complete(dir) {
		t.Fatal(err)
	}
	return dir
}

// complete reports whether dir holds every binary.
func complete(dir string) bool {
	for _, name := range binaryNames {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// link puts the file from at to, replacing what is there: a hard link
// (the binaries are large, and a harness's directories are on the same
// file system as the shared one), else a copy. Never a write through an
// existing link.
func link(from, to string) error {
	if err := os.Remove(to); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if os.Link(from, to) == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
