// Package leftovers finds what cloud-api-adaptor (CAA) created for pod VMs
// and did not delete: pod VMs, their disks and network interfaces, which
// no stack owns, so that pulumi destroy never sees them. It holds what
// every cloud shares (the item, CAA's pod VM names, the report and the
// read-only program the command runs); each cloud finds its own objects
// (stacks.Sweeper, and package libvirt/leftovers for a KVM host).
package leftovers

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Item is one object left behind.
type Item struct {
	// Kind is what it is: "instance", "network interface", "virtual
	// machine", "domain", "volume", ...
	Kind string `json:"kind"`
	// Name is the object's name, ID the cloud's full ID ("" for libvirt,
	// where the name is the ID).
	Name string `json:"name"`
	ID   string `json:"id,omitempty"`
	// Where says where it was found: the subnet, network or pool.
	Where string `json:"where"`
	// CAA is true when the object is named or tagged as cloud-api-adaptor
	// names or tags what it creates; false for an object found in the
	// stack's pool that is neither the stack's nor cloud-api-adaptor's.
	CAA bool `json:"caa"`
	// Note is a detail, such as "running" or "in use by domain podvm-x".
	Note string `json:"note,omitempty"`
	// Command removes it by hand (a cloud CLI or virsh command).
	Command string `json:"command"`
	// Kept says why peerpods sweep --delete leaves it although it is
	// cloud-api-adaptor's: it serves a pod that exists, it runs, or, in a
	// pool the stack shares, no pod of this cluster accounts for it.
	Kept string `json:"kept,omitempty"`
}

// Removable reports whether peerpods sweep --delete removes the item:
// cloud-api-adaptor's, and not kept.
func (i Item) Removable() bool { return i.CAA && i.Kept == "" }

// Accounting is what a cluster says of the pod VMs (package
// components/cluster reads it): which serve a pod that exists, and which
// are the cluster's at all.
type Accounting interface {
	// InUse says, for the pod VM name (and, for a running libvirt
	// domain, its instance ID as cloud-api-adaptor records it), which
	// object of the cluster shows that a pod it serves exists.
	InUse(name, instanceID string) (why string, inUse bool)
	// Claims reports whether name is the pod VM of a pod of this cluster
	// that exists or whose PeerPod remains.
	Claims(name string) bool
}

// String renders the item on one line.
func (i Item) String() string {
	s := fmt.Sprintf("%s %s", i.Kind, i.Name)
	if i.ID != "" && i.ID != i.Name {
		s += " (" + i.ID + ")"
	}
	s += " in " + i.Where
	if i.Note != "" {
		s += ", " + i.Note
	}
	if !i.CAA {
		s += ", not cloud-api-adaptor's"
	}
	if i.Kept != "" {
		s += ", kept: " + i.Kept
	}
	return s
}

// Sort orders items by kind, then name.
func Sort(items []Item) {
	sort.SliceStable(items, func(a, b int) bool {
		if items[a].Kind != items[b].Kind {
			return items[a].Kind < items[b].Kind
		}
		return items[a].Name < items[b].Name
	})
}

// podVMName is a pod VM's name as cloud-api-adaptor makes it from the
// pod's name and sandbox ID: "podvm-<pod>-<first 8 of the sandbox ID>",
// lower-case letters, digits and '-', at most 63 characters
// (src/cloud-providers/util/instance.go GenerateInstanceName and
// sanitize, with maxInstanceNameLen 63 in each provider's provider.go;
// openshift/cloud-api-adaptor osc-release-v1.10 bb4e602c).
var podVMName = regexp.MustCompile(`^podvm-[a-z0-9-]*-[a-z0-9-]{1,8}$`)

// IsPodVMName reports whether name is a pod VM name cloud-api-adaptor
// generates (GenerateInstanceName).
func IsPodVMName(name string) bool { return len(name) <= 63 && podVMName.MatchString(name) }

// PodVMOf returns the pod VM name that name is made of as suffix says
// (name = <pod VM name><suffix>), and whether it is one.
func PodVMOf(name, suffix string) (string, bool) {
	vm, ok := strings.CutSuffix(name, suffix)
	return vm, ok && IsPodVMName(vm)
}

// SweepCommand is the command that lists a stack's leftovers and, with
// --delete, removes them; stack "" gives the placeholder <stack>.
func SweepCommand(stack string) string {
	if stack == "" {
		stack = "<stack>"
	}
	return "peerpods sweep --stack " + stack + " --delete"
}

// Report renders items for a person: one line each, then how to remove
// them. stack names the stack for the sweep command ("" when unknown).
// With sweeps (libvirt), peerpods sweep --delete removes
// cloud-api-adaptor's items and only the others' commands are given;
// without (the clouds, where peerpods deletes nothing it does not own),
// every item's command is.
func Report(stack string, items []Item, sweeps bool) string {
	var b strings.Builder
	caa := 0
	for _, i := range items {
		fmt.Fprintf(&b, "  - %s\n", i)
		if i.Removable() {
			caa++
		}
	}
	switch {
	case !sweeps:
		b.WriteString("fix: remove them with the cloud's CLI (peerpods deletes no cloud object the stack does not own):")
	case caa == len(items):
		fmt.Fprintf(&b, "fix: %s removes them (add --yes without a terminal)", SweepCommand(stack))
	case caa > 0:
		fmt.Fprintf(&b, "fix: %s removes cloud-api-adaptor's (add --yes without a terminal); remove the others by hand:", SweepCommand(stack))
	default:
		b.WriteString("fix: remove them by hand:")
	}
	// What is kept (it serves a pod, runs, or is not this cluster's) gets
	// no command: it is not to be removed.
	for _, i := range items {
		if i.Kept == "" && (!sweeps || !i.CAA) {
			fmt.Fprintf(&b, "\n    %s", i.Command)
		}
	}
	return b.String()
}
