//go:build e2e

package provider_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// markerOf is the name of the create marker of volume name made by the
// test resource (urn(volumeType)): the name joins the volume's and the
// first 16 hex digits of the SHA-256 of the resource's URN (marker.go).
func markerOf(name string) string {
	sum := sha256.Sum256([]byte(urn(volumeType)))
	return name + ".peerpods-creating-" + hex.EncodeToString(sum[:8])
}

// TestStorageVolumeCreateMarker runs Create against the real libvirtd
// with what an interrupted create leaves and what a foreign program
// leaves: a volume of the name without this resource's marker is a name
// clash, reported and left untouched; one with the marker (the half-made
// volume of a cut create of this resource) is made again; a marker whose
// volume is gone is dropped. No marker is left by a create that ends.
func TestStorageVolumeCreateMarker(t *testing.T) {
	s := localServer(t)
	const pool = "ppe2e-marker"
	samePool(t, s, pool)
	l := direct(t)
	pl, err := l.StoragePoolLookupByName(pool)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, capacity uint64) {
		t.Helper()
		x, err := (&libvirtxml.StorageVolume{Name: name,
			Capacity: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: capacity},
			Target:   &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "raw"}}}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.StorageVolCreateXML(pl, x, 0); err != nil {
			t.Fatal(err)
		}
	}
	names := func() []string {
		t.Helper()
		if err := l.StoragePoolRefresh(pl, 0); err != nil {
			t.Fatal(err)
		}
		vols, _, err := l.StoragePoolListAllVolumes(pl, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vols {
			out = append(out, v.Name)
		}
		slices.Sort(out)
		return out
	}
	capacity := func(name string) uint64 {
		t.Helper()
		v, err := l.StorageVolLookupByName(pl, name)
		if err != nil {
			t.Fatal(err)
		}
		_, c, _, err := l.StorageVolGetInfo(v)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	in := func(name string) map[string]any {
		return map[string]any{"pool": pool, "name": name, "format": "raw", "capacity": 1 << 20}
	}
	deleteAll := func() {
		for _, n := range names() {
			if v, err := l.StorageVolLookupByName(pl, n); err == nil {
				l.StorageVolDelete(v, 0)
			}
		}
	}
	t.Cleanup(deleteAll) // before the pool's delete

	// A foreign volume of the name: a clash, untouched.
	mk("clash.img", 4096)
	_, err = tryCreate(t, s, volumeType, props(in("clash.img")))
	if err == nil || !strings.Contains(err.Error(), `storage volume "clash.img" already exists in pool "`+pool+`", and nothing proves this stack made it`) ||
		!strings.Contains(err.Error(), "virsh vol-delete --pool "+pool+" clash.img") {
		t.Errorf("create over a foreign volume: %v", err)
	}
	if c := capacity("clash.img"); c != 4096 {
		t.Errorf("the foreign volume changed: capacity %d", c)
	}
	// Another resource's marker proves nothing for this one.
	other := "clash.img.peerpods-creating-0123456789abcdef"
	mk(other, 0)
	if _, err := tryCreate(t, s, volumeType, props(in("clash.img"))); err == nil || !strings.Contains(err.Error(), "nothing proves") {
		t.Errorf("create over a volume with another resource's marker: %v", err)
	}

	// The half-made volume of this resource's cut create, with its
	// marker: made again (capacity from the inputs), the marker gone.
	mk("cut.img", 4096)
	mk(markerOf("cut.img"), 0)
	r := create(t, s, volumeType, props(in("cut.img")))
	if c := capacity("cut.img"); c != 1<<20 {
		t.Errorf("the half-made volume was not made again: capacity %d", c)
	}
	// A marker whose volume is gone: dropped, the volume made.
	mk(markerOf("gone.img"), 0)
	create(t, s, volumeType, props(in("gone.img")))
	want := []string{"clash.img", other, "cut.img", "gone.img"}
	slices.Sort(want)
	if got := names(); !slices.Equal(got, want) {
		t.Errorf("volumes %v, want %v (no marker of this resource left)", got, want)
	}
	del(t, s, volumeType, r)
	if _, err := l.StorageVolLookupByName(pl, "cut.img"); err == nil {
		t.Error("cut.img stays after its delete")
	} else if e, ok := err.(libvirt.Error); !ok || e.Code != uint32(libvirt.ErrNoStorageVol) {
		t.Errorf("looking up the deleted volume: %v", err)
	}
}
