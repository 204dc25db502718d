package provider

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/digitalocean/go-libvirt"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"libvirt.org/go/libvirtxml"
)

// A volume's create marker proves, after an interrupted create, that a
// volume of the pool is the one this resource's create made: libvirt's
// volume XML has no field of free metadata, so the marker is an empty
// sibling volume in the same pool whose name joins the volume's name and
// a hash of the resource's URN (which names the project, the stack and
// the resource). Create makes it right after it made the volume and
// before the upload, and removes it when the create ends, either way; it
// outlives the create only when the create was cut (kill -9, a crash).
// Its order makes it a proof: a marker exists only while the volume of
// that name is the one the create made (a create cut between the volume
// and its marker leaves a volume without marker, which the next up takes
// for a name clash: the safe side). It does not prove anything if someone
// deletes the half-made volume by hand, keeps the marker and makes a
// volume of the same name, or when two stacks of the same project and
// stack name (two backends) share one pool.

// markerSuffix starts the name of every create marker after the volume's.
const markerSuffix = ".peerpods-creating-"

// markerName is the name of the create marker of volume name, made by the
// resource whose URN hash is hash (urnHash).
func markerName(name, hash string) string { return name + markerSuffix + hash }

// urnHash is the first 16 hex digits of the SHA-256 of urn.
func urnHash(urn presource.URN) string {
	sum := sha256.Sum256([]byte(urn))
	return hex.EncodeToString(sum[:8])
}

// makeMarker creates the empty marker volume named marker in pool.
func makeMarker(l *libvirt.Libvirt, pool libvirt.StoragePool, marker string) error {
	def := libvirtxml.StorageVolume{
		Name:       marker,
		Capacity:   &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Allocation: &libvirtxml.StorageVolumeSize{Unit: "bytes", Value: 0},
		Target:     &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: "raw"}},
	}
	xml, err := def.Marshal()
	if err != nil {
		return err
	}
	_, err = l.StorageVolCreateXML(pool, xml, 0)
	return err
}

// dropMarker deletes the marker volume named marker in pool, if there is
// one.
func dropMarker(l *libvirt.Libvirt, pool libvirt.StoragePool, marker string) error {
	v, err := l.StorageVolLookupByName(pool, marker)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := l.StorageVolDelete(v, 0); err != nil && !isNotFound(err) {
		return err
	}
	return nil
}

// hasMarker reports whether pool has the marker volume named marker.
func hasMarker(l *libvirt.Libvirt, pool libvirt.StoragePool, marker string) (bool, error) {
	_, err := l.StorageVolLookupByName(pool, marker)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
