//go:build e2e

package leftovers_test

import (
	"github.com/digitalocean/go-libvirt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	common "github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/libvirt/conn"
	"github.com/peerpods/provisioner/libvirt/leftovers"
	"github.com/peerpods/provisioner/tests/testkit/caatest"
	"github.com/peerpods/provisioner/tests/testkit/e2eenv"
	"libvirt.org/go/libvirtxml"
)

// accounting is what a cluster would say of its pod VMs
// (common.Accounting; cluster.ReadPodVMs reads the real one, proven on the
// API server in tests/).
type accounting struct {
	inUse   map[string]string // pod VM name or instance ID -> why
	claimed []string
}

func (a accounting) InUse(name, id string) (string, bool) {
	if why, ok := a.inUse[name]; ok {
		return why, true
	}
	why, ok := a.inUse["id:"+id]
	return why, ok && id != ""
}

func (a accounting) Claims(name string) bool {
	_, used := a.InUse(name, "")
	return used || slices.Contains(a.claimed, name)
}

// testPool defines and starts the directory pool name in the e2e pools'
// directory sub, removed at the end of the test.
func testPool(t *testing.T, l *libvirt.Libvirt, name, sub string) libvirt.StoragePool {
	t.Helper()
	dir := filepath.Join(e2eenv.Require(t, "PEERPODS_E2E_POOL_DIR"), sub)
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
	return pool
}

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
	pool := testPool(t, l, name, "edges")
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
	// In a shared pool, what the cluster claims: podvm-edges' PeerPod
	// remains, its pod gone.
	shared, err := leftovers.Find(l, uri, leftovers.Pool{Name: name, Shared: true, Accounting: accounting{claimed: []string{podVM}}})
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

// TestFindKeepsWhatPodsUse: on a real libvirtd, with what the cluster
// says: a running pod VM is kept (unless --include-running), one that
// serves a pod that exists is kept whether it runs or not (by its name,
// or a running domain by the instance ID its PeerPod records), a stopped
// orphan is removed with its disks; in a shared pool only what the
// cluster claims is removed.
func TestFindKeepsWhatPodsUse(t *testing.T) {
	uri := e2eenv.Require(t, "PEERPODS_E2E_LIBVIRT_URI")
	l, err := conn.Open(uri, conn.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Disconnect() })
	const name = "ppe2e-inuse"
	testPool(t, l, name, "inuse")
	const (
		orphan  = "podvm-orphan-1a2b3c4d"  // stopped, no pod
		idle    = "podvm-idle-2b3c4d5e"    // running, no pod
		live    = "podvm-web-3c4d5e6f"     // stopped, its pod exists
		byID    = "podvm-renamed-4d5e6f70" // running, its PeerPod names its domain ID
		another = "podvm-theirs-5e6f7081"  // stopped, another cluster's
	)
	for _, vm := range []string{orphan, idle, live, byID, another} {
		caatest.PodVM(t, l, name, vm, "")
	}
	start := func(vm string) string {
		d, err := l.DomainLookupByName(vm)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.DomainCreate(d); err != nil {
			t.Fatalf("starting %s (qemu, TCG): %v", vm, err)
		}
		t.Cleanup(func() { l.DomainDestroy(d) })
		d, err = l.DomainLookupByName(vm)
		if err != nil {
			t.Fatal(err)
		}
		return strconv.Itoa(int(d.ID))
	}
	start(idle)
	id := start(byID)
	acct := accounting{inUse: map[string]string{live: "Pod web/web", "id:" + id: "PeerPod db/x of Pod db/x"}, claimed: []string{orphan}}

	kept := func(items []common.Item) map[string]string {
		out := map[string]string{}
		for _, i := range items {
			if i.Kind == leftovers.KindDomain {
				out[i.Name] = i.Kept
			}
		}
		return out
	}
	items, err := leftovers.Find(l, uri, leftovers.Pool{Name: name, Accounting: acct})
	if err != nil {
		t.Fatal(err)
	}
	k := kept(items)
	for vm, want := range map[string]string{
		orphan: "", another: "",
		idle: "it is running", live: "it serves Pod web/web", byID: "it serves PeerPod db/x",
	} {
		if got := k[vm]; want == "" && got != "" || want != "" && !strings.HasPrefix(got, want) {
			t.Errorf("%s kept %q, want %q", vm, got, want)
		}
	}
	for _, i := range items {
		if i.Kind == leftovers.KindVolume && strings.HasPrefix(i.Name, live) && !strings.Contains(i.Kept, "disk of domain "+live) {
			t.Errorf("a disk of %s is not kept: %+v", live, i)
		}
	}
	shared, err := leftovers.Find(l, uri, leftovers.Pool{Name: name, Shared: true, Accounting: acct, IncludeRunning: true})
	if err != nil {
		t.Fatal(err)
	}
	if k := kept(shared); k[another] == "" || k[orphan] != "" || k[idle] == "" {
		t.Errorf("in a shared pool: kept %v, want %s and %s kept (not this cluster's), %s removable", k, another, idle, orphan)
	}
	withRunning, err := leftovers.Find(l, uri, leftovers.Pool{Name: name, Accounting: acct, IncludeRunning: true})
	if err != nil {
		t.Fatal(err)
	}
	if k := kept(withRunning); k[idle] != "" || k[byID] == "" {
		t.Errorf("--include-running: kept %v, want %s removable and %s kept", k, idle, byID)
	}

	done, err := leftovers.Remove(l, name, items)
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range []string{orphan, another} {
		if !strings.Contains(names(done), "domain "+vm) || !strings.Contains(names(done), "volume "+vm+leftovers.RootSuffix) {
			t.Errorf("%s and its disk were not removed: %s", vm, names(done))
		}
	}
	for _, vm := range []string{idle, live, byID} {
		if _, err := l.DomainLookupByName(vm); err != nil {
			t.Errorf("%s, kept, was removed: %v", vm, err)
		}
		if strings.Contains(names(done), vm) {
			t.Errorf("removed something of %s: %s", vm, names(done))
		}
	}
}
