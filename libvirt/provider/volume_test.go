package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/peerpods/provisioner/libvirt/image"
	"github.com/peerpods/provisioner/libvirt/settings"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
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

// TestStorageVolumeCheckUnknowns: the pool (the StoragePool's name
// output) may be unknown in a preview, and so may the source, format or
// capacity. Check passes and returns them still unknown.
func TestStorageVolumeCheckUnknowns(t *testing.T) {
	s := sshServer(t, newKeys(t))
	img := rawImage(t, 4096)
	conn := map[string]any{"pool": unknown()}
	cases := []struct {
		name    string
		in      map[string]any
		unknown []string
	}{
		{"pool, with capacity", map[string]any{"capacity": 1 << 30},
			[]string{"pool"}},
		{"pool, with source", map[string]any{"source": img, "format": "raw"},
			[]string{"pool"}},
		{"source, no capacity", map[string]any{"source": unknown()},
			[]string{"pool", "source"}},
		{"capacity, no source", map[string]any{"capacity": unknown()},
			[]string{"pool", "capacity"}},
		{"format and capacity of a known source", map[string]any{"source": img, "format": unknown(), "capacity": unknown()},
			[]string{"pool", "format", "capacity"}},
		{"name", map[string]any{"name": unknown(), "capacity": 1 << 30},
			[]string{"pool", "name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := check(t, s, volumeType, props(plus(conn, c.in)))
			wantFailures(t, resp.Failures, nil)
			wantUnknown(t, resp.Inputs, nil, c.unknown...)
			if _, ok := c.in["name"]; !ok && resp.Inputs.Get("name").AsString() != settings.DefaultVolumeName {
				t.Errorf("name %v, want the default", resp.Inputs.Get("name"))
			}
		})
	}
}

// TestStorageVolumeCheckKnownBad: known bad inputs fail, whether or not
// other inputs are unknown; the connection given as inputs (as up to
// 0.1.0) or a provider without uri fail with the fix.
func TestStorageVolumeCheckKnownBad(t *testing.T) {
	keys := newKeys(t)
	s := sshServer(t, keys)
	img := rawImage(t, 4096)
	const (
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
		{"bad pool, format, capacity", map[string]any{"pool": "a/b", "format": "vmdk", "capacity": -1},
			map[string]string{"pool": badPool, "format": badFormat, "capacity": badCapacity}},
		{"connection as inputs, bad pool", map[string]any{"uri": sshURI, "privateKey": secret(keys.private), "hostKey": keys.hostKey, "pool": "a/b", "capacity": 1},
			map[string]string{"uri": isConfigured, "privateKey": isConfigured, "hostKey": isConfigured, "pool": badPool}},
		{"no source, no capacity", map[string]any{"pool": "p"},
			map[string]string{"capacity": needCap}},
		{"relative source", map[string]any{"pool": "p", "source": "img.qcow2"},
			map[string]string{"source": `is "img.qcow2", which is not an absolute path; fix: give the image's absolute path`}},
		{"missing source", map[string]any{"pool": "p", "source": "/nonexistent/img.qcow2"},
			map[string]string{"source": "cannot be read: open /nonexistent/img.qcow2: no such file or directory; fix: give an existing image file"}},
		{"capacity below the image", map[string]any{"pool": "p", "source": img, "format": "raw", "capacity": 1024},
			map[string]string{"capacity": smallCap}},
		{"format of another image", map[string]any{"pool": "p", "source": img},
			map[string]string{"format": wrongFormat}},
		// Unknown inputs are skipped, the known ones still checked.
		{"format of another image, unknown pool", map[string]any{"pool": unknown(), "source": img},
			map[string]string{"format": wrongFormat}},
		{"capacity below the image, unknown format", map[string]any{"pool": "p", "source": img, "format": unknown(), "capacity": 1024},
			map[string]string{"capacity": smallCap}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantFailures(t, check(t, s, volumeType, props(c.in)).Failures, c.want)
		})
	}
	t.Run("provider without uri", func(t *testing.T) {
		wantFailures(t, check(t, server(t), volumeType, props(map[string]any{"pool": "p", "capacity": 1})).Failures,
			map[string]string{"": noURI})
	})
}

// volumeState is the state of a volume uploaded from img.
func volumeState(t *testing.T, img string) property.Map {
	t.Helper()
	sum, err := image.SHA256(img)
	if err != nil {
		t.Fatal(err)
	}
	return props(map[string]any{
		"pool": "images", "name": settings.DefaultVolumeName, "format": "raw", "source": img,
		"sourceSha256": sum, "key": settings.DefaultPoolPath + "/" + settings.DefaultVolumeName,
		"actualCapacity": 4096, "allocation": 4096, "actualFormat": "raw",
	})
}

// TestStorageVolumeDiffUnknowns: an unknown input is never compared as the
// value infer decodes it to ("", 0): it is reported as changed, with the
// kind of change it may be: the pool, source or format at most replace
// the volume, and so does the capacity (it may shrink). An unknown source
// is not hashed.
func TestStorageVolumeDiffUnknowns(t *testing.T) {
	s := sshServer(t, newKeys(t))
	img := rawImage(t, 4096)
	state := volumeState(t, img)
	// A volume of capacity only, without an image.
	empty := with(state, map[string]any{"sourceSha256": "", "capacity": 4096})
	empty = empty.Delete("source")
	base := map[string]any{"pool": "images", "format": "raw", "source": img}
	cases := []struct {
		name  string
		state property.Map
		in    map[string]any
		drop  string
		want  map[string]p.DiffKind
	}{
		{"pool", state, map[string]any{"pool": unknown()}, "",
			map[string]p.DiffKind{"pool": p.UpdateReplace}},
		{"source", state, map[string]any{"source": unknown()}, "",
			map[string]p.DiffKind{"source": p.UpdateReplace}},
		{"source of a volume without one", empty, map[string]any{"source": unknown()}, "",
			map[string]p.DiffKind{"source": p.UpdateReplace}},
		{"capacity", state, map[string]any{"capacity": unknown()}, "",
			map[string]p.DiffKind{"capacity": p.UpdateReplace}},
		{"capacity of a volume without source", empty, map[string]any{"capacity": unknown()}, "source",
			map[string]p.DiffKind{"capacity": p.UpdateReplace}},
		{"format", state, map[string]any{"format": unknown()}, "",
			map[string]p.DiffKind{"format": p.UpdateReplace}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := with(props(base), c.in)
			if c.drop != "" {
				in = in.Delete(c.drop)
			}
			d := diff(t, s, volumeType, c.state, checked(t, s, volumeType, in))
			wantDiff(t, d, c.want)
			if !d.DeleteBeforeReplace {
				t.Error("DeleteBeforeReplace is false")
			}
		})
	}
}

// TestStorageVolumeDiffKnown: with every input known, the same inputs (and
// image content) are no change; another image content or a smaller
// capacity replaces the volume, a larger capacity updates it (a resize).
// A volume of an earlier version, with its connection in its state, is
// updated to drop it (its image is not uploaded again), or replaced when
// its provider names another host.
func TestStorageVolumeDiffKnown(t *testing.T) {
	keys := newKeys(t)
	s := sshServer(t, keys)
	img := rawImage(t, 4096)
	state := volumeState(t, img)
	base := map[string]any{"pool": "images", "format": "raw", "source": img}
	legacy := func(uri string) map[string]any {
		return map[string]any{"uri": uri, "privateKey": secret(keys.private), "hostKey": keys.hostKey}
	}
	cases := []diffCase{
		{"same", nil, nil, nil},
		{"same capacity", map[string]any{"capacity": 4096}, nil, nil},
		{"other image content", nil, map[string]any{"sourceSha256": "0000"}, map[string]p.DiffKind{"sourceSha256": p.UpdateReplace}},
		{"other pool", map[string]any{"pool": "images2"}, nil, map[string]p.DiffKind{"pool": p.UpdateReplace}},
		{"larger", map[string]any{"capacity": 8192}, nil, map[string]p.DiffKind{"capacity": p.Update}},
		{"smaller", map[string]any{"capacity": 4096}, map[string]any{"actualCapacity": 8192}, map[string]p.DiffKind{"capacity": p.UpdateReplace}},
		{"legacy, same host", nil, legacy(sshURI), map[string]p.DiffKind{"uri": p.Delete, "privateKey": p.Delete, "hostKey": p.Delete}},
		{"legacy, larger", map[string]any{"capacity": 8192}, legacy(sshURI),
			map[string]p.DiffKind{"uri": p.Delete, "privateKey": p.Delete, "hostKey": p.Delete, "capacity": p.Update}},
		{"legacy, other host", nil, legacy("qemu:///system"),
			map[string]p.DiffKind{"uri": p.DeleteReplace, "privateKey": p.Delete, "hostKey": p.Delete}},
	}
	runDiffCases(t, s, volumeType, base, state, cases)
}
