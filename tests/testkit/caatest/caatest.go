// Package caatest makes, in a libvirt storage pool, what cloud-api-adaptor's
// libvirt provider leaves there when a pod VM is never deleted: the root
// disk (a qcow2 overlay on the pod VM image), the cloud-init ISO and the
// domain using both (openshift/cloud-api-adaptor osc-release-v1.10
// src/cloud-providers/libvirt/libvirt.go, CreateDomain). The domain is
// defined, never started: the test machines have no KVM.
package caatest

import (
	"fmt"
	"testing"

	"github.com/digitalocean/go-libvirt"
	"github.com/peerpods/provisioner/libvirt/leftovers"
	"libvirt.org/go/libvirtxml"
)

// must fails the test on err, saying what failed.
func must(t testing.TB, err error, what string, a ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, a...), err)
	}
}

// Volume creates a 1 MiB volume of format in pool, a qcow2 overlay on
// backing when that is set, and returns its path.
func Volume(t testing.TB, l *libvirt.Libvirt, pool, name, format, backing string) string {
	t.Helper()
	v := libvirtxml.StorageVolume{Name: name, Capacity: &libvirtxml.StorageVolumeSize{Unit: "MiB", Value: 1},
		Target: &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}}}
	if backing != "" {
		v.BackingStore = &libvirtxml.StorageVolumeBackingStore{Path: backing, Format: &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"}}
	}
	x, err := v.Marshal()
	must(t, err, "volume %s", name)
	p, err := l.StoragePoolLookupByName(pool)
	must(t, err, "storage pool %s", pool)
	sv, err := l.StorageVolCreateXML(p, x, 0)
	must(t, err, "creating volume %s in pool %s", name, pool)
	path, err := l.StorageVolGetPath(sv)
	must(t, err, "the path of volume %s", name)
	return path
}

// PodVM leaves cloud-api-adaptor's pod VM name in pool: its root disk
// (on base, the pod VM image's path, when set), its cloud-init ISO and
// its domain. The domain is undefined at the end of the test if it is
// still there.
func PodVM(t testing.TB, l *libvirt.Libvirt, pool, name, base string) (root, iso string) {
	t.Helper()
	root = Volume(t, l, pool, name+leftovers.RootSuffix, "qcow2", base)
	iso = Volume(t, l, pool, name+leftovers.CloudInitSuffix, "raw", "")
	disk := func(file, dev, typ string) libvirtxml.DomainDisk {
		return libvirtxml.DomainDisk{Device: "disk", Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: typ},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: file}},
			Target: &libvirtxml.DomainDiskTarget{Dev: dev, Bus: "virtio"}}
	}
	x, err := (&libvirtxml.Domain{Type: "qemu", Name: name, Memory: &libvirtxml.DomainMemory{Value: 64, Unit: "MiB"},
		OS:      &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Arch: "x86_64", Type: "hvm"}},
		Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{disk(root, "vda", "qcow2"), disk(iso, "vdb", "raw")}}}).Marshal()
	must(t, err, "domain %s", name)
	// A define needs QEMU's capabilities, which libvirtd probes once after
	// it starts (hack/backends/start.sh asks for them in the background);
	// a define during that probe failed on a fresh machine with "An error
	// occurred, but the cause is unknown". Asking for them waits for it.
	_, err = l.Capabilities()
	must(t, err, "libvirtd's capabilities")
	_, err = l.DomainDefineXML(x)
	must(t, err, "defining the pod VM domain %s (needs an emulator: qemu-system-x86)", name)
	t.Cleanup(func() {
		if d, err := l.DomainLookupByName(name); err == nil {
			_ = l.DomainUndefine(d)
		}
	})
	return root, iso
}
