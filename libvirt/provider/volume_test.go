package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/peerpods/provisioner/libvirt/provider"
)

// rawImage writes a raw image of size bytes and returns its path.
func rawImage(t *testing.T, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "podvm.raw")
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestStorageVolumeCheckUnknowns: the connection inputs and the pool (the
// StoragePool's name output) may be unknown in a preview, and so may the
// source, format or capacity. Check passes and returns them still unknown.
func TestStorageVolumeCheckUnknowns(t *testing.T) {
	s := server(t)
	img := rawImage(t, 4096)
	conn := map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown(), "pool": unknown()}
	cases := []struct {
		name    string
		in      map[string]any
		unknown []string
	}{
		{"connection and pool, with capacity", map[string]any{"capacity": 1 << 30},
			[]string{"uri", "privateKey", "hostKey", "pool"}},
		{"connection and pool, with source", map[string]any{"source": img, "format": "raw"},
			[]string{"uri", "privateKey", "hostKey", "pool"}},
		{"source, no capacity", map[string]any{"source": unknown()},
			[]string{"uri", "privateKey", "hostKey", "pool", "source"}},
		{"capacity, no source", map[string]any{"capacity": unknown()},
			[]string{"uri", "privateKey", "hostKey", "pool", "capacity"}},
		{"format and capacity of a known source", map[string]any{"source": img, "format": unknown(), "capacity": unknown()},
			[]string{"uri", "privateKey", "hostKey", "pool", "format", "capacity"}},
		{"name", map[string]any{"name": unknown(), "capacity": 1 << 30},
			[]string{"uri", "privateKey", "hostKey", "pool", "name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := map[string]any{}
			for k, v := range conn {
				in[k] = v
			}
			for k, v := range c.in {
				in[k] = v
			}
			resp := check(t, s, volumeType, props(in))
			wantFailures(t, resp.Failures, nil)
			wantUnknown(t, resp.Inputs, []string{"privateKey"}, c.unknown...)
			if _, ok := c.in["name"]; !ok && resp.Inputs.Get("name").AsString() != provider.DefaultVolumeName {
				t.Errorf("name %v, want the default", resp.Inputs.Get("name"))
			}
		})
	}
}

// TestStorageVolumeCheckKnownBad: known bad inputs fail with the same
// failures as before, whether or not other inputs are unknown.
func TestStorageVolumeCheckKnownBad(t *testing.T) {
	s := server(t)
	img := rawImage(t, 4096)
	const (
		needKey     = "is needed for " + sshURI + "; pass the KvmHostAccess privateKey output"
		needHostKey = "is needed for " + sshURI + "; pass the KvmHostAccess hostKey output"
		badPool     = `is "a/b", which contains "/"; fix: use a plain name without /`
		badFormat   = `is "vmdk", which is not a supported format; fix: use "qcow2" or "raw"`
		badCapacity = "is -1, not a positive number of bytes"
		needCap     = "is needed for a volume without source image; fix: set capacity (bytes) or source"
	)
	smallCap := fmt.Sprintf("is 1024 bytes, smaller than the image %s (4096 bytes); fix: use at least 4096, or leave it unset to use the image's size", img)
	wrongFormat := fmt.Sprintf(`is "qcow2", but %s is a raw image; fix: set it to "raw" or give a qcow2 image`, img)
	cases := []struct {
		name string
		in   map[string]any
		want map[string]string
	}{
		{"ssh without keys, bad pool, format, capacity", map[string]any{"uri": sshURI, "pool": "a/b", "format": "vmdk", "capacity": -1},
			map[string]string{"privateKey": needKey, "hostKey": needHostKey, "pool": badPool, "format": badFormat, "capacity": badCapacity}},
		{"no source, no capacity", map[string]any{"uri": "qemu:///system", "pool": "p"},
			map[string]string{"capacity": needCap}},
		{"relative source", map[string]any{"uri": "qemu:///system", "pool": "p", "source": "img.qcow2"},
			map[string]string{"source": `is "img.qcow2", which is not an absolute path; fix: give the image's absolute path`}},
		{"missing source", map[string]any{"uri": "qemu:///system", "pool": "p", "source": "/nonexistent/img.qcow2"},
			map[string]string{"source": "cannot be read: open /nonexistent/img.qcow2: no such file or directory; fix: give an existing image file"}},
		{"capacity below the image", map[string]any{"uri": "qemu:///system", "pool": "p", "source": img, "format": "raw", "capacity": 1024},
			map[string]string{"capacity": smallCap}},
		{"format of another image", map[string]any{"uri": "qemu:///system", "pool": "p", "source": img},
			map[string]string{"format": wrongFormat}},
		// Unknown inputs are skipped, the known ones still checked.
		{"bad pool, format, capacity, unknown connection", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown(), "pool": "a/b", "format": "vmdk", "capacity": -1},
			map[string]string{"pool": badPool, "format": badFormat, "capacity": badCapacity}},
		{"format of another image, unknown connection and pool", map[string]any{"uri": unknown(), "privateKey": secretUnknown(), "hostKey": unknown(), "pool": unknown(), "source": img},
			map[string]string{"format": wrongFormat}},
		{"capacity below the image, unknown format", map[string]any{"uri": "qemu:///system", "pool": "p", "source": img, "format": unknown(), "capacity": 1024},
			map[string]string{"capacity": smallCap}},
		{"no host key, unknown private key and pool", map[string]any{"uri": sshURI, "privateKey": secretUnknown(), "pool": unknown(), "capacity": 1},
			map[string]string{"hostKey": needHostKey}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailures(t, check(t, s, volumeType, props(c.in)).Failures, c.want)
		})
	}
}
