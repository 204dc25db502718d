//go:build e2e

package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digitalocean/go-libvirt"
	common "github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/libvirt/leftovers"
	"github.com/peerpods/provisioner/tests/testkit/caatest"
	p "github.com/pulumi/pulumi-go-provider"
)

// caaPodVM is a pod VM as cloud-api-adaptor's CreateDomain leaves it in
// the pool when its DeleteInstance never runs: the root disk, the
// cloud-init ISO and the domain using both (defined, not started: there
// is no KVM here).
const caaPodVM = "podvm-nginx-1a2b3c4d"

// TestStoragePoolRefusesLeftovers: a pool created by the provider that
// then holds cloud-api-adaptor's pod VM (domain, root disk, cloud-init
// ISO) and a volume of someone else's is not deleted: the error lists all
// four and the sweep command with the stack of the resource's URN.
// leftovers.Find lists them as peerpods sweep does (in a pool the stack
// adopted, only cloud-api-adaptor's), leftovers.Remove (sweep --delete)
// removes cloud-api-adaptor's only; the pool still refuses, naming the
// other volume and its virsh command; once that is gone, Delete removes
// the pool and its directory.
func TestStoragePoolRefusesLeftovers(t *testing.T) {
	const name = "ppe2e-leftovers"
	s, l, uri := localServer(t), direct(t), libvirtURI(t)
	dir := poolDir(t, "leftovers")
	pool := create(t, s, poolType, props(map[string]any{"name": name, "path": dir}))
	lp, err := l.StoragePoolLookupByName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d, err := l.DomainLookupByName(caaPodVM); err == nil {
			_ = l.DomainUndefine(d)
		}
		if p, err := l.StoragePoolLookupByName(name); err == nil {
			if vols, _, err := l.StoragePoolListAllVolumes(p, 1, 0); err == nil {
				for _, v := range vols {
					_ = l.StorageVolDelete(v, 0)
				}
			}
			_ = l.StoragePoolDestroy(p)
			_ = l.StoragePoolUndefine(p)
		}
	})
	root, iso := caatest.PodVM(t, l, name, caaPodVM, "")
	caatest.Volume(t, l, name, "notes.img", "raw", "")

	deleteErr := func() error {
		return s.Delete(p.DeleteRequest{ID: pool.ID, Urn: urn(poolType), Properties: pool.Properties})
	}
	err = deleteErr()
	if err == nil {
		t.Fatal("the pool was deleted with cloud-api-adaptor's pod VM in it")
	}
	msg := err.Error()
	for _, want := range []string{
		fmt.Sprintf("storage pool %q was not deleted: it still holds 4 object(s)", name),
		"domain " + caaPodVM + " in storage pool " + name + " (" + dir + "), defined, not running; disks " + root + ", " + iso,
		"volume " + caaPodVM + "-root.qcow2 in storage pool " + name + " (" + dir + "), disk of domain " + caaPodVM,
		"volume " + caaPodVM + "-cloudinit.iso",
		"volume notes.img in storage pool " + name + " (" + dir + "), not cloud-api-adaptor's",
		"fix: peerpods sweep --stack test --delete removes cloud-api-adaptor's",
		"virsh -c '" + uri + "' vol-delete --pool " + name + " notes.img",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal lacks %q:\n%s", want, msg)
		}
	}
	if !slices.Contains(poolNames(t, l), name) {
		t.Fatal("the pool is gone after the refusal")
	}

	all, err := leftovers.Find(l, uri, leftovers.Pool{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	shared, err := leftovers.Find(l, uri, leftovers.Pool{Name: name, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	names := func(items []common.Item) (n []string) {
		for _, i := range items {
			n = append(n, i.Kind+" "+i.Name)
		}
		return n
	}
	caa := []string{"domain " + caaPodVM, "volume " + caaPodVM + "-cloudinit.iso", "volume " + caaPodVM + "-root.qcow2"}
	if got := names(shared); !slices.Equal(got, caa) {
		t.Errorf("in a shared pool: %v, want %v", got, caa)
	}
	if got := names(all); !slices.Equal(got, []string{caa[0], "volume notes.img", caa[1], caa[2]}) {
		t.Errorf("in the stack's pool: %v", got)
	}
	if kept, err := leftovers.Find(l, uri, leftovers.Pool{Name: name, Keep: []string{"notes.img"}}); err != nil || len(kept) != 3 {
		t.Errorf("with notes.img the stack's own: %v %v", names(kept), err)
	}
	done, err := leftovers.Remove(l, name, all)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(done); !slices.Equal(got, caa) {
		t.Errorf("removed %v, want %v", got, caa)
	}
	if _, err := l.DomainLookupByName(caaPodVM); err == nil {
		t.Error("the pod VM domain is still defined")
	}
	err = deleteErr()
	if err == nil || !strings.Contains(err.Error(), "still holds 1 object(s)") || !strings.Contains(err.Error(), "fix: remove them by hand:") || strings.Contains(err.Error(), caaPodVM) {
		t.Fatalf("with only the other volume left: %v", err)
	}
	v, err := l.StorageVolLookupByName(lp, "notes.img")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.StorageVolDelete(v, libvirt.StorageVolDeleteNormal); err != nil {
		t.Fatal(err)
	}
	if err := deleteErr(); err != nil {
		t.Fatalf("delete of the emptied pool: %v", err)
	}
	if slices.Contains(poolNames(t, l), name) {
		t.Error("the pool is still defined")
	}
	if _, err := os.Stat(filepath.Clean(dir)); !os.IsNotExist(err) {
		t.Errorf("the pool's directory %s: %v, want it removed", dir, err)
	}
}
