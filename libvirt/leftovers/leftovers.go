// Package leftovers finds and removes what cloud-api-adaptor left in a
// libvirt storage pool: pod VM domains whose disks are in the pool and the
// volumes it created there. The provider's StoragePool refuses to delete
// a pool that still holds them, and peerpods sweep and destroy list and
// remove them, all through this package.
//
// What cloud-api-adaptor makes, at openshift/cloud-api-adaptor
// osc-release-v1.10 (bb4e602c), src/cloud-providers/libvirt:
//   - provider.go CreateInstance names the pod VM with
//     util.GenerateInstanceName: podvm-<pod>-<sandbox ID's first 8>;
//   - libvirt.go CreateDomain creates, in the pool LIBVIRT_POOL, the
//     volume "<name>-root.qcow2" (volume.go createVolume, a qcow2 overlay
//     backed by LIBVIRT_VOL_NAME) and "<name>-cloudinit.iso" (uploadIso),
//     then defines and starts the domain <name> with those two disks;
//   - libvirt.go DeleteDomain stops and undefines the domain and deletes
//     the volumes of its first two disks: a pod VM whose DeleteInstance
//     never ran (CAA stopped, the node went away) leaves all three.
package leftovers

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/digitalocean/go-libvirt"
	common "github.com/peerpods/provisioner/components/leftovers"
	"github.com/peerpods/provisioner/libvirt/settings"
	"libvirt.org/go/libvirtxml"
)

// The suffixes cloud-api-adaptor gives a pod VM's volumes (CreateDomain).
const (
	RootSuffix      = "-root.qcow2"
	CloudInitSuffix = "-cloudinit.iso"
)

// Kinds of items.
const (
	KindDomain = "domain"
	KindVolume = "volume"
)

// Pool is a storage pool to search.
type Pool struct {
	// Name is the pool's name.
	Name string
	// Keep are the pool's volumes that are the stack's own.
	Keep []string
	// Shared is true for a pool the stack did not create (adopted): only
	// what is named as cloud-api-adaptor names it is a leftover there,
	// and only what a pod of this cluster accounts for (Accounting.Claims)
	// is ever removed: another cluster may use the pool too.
	Shared bool
	// Accounting is what the cluster says of its pod VMs; nil when it was
	// not read (then nothing in a shared pool is removed).
	Accounting common.Accounting
	// IncludeRunning lets a running domain be removed; else it is kept.
	IncludeRunning bool
}

// keep says why the pod VM vm (a domain, running with instance ID id, or
// "" when it is not running) is kept, or "" when it may go.
func (p Pool) keep(vm, id string, running bool) string {
	if p.Accounting != nil {
		if why, used := p.Accounting.InUse(vm, id); used {
			return "it serves " + why
		}
	}
	if p.Shared && (p.Accounting == nil || !p.Accounting.Claims(vm)) {
		return "the pool is shared and no pod of this cluster accounts for it"
	}
	if running && !p.IncludeRunning {
		return "it is running (--include-running removes it)"
	}
	return ""
}

// IsCAAVolume reports whether a volume is named as cloud-api-adaptor names
// a pod VM's root disk or cloud-init ISO.
func IsCAAVolume(name string) bool {
	_, ok := PodVMOf(name)
	return ok
}

// PodVMOf returns the pod VM whose root disk or cloud-init ISO the volume
// name is, and whether it is one.
func PodVMOf(name string) (string, bool) {
	if vm, ok := common.PodVMOf(name, RootSuffix); ok {
		return vm, true
	}
	return common.PodVMOf(name, CloudInitSuffix)
}

// Find lists the leftovers in p on the libvirtd of l (uri only names it in
// the commands): every domain with a disk in the pool (a file in its
// directory, or a volume of it) and every volume but p.Keep; in a shared
// pool only cloud-api-adaptor's. A missing pool has none. The volumes of
// a pool that is not running cannot be listed: only its domains are.
func Find(l *libvirt.Libvirt, uri string, p Pool) ([]common.Item, error) {
	pool, err := l.StoragePoolLookupByName(p.Name)
	if isNo(err, libvirt.ErrNoStoragePool) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking up storage pool %q: %w", p.Name, err)
	}
	dir, err := poolDir(l, pool)
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("storage pool %s (%s)", p.Name, dir)
	virsh := "virsh -c '" + settings.Redact(uri) + "'"
	var items []common.Item
	users := map[string][]string{} // disk path -> domains
	kept := map[string]string{}    // domain -> why it is kept
	doms, _, err := l.ConnectListAllDomains(1, 0)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	for _, d := range doms {
		disks, err := domainDisks(l, d, p.Name, dir)
		if isNo(err, libvirt.ErrNoDomain) {
			continue // gone meanwhile
		}
		if err != nil {
			return nil, err
		}
		if len(disks) == 0 {
			continue
		}
		for _, disk := range disks {
			users[disk] = append(users[disk], d.Name)
		}
		caa := common.IsPodVMName(d.Name)
		if p.Shared && !caa {
			continue
		}
		state, _, err := l.DomainGetState(d, 0)
		if err != nil && !isNo(err, libvirt.ErrNoDomain) {
			return nil, fmt.Errorf("reading domain %q: %w", d.Name, err)
		}
		note, cmd := "defined, not running", virsh+" undefine --nvram "+d.Name
		isRunning := state == int32(libvirt.DomainRunning)
		id := ""
		if isRunning {
			note = "running"
			cmd = virsh + " destroy " + d.Name + " && " + cmd
			// cloud-api-adaptor's instance ID of a libvirt pod VM is
			// the running domain's ID (libvirt.go CreateDomain,
			// dom.GetID).
			id = strconv.Itoa(int(d.ID))
		}
		item := common.Item{Kind: KindDomain, Name: d.Name, Where: where, CAA: caa,
			Note: note + "; disks " + strings.Join(disks, ", "), Command: cmd}
		if caa {
			item.Kept = p.keep(d.Name, id, isRunning)
			if item.Kept != "" {
				kept[d.Name] = item.Kept
			}
		}
		items = append(items, item)
	}
	active, err := running(l, pool)
	if err != nil {
		return nil, err
	}
	if active {
		if err := l.StoragePoolRefresh(pool, 0); err != nil {
			return nil, fmt.Errorf("refreshing storage pool %q: %w", p.Name, err)
		}
		vols, _, err := l.StoragePoolListAllVolumes(pool, 1, 0)
		if err != nil {
			return nil, fmt.Errorf("listing the volumes of storage pool %q: %w", p.Name, err)
		}
	vols:
		for _, v := range vols {
			for _, k := range p.Keep {
				if v.Name == k {
					continue vols
				}
			}
			caa := IsCAAVolume(v.Name)
			if p.Shared && !caa {
				continue
			}
			item := common.Item{Kind: KindVolume, Name: v.Name, Where: where, CAA: caa,
				Command: virsh + " vol-delete --pool " + p.Name + " " + v.Name}
			var owners []string
			if path, err := l.StorageVolGetPath(v); err == nil {
				if u := users[path]; len(u) > 0 {
					item.Note = "disk of domain " + strings.Join(u, ", ")
					owners = u
				}
			}
			if caa {
				// A disk of a kept domain stays; so does one of a pod VM
				// whose domain is gone, when its pod is kept.
				vm, ok := PodVMOf(v.Name)
				if ok {
					owners = append(owners, vm)
				}
				for _, o := range owners {
					if why, ok := kept[o]; ok {
						item.Kept = "disk of domain " + o + ", kept: " + why
						break
					}
				}
				if item.Kept == "" && ok {
					item.Kept = p.keep(vm, "", false)
				}
			}
			items = append(items, item)
		}
	}
	common.Sort(items)
	return items, nil
}

// Remove deletes the removable items of Find's list from pool
// (cloud-api-adaptor's, not kept), as cloud-api-adaptor's DeleteDomain
// would have: each domain stopped and undefined (with its NVRAM), then
// each volume deleted. Items that are not cloud-api-adaptor's, or kept,
// are left alone. It returns what it removed.
func Remove(l *libvirt.Libvirt, pool string, items []common.Item) ([]common.Item, error) {
	var done []common.Item
	var errs []error
	for _, i := range items {
		if !i.Removable() || i.Kind != KindDomain {
			continue
		}
		if err := removeDomain(l, i.Name); err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, i)
	}
	p, err := l.StoragePoolLookupByName(pool)
	if err != nil {
		return done, errors.Join(append(errs, fmt.Errorf("looking up storage pool %q: %w", pool, err))...)
	}
	for _, i := range items {
		if !i.Removable() || i.Kind != KindVolume {
			continue
		}
		v, err := l.StorageVolLookupByName(p, i.Name)
		if err == nil {
			err = l.StorageVolDelete(v, libvirt.StorageVolDeleteNormal)
		}
		if err != nil && !isNo(err, libvirt.ErrNoStorageVol) {
			errs = append(errs, fmt.Errorf("deleting volume %q of storage pool %q: %w", i.Name, pool, err))
			continue
		}
		done = append(done, i)
	}
	return done, errors.Join(errs...)
}

func removeDomain(l *libvirt.Libvirt, name string) error {
	d, err := l.DomainLookupByName(name)
	if isNo(err, libvirt.ErrNoDomain) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("looking up domain %q: %w", name, err)
	}
	if state, _, err := l.DomainGetState(d, 0); err == nil && state == int32(libvirt.DomainRunning) {
		if err := l.DomainDestroy(d); err != nil {
			return fmt.Errorf("stopping domain %q: %w", name, err)
		}
	}
	if err := l.DomainUndefineFlags(d, libvirt.DomainUndefineNvram); err != nil {
		// As DeleteDomain: a domain without NVRAM support is undefined
		// without the flag.
		if err := l.DomainUndefine(d); err != nil && !isNo(err, libvirt.ErrNoDomain) {
			return fmt.Errorf("undefining domain %q: %w", name, err)
		}
	}
	return nil
}

// domainDisks returns the disks of d that are in the pool: a file in dir,
// or a volume of the pool named pool.
func domainDisks(l *libvirt.Libvirt, d libvirt.Domain, pool, dir string) ([]string, error) {
	x, err := l.DomainGetXMLDesc(d, libvirt.DomainXMLInactive)
	if err != nil {
		return nil, err
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("reading domain %q: %w", d.Name, err)
	}
	var disks []string
	if def.Devices == nil {
		return nil, nil
	}
	for _, disk := range def.Devices.Disks {
		s := disk.Source
		switch {
		case s == nil:
		case s.File != nil && s.File.File != "" && filepath.Dir(filepath.Clean(s.File.File)) == dir:
			disks = append(disks, filepath.Clean(s.File.File))
		case s.Volume != nil && s.Volume.Pool == pool:
			disks = append(disks, filepath.Join(dir, s.Volume.Volume))
		}
	}
	return disks, nil
}

func poolDir(l *libvirt.Libvirt, pool libvirt.StoragePool) (string, error) {
	x, err := l.StoragePoolGetXMLDesc(pool, 0)
	if err != nil {
		return "", fmt.Errorf("reading storage pool %q: %w", pool.Name, err)
	}
	var def libvirtxml.StoragePool
	if err := def.Unmarshal(x); err != nil {
		return "", fmt.Errorf("reading storage pool %q: %w", pool.Name, err)
	}
	if def.Target == nil || def.Target.Path == "" {
		return "", fmt.Errorf("storage pool %q has no directory", pool.Name)
	}
	return filepath.Clean(def.Target.Path), nil
}

func running(l *libvirt.Libvirt, pool libvirt.StoragePool) (bool, error) {
	state, _, _, _, err := l.StoragePoolGetInfo(pool)
	if err != nil {
		return false, fmt.Errorf("reading storage pool %q: %w", pool.Name, err)
	}
	return state == uint8(libvirt.StoragePoolRunning), nil
}

// isNo reports whether err is libvirt's error code.
func isNo(err error, code libvirt.ErrorNumber) bool {
	var le libvirt.Error
	return errors.As(err, &le) && le.Code == uint32(code)
}
