//go:build e2e

package provider_test

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/peerpods/provisioner/libvirt/image"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// sparseImage writes a raw image of size bytes with random data at the
// given offsets (64 KiB each) and holes elsewhere.
func sparseImage(t *testing.T, path string, size int64, offsets ...int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for _, off := range offsets {
		rand.Read(buf)
		if _, err := f.WriteAt(buf, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func allocated(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}

// samePool creates a pool for volume tests and removes it at the end.
func samePool(t *testing.T, s integration.Server, name string) {
	t.Helper()
	r := create(t, s, poolType, props(map[string]any{"name": name, "path": poolDir(t, name)}))
	t.Cleanup(func() { del(t, s, poolType, r) })
}

func TestStorageVolumeLifeCycle(t *testing.T) {
	s := localServer(t)
	samePool(t, s, "ppe2e-vol")
	src := filepath.Join(t.TempDir(), "podvm.raw")
	const size = 64 << 20
	sparseImage(t, src, size, 0, 10<<20, size-64<<10)
	in := func(capacity int) property.Map {
		m := map[string]any{"pool": "ppe2e-vol", "name": "base.img", "format": "raw", "source": src}
		if capacity > 0 {
			m["capacity"] = capacity
		}
		return props(m)
	}
	var key string
	checkContent := func(_, out property.Map) {
		key = out.Get("key").AsString()
		wantSum, err := image.SHA256(src)
		if err != nil {
			t.Fatal(err)
		}
		if out.Get("sourceSha256").AsString() != wantSum {
			t.Errorf("sourceSha256 %v, want %s", out.Get("sourceSha256"), wantSum)
		}
		// The volume holds exactly the image's bytes...
		got := sha256Prefix(t, key, size)
		if got != wantSum {
			t.Errorf("volume content %s, want %s", got, wantSum)
		}
		// ...and its holes stayed holes (3 x 64 KiB of data, plus file
		// system slack).
		if a := allocated(t, key); a > 1<<20 {
			t.Errorf("volume allocates %d bytes for 192 KiB of data: holes were written", a)
		}
	}
	integration.LifeCycleTest{
		Resource: volumeType,
		Create:   integration.Operation{Inputs: in(0), Hook: checkContent},
		Updates: []integration.Operation{
			{
				// Growing is an update (resize in place).
				Inputs: in(128 << 20),
				Hook: func(_, out property.Map) {
					if c := out.Get("actualCapacity").AsNumber(); c != 128<<20 {
						t.Errorf("capacity %v after resize", c)
					}
				},
			},
			{
				// Capacity smaller than the image: refused by Check.
				Inputs:        in(1 << 20),
				CheckFailures: []p.CheckFailure{{Property: "capacity", Reason: "is 1048576 bytes, smaller than the image " + src + " (67108864 bytes); fix: use at least 67108864, or leave it unset to use the image's size"}},
			},
		},
	}.Run(t, localServer(t))
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("volume file %s after delete: %v", key, err)
	}
}

// sha256Prefix hashes the first n bytes of path.
func sha256Prefix(t *testing.T, path string, n int64) string {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "prefix")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, _ := os.Create(tmp)
	buf := make([]byte, 1<<20)
	for left := n; left > 0; {
		m, err := f.Read(buf[:min(int64(len(buf)), left)])
		if m == 0 || err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		out.Write(buf[:m])
		left -= int64(m)
	}
	out.Close()
	sum, err := image.SHA256(tmp)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestStorageVolumeNewImageReplaces(t *testing.T) {
	s := localServer(t)
	samePool(t, s, "ppe2e-rep")
	src := filepath.Join(t.TempDir(), "podvm.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", src, "1G").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, out)
	}
	in := props(map[string]any{"pool": "ppe2e-rep", "source": src, "capacity": 2 << 30})
	r := create(t, s, volumeType, in)
	if r.ID != "ppe2e-rep/podvm-base.qcow2" || r.Properties.Get("actualFormat").AsString() != "qcow2" || r.Properties.Get("actualCapacity").AsNumber() != 2<<30 {
		t.Fatalf("created %s %v", r.ID, r.Properties)
	}
	chk, err := s.Check(p.CheckRequest{Urn: urn(volumeType), Inputs: in})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Diff(p.DiffRequest{ID: r.ID, Urn: urn(volumeType), State: r.Properties, Inputs: chk.Inputs})
	if err != nil || d.HasChanges {
		t.Fatalf("Diff with the same image: %+v %v", d, err)
	}
	// The same file with new content: replaced.
	if out, err := exec.Command("qemu-img", "resize", "-q", src, "1536M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, out)
	}
	d, err = s.Diff(p.DiffRequest{ID: r.ID, Urn: urn(volumeType), State: r.Properties, Inputs: chk.Inputs})
	if err != nil || d.DetailedDiff["sourceSha256"].Kind != p.UpdateReplace || !d.DeleteBeforeReplace {
		t.Fatalf("Diff with a new image: %+v %v", d, err)
	}

	// Drift: the volume deleted behind our back.
	l := direct(t)
	pool, _ := l.StoragePoolLookupByName("ppe2e-rep")
	vol, err := l.StorageVolLookupByName(pool, "podvm-base.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.StorageVolDelete(vol, 0); err != nil {
		t.Fatal(err)
	}
	rd, err := s.Read(p.ReadRequest{ID: r.ID, Urn: urn(volumeType), Properties: r.Properties, Inputs: chk.Inputs})
	if err != nil || rd.ID != "" {
		t.Fatalf("Read after external delete: %q %v", rd.ID, err)
	}
	del(t, s, volumeType, r) // deleting what is gone succeeds
}

func TestStorageVolumeBadInput(t *testing.T) {
	s := localServer(t)
	samePool(t, s, "ppe2e-volbad")
	l := direct(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "podvm.raw")
	sparseImage(t, raw, 8<<20, 0)
	base := func(extra map[string]any) property.Map {
		m := map[string]any{"pool": "ppe2e-volbad", "name": "v.img", "format": "raw", "source": raw}
		for k, v := range extra {
			m[k] = v
		}
		return props(m)
	}
	cases := []struct {
		name string
		in   property.Map
		want []string
	}{
		{"capacity smaller than image", base(map[string]any{"capacity": 4 << 20}), []string{"capacity", "smaller than the image"}},
		{"unknown format", base(map[string]any{"format": "vmdk"}), []string{"format", `"vmdk"`, "qcow2"}},
		{"format does not match image", base(map[string]any{"format": "qcow2"}), []string{"format", "is a raw image"}},
		{"missing image", base(map[string]any{"source": filepath.Join(dir, "nope.qcow2")}), []string{"source", "cannot be read"}},
		{"relative image", base(map[string]any{"source": "podvm.raw"}), []string{"source", "absolute"}},
		{"name with slash", base(map[string]any{"name": "a/b"}), []string{"name", "without /"}},
		{"no capacity nor source", props(map[string]any{"pool": "ppe2e-volbad", "name": "v.img"}), []string{"capacity", "is needed"}},
		{"missing pool", base(map[string]any{"pool": "ppe2e-nopool"}), []string{"storage pool", "ppe2e-nopool"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tryCreate(t, s, volumeType, c.in)
			wantErr(t, err, c.want...)
			pool, _ := l.StoragePoolLookupByName("ppe2e-volbad")
			l.StoragePoolRefresh(pool, 0)
			if n, _ := l.StoragePoolNumOfVolumes(pool); n != 0 {
				t.Fatalf("%d volumes left after bad input", n)
			}
		})
	}
	// A provider configured for an unreachable libvirtd.
	unreachable := configured(t, map[string]any{"uri": "qemu+unix:///system?socket=/nonexistent/sock"})
	_, err := tryCreate(t, unreachable, volumeType, base(nil))
	wantErr(t, err, "connecting to libvirt")
	// An existing volume of the same name is not taken over.
	r := create(t, s, volumeType, base(nil))
	defer del(t, s, volumeType, r)
	_, err = tryCreate(t, s, volumeType, base(nil))
	wantErr(t, err, "already exists")
}
