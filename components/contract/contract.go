// Package contract is the contract between this project and the OpenShift
// sandboxed containers operator and cloud-api-adaptor (CAA), as their source
// states it: per cloud, every key of peer-pods-cm, peer-pods-secret and
// ssh-key-secret they read, in which object, whether it is required, its
// format, who owns it, the peerpods setting that fills it, and the file and
// function of the operator or CAA it comes from.
//
// Everything else derives from this package: the validation of the values a
// cloud component hands on, the typed pass-through peerpods:extra, which
// keys the handoff leaves to the operator, and the README key tables. The
// references are pinned: Operator and CAA name the commits read.
package contract

import (
	"fmt"
	"slices"
	"strings"
)

// The sources the contract was read from, pinned.
const (
	// Operator is the sandboxed-containers operator source the operator
	// facts come from: upstream devel at VERSION 1.10.0 (Makefile), the
	// newest commit before the 1.10 release branch that could be read.
	Operator = "openshift/sandboxed-containers-operator@8bdc9075055a (1.10.0)"
	// CAA is the cloud-api-adaptor source (branch osc-release-v1.10), the
	// CAA facts come from.
	CAA = "openshift/cloud-api-adaptor@bb4e602cc18c (osc-release-v1.10)"
	// CAANext is a later cloud-api-adaptor (branch osc-release-v1.12), for
	// keys 1.10 does not read yet.
	CAANext = "openshift/cloud-api-adaptor@067d2068bd73 (osc-release-v1.12)"
)

// Where the operator reads its configuration.
const (
	// Namespace is the operator's namespace.
	Namespace = "openshift-sandboxed-containers-operator"
	// ConfigMapName is the peer-pods ConfigMap.
	ConfigMapName = "peer-pods-cm"
	// SecretName is the peer-pods Secret.
	SecretName = "peer-pods-secret"
	// SSHKeySecretName is the Secret CAA mounts at /root/.ssh.
	SSHKeySecretName = "ssh-key-secret"
	// RuntimeClass is the runtime class of peer pods, which the operator
	// creates (controllers/openshift_controller.go,
	// peerpodsRuntimeClassName) and its webhook selects pods by
	// (TARGET_RUNTIMECLASS).
	RuntimeClass = "kata-remote"
)

// Cloud is a peer-pods cloud provider, as CLOUD_PROVIDER names it.
type Cloud string

// The clouds peer pods run on.
const (
	AWS     Cloud = "aws"
	Azure   Cloud = "azure"
	GCP     Cloud = "gcp"
	Libvirt Cloud = "libvirt"
)

// Clouds lists every cloud, in documentation order.
var Clouds = []Cloud{AWS, Azure, GCP, Libvirt}

// Object is where a key is written.
type Object uint8

// The objects a key may be written to. Both means the operator requires it
// in each (libvirt's CLOUD_PROVIDER).
const (
	ConfigMap Object = 1 << iota
	Secret
	Both = ConfigMap | Secret
)

// Has reports whether o includes x.
func (o Object) Has(x Object) bool { return o&x == x }

// String names the object(s).
func (o Object) String() string {
	switch o {
	case ConfigMap:
		return ConfigMapName
	case Secret:
		return SecretName
	case Both:
		return ConfigMapName + " and " + SecretName
	}
	return fmt.Sprintf("Object(%d)", uint8(o))
}

// Need says who refuses to work without a key.
type Need uint8

// How much a key is needed.
const (
	// Optional keys may be left out.
	Optional Need = iota
	// NeededByCAA keys must be non-empty in CAA's environment (entrypoint.sh
	// test_vars), or CAA exits.
	NeededByCAA
	// NeededByOperator keys must be present and non-empty in their object
	// (the operator's validatePeerPodsConfigs), or the operator refuses to
	// build or delete the pod VM image; CAA may need them too.
	NeededByOperator
)

// String says how much the key is needed, for the key tables.
func (n Need) String() string {
	switch n {
	case NeededByCAA:
		return "required (CAA)"
	case NeededByOperator:
		return "required (operator)"
	}
	return "optional"
}

// Owner says who writes a key.
type Owner uint8

// The owners of a key.
const (
	// Stack keys are always written by this stack, from its settings or
	// what it discovered.
	Stack Owner = iota
	// User keys are written when the user gives a value (a setting, a
	// stack secret, or peerpods:extra) and left out otherwise.
	User
	// OperatorOwned keys are written by the operator in some setups (its
	// image job, its confidential-containers setup): the stack writes them
	// only when the user sets them, and never writes them empty, so that
	// server-side apply leaves the operator's value alone.
	OperatorOwned
)

// String names the owner, for the key tables.
func (o Owner) String() string {
	switch o {
	case User:
		return "user"
	case OperatorOwned:
		return "operator"
	}
	return "stack"
}

// Key is one key of peer-pods-cm or peer-pods-secret.
type Key struct {
	// Name is the key, an environment variable of CAA.
	Name string
	// In is the object the stack writes it to.
	In Object
	// Need says whether it is required, and by whom.
	Need Need
	// Owner says who writes it.
	Owner Owner
	// Format is what a value must look like.
	Format Format
	// Setting is the peerpods setting that fills it (full name), or a
	// description of where the value comes from.
	Setting string
	// Doc says what the key means.
	Doc string
	// Source cites where the operator or CAA reads it: repository at
	// Operator, CAA or CAANext, file and function.
	Source string
	// Sensitive keys hold a credential: their setting must be stored
	// encrypted, and no error or output shows the value.
	Sensitive bool
}

// Extra reports whether the key can be set through peerpods:extra.
func (k Key) Extra() bool { return k.Setting == ExtraSetting }

// ExtraSetting is the typed pass-through setting for further CAA keys.
const ExtraSetting = "peerpods:extra"

// Set is the contract for one cloud.
type Set struct {
	// Cloud is the cloud.
	Cloud Cloud
	// Keys are the keys of peer-pods-cm and peer-pods-secret, in
	// documentation order.
	Keys []Key
	// SSHKeys are the keys of ssh-key-secret; nil when the cloud needs no
	// ssh-key-secret.
	SSHKeys []Key
}

// For returns the contract of cloud; ok is false for an unknown cloud.
func For(cloud Cloud) (Set, bool) {
	s, ok := sets[cloud]
	return s, ok
}

// MustFor returns the contract of a known cloud and panics otherwise.
func MustFor(cloud Cloud) Set {
	s, ok := For(cloud)
	if !ok {
		panic(fmt.Sprintf("contract: unknown cloud %q", cloud))
	}
	return s
}

// Key returns the key called name.
func (s Set) Key(name string) (Key, bool) { return lookup(s.Keys, name) }

func lookup(keys []Key, name string) (Key, bool) {
	i := slices.IndexFunc(keys, func(k Key) bool { return k.Name == name })
	if i < 0 {
		return Key{}, false
	}
	return keys[i], true
}

// In returns the keys written to object o (keys written to Both count for
// each).
func (s Set) In(o Object) []Key {
	var out []Key
	for _, k := range s.Keys {
		if k.In.Has(o) {
			out = append(out, k)
		}
	}
	return out
}

// Names returns the names of keys.
func Names(keys []Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Name
	}
	return out
}

// UserSecrets returns the peer-pods-secret keys the user gives as stack
// settings of their own (peerpods:<name>), such as credentials.
func (s Set) UserSecrets() []Key {
	var out []Key
	for _, k := range s.In(Secret) {
		name, ok := strings.CutPrefix(k.Setting, "peerpods:")
		if ok && k.Owner == User && !strings.ContainsAny(name, ". ") {
			out = append(out, k)
		}
	}
	return out
}

// Extras returns the keys peerpods:extra may set.
func (s Set) Extras() []Key {
	var out []Key
	for _, k := range s.Keys {
		if k.Extra() {
			out = append(out, k)
		}
	}
	return out
}

// SSHKey returns the ssh-key-secret key called name.
func (s Set) SSHKey(name string) (Key, bool) { return lookup(s.SSHKeys, name) }
