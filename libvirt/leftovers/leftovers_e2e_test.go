//go:build e2e

package leftovers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	common "github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/leftovers"
	"github.com/peerpods/provisioner/tests/testkit/caatest"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"libvirt.org/go/libvirtxml"
)

// names lists items as "kind name".
func names(items []common.Item) string {
	var out []string
	for _, i := range items {
		out = append(out, i.Kind+" "+i.Name)
	}
	return strings.Join(out, ", ")
}

// TestFindEdges runs Find and Remove on a real libvirtd at the edges the
// engine tests do not reach: a pool that does not exist, a domain whose
// disks are elsewhere, an admin's domain in a shared (adopted) pool, a
// stopped pool (its volumes cannot be listed), and Remove of what is
// already gone.
func TestFindEdges(t *testing.T) {
	uri := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")
	l, err := conn.Open(uri, conn.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Disconnect() })
	if got, err := leftovers.Find(l, uri, leftovers.Pool{Name: "ppe2e-no-such-pool"}); err != nil || len(got) != 0 {
		t.Fatalf("a missing pool: %v, %v", got, err)
	}

	const name = "ppe2e-edges"
	dir := filepath.Join(e2eenv.Require(t, "PEERPODS_E2E_POOL_DIR"), "edges")
	if err := os.MkdirAll(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	px, _ := (&libvirtxml.StoragePool{Type: "dir", Name: name, Target: &libvirtxml.StoragePoolTarget{Path: dir}}).Marshal()
	pool, err := l.StoragePoolDefineXML(px, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.StoragePoolDestroy(pool); l.StoragePoolUndefine(pool); os.RemoveAll(dir) })
	if err := l.StoragePoolCreate(pool, 0); err != nil {
		t.Fatal(err)
	}
	const podVM = "podvm-edges-1a2b3c4d"
	caatest.PodVM(t, l, name, podVM, "")
	admin := caatest.Volume(t, l, name, "admin.qcow2", "qcow2", "")
	define := func(dom, disk string) {
		x, _ := (&libvirtxml.Domain{Type: "qemu", Name: dom, Memory: &libvirtxml.DomainMemory{Value: 64, Unit: "MiB"},
			OS: &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Arch: "x86_64", Type: "hvm"}},
			Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{{Device: "disk",
				Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
				Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: disk}},
				Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"}}}}}).Marshal()
		d, err := l.DomainDefineXML(x)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.DomainUndefine(d) })
	}
	define("ppe2e-admin-vm", admin)
	define("ppe2e-elsewhere", filepath.Join(t.TempDir(), "disk.qcow2"))
	// A disk given as a volume of the pool (<source pool= volume=>), as
	// virt-install writes it, is the pool's too.
	caatest.Volume(t, l, name, "by-volume.qcow2", "qcow2", "")
	vx, _ := (&libvirtxml.Domain{Type: "qemu", Name: "ppe2e-by-volume", Memory: &libvirtxml.DomainMemory{Value: 64, Unit: "MiB"},
		OS: &libvirtxml.DomainOS{Type: &libvirtxml.DomainOSType{Arch: "x86_64", Type: "hvm"}},
		Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{{Device: "disk",
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2"},
			Source: &libvirtxml.DomainDiskSource{Volume: &libvirtxml.DomainDiskSourceVolume{Pool: name, Volume: "by-volume.qcow2"}},
			Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"}}}}}).Marshal()
	bv, err := l.DomainDefineXML(vx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.DomainUndefine(bv) })

	own, err := leftovers.Find(l, uri, leftovers.Pool{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(own), "domain podvm-edges-1a2b3c4d, domain ppe2e-admin-vm, domain ppe2e-by-volume, volume admin.qcow2, volume by-volume.qcow2, volume podvm-edges-1a2b3c4d-cloudinit.iso, volume podvm-edges-1a2b3c4d-root.qcow2"; got != want {
		t.Errorf("the stack's pool: %s\nwant %s", got, want)
	}
	shared, err := leftovers.Find(l, uri, leftovers.Pool{Name: name, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(shared), "domain podvm-edges-1a2b3c4d, volume podvm-edges-1a2b3c4d-cloudinit.iso, volume podvm-edges-1a2b3c4d-root.qcow2"; got != want {
		t.Errorf("a shared pool: %s\nwant %s", got, want)
	}

	// Stopped, the pool's volumes cannot be listed: its domains still are.
	if err := l.StoragePoolDestroy(pool); err != nil {
		t.Fatal(err)
	}
	stopped, err := leftovers.Find(l, uri, leftovers.Pool{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(stopped); got != "domain podvm-edges-1a2b3c4d, domain ppe2e-admin-vm, domain ppe2e-by-volume" {
		t.Errorf("a stopped pool: %s", got)
	}
	if err := l.StoragePoolCreate(pool, 0); err != nil {
		t.Fatal(err)
	}

	// Remove twice: the second finds everything gone and still succeeds.
	for round := 1; round <= 2; round++ {
		done, err := leftovers.Remove(l, name, shared)
		if err != nil || names(done) != names(shared) {
			t.Errorf("Remove, round %d: removed %s, %v", round, names(done), err)
		}
	}
	after, err := leftovers.Find(l, uri, leftovers.Pool{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(after); got != "domain ppe2e-admin-vm, domain ppe2e-by-volume, volume admin.qcow2, volume by-volume.qcow2" {
		t.Errorf("after Remove: %s, want only the admin's", got)
	}
	if _, err := leftovers.Remove(l, "ppe2e-no-such-pool", shared); err == nil {
		t.Error("Remove in a missing pool reported nothing")
	}

	// A connection that is gone: errors, never an empty list.
	gone, err := conn.Open(uri, conn.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	gone.Disconnect()
	if got, err := leftovers.Find(gone, uri, leftovers.Pool{Name: name}); err == nil {
		t.Errorf("Find on a closed connection: %v and no error", got)
	}
	if _, err := leftovers.Remove(gone, name, shared); err == nil {
		t.Error("Remove on a closed connection: no error")
	}
}
