// Package contract is the contract between this project and the OpenShift
// sandboxed containers operator and cloud-api-adaptor (CAA), as their source
// states it: per cloud, every key of peer-pods-cm, peer-pods-secret and
// ssh-key-secret they read, in which object, whether it is required, its
// format, who owns it, the peerpods setting that fills it, and the file and
// function of the operator or CAA it comes from.
//
// Everything else derives from this package: the validation of the values a
// cloud component hands on, the typed pass-through peerpods:extra, which
// keys the handoff leaves to the operator, and the key tables of docs/handoff.md. The
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
	// CAA111 and CAA112 are the cloud-api-adaptor of the later lines
	// (branches osc-release-v1.11, based on upstream v0.16.0, and
	// osc-release-v1.12, v0.18.0), for what changed since 1.10;
	// testdata/lines/SOURCES.md has every line's sources.
	CAA111 = "openshift/cloud-api-adaptor@f3dcc175a872 (osc-release-v1.11)"
	CAA112 = "openshift/cloud-api-adaptor@067d2068bd73 (osc-release-v1.12)"
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

// The peer-pods webhook the operator installs with peer pods: it adds
// the pod-VM extended resource to the requests of every pod of
// RuntimeClass, so the scheduler keeps to PEERPODS_LIMIT_PER_NODE. Names
// from the operator's controllers/ppwebhook.go (constants webhookName,
// webhookDeploymentName, webhookSvcName, webhookConfigName;
// createMutatingWebhookConfig), unchanged from commit 55df65e
// (2023-05-24) to d0632e5 (2024-10-09).
const (
	// WebhookConfig is its cluster-scoped MutatingWebhookConfiguration.
	WebhookConfig = "mutating-webhook-configuration"
	// WebhookName is the webhook's name in WebhookConfig.
	WebhookName = "mwebhook.peerpods.io"
	// WebhookDeployment is the Deployment in Namespace that serves it.
	WebhookDeployment = "peer-pods-webhook"
	// WebhookService is the Service in Namespace the webhook calls.
	WebhookService = "peer-pods-webhook-svc"
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
	// Operator, CAA, CAA111 or CAA112, file and function.
	Source string
	// Sensitive keys hold a credential: their setting must be stored
	// encrypted, and no error or output shows the value.
	Sensitive bool
	// Since is the first line that reads the key (zero: every line);
	// Until the first line that no longer does (zero: still read). Source
	// names the line's source where they are set.
	Since, Until Line
}

// ReadOn reports whether line l reads the key.
func (k Key) ReadOn(l Line) bool {
	return (k.Since.IsZero() || l.AtLeast(k.Since)) && (k.Until.IsZero() || l.Before(k.Until))
}

// Lines says which lines read the key, for the key tables: "all", "1.12+",
// "1.10–1.11".
func (k Key) Lines() string {
	switch {
	case k.Since.IsZero() && k.Until.IsZero():
		return "all"
	case k.Until.IsZero():
		return k.Since.String() + "+"
	}
	first := OldestLine
	if !k.Since.IsZero() {
		first = k.Since
	}
	last := first
	for _, l := range Lines {
		if l.Before(k.Until) {
			last = l
		}
	}
	if last == first {
		return first.String()
	}
	return first.String() + "–" + last.String()
}

// Extra reports whether the key can be set through peerpods:extra.
func (k Key) Extra() bool { return k.Setting == ExtraSetting }

// ExtraSetting is the typed pass-through setting for further CAA keys.
const ExtraSetting = "peerpods:extra"

// Set is the contract for one cloud, of one operator line (ForLine) or of
// every line (For).
type Set struct {
	// Cloud is the cloud.
	Cloud Cloud
	// Line is the operator line; zero for the keys of every line.
	Line Line
	// Keys are the keys of peer-pods-cm and peer-pods-secret, in
	// documentation order.
	Keys []Key
	// SSHKeys are the keys of ssh-key-secret; nil when the cloud needs no
	// ssh-key-secret.
	SSHKeys []Key
}

// For returns the contract of cloud over every known line: each key any
// line reads, with the lines that read it (Key.Since, Key.Until). The
// settings and the key tables use it; what a stack writes and checks is
// ForLine's. ok is false for an unknown cloud.
func For(cloud Cloud) (Set, bool) {
	s, ok := sets[cloud]
	return s, ok
}

// ForLine returns the contract of cloud as operator line l reads it: the
// keys and ssh-key-secret keys of that line only (nil SSHKeys where the
// line's cloud-api-adaptor uses no ssh-key-secret). ok is false for an
// unknown cloud or line.
func ForLine(l Line, cloud Cloud) (Set, bool) {
	s, ok := sets[cloud]
	if !ok || !l.Known() {
		return Set{}, false
	}
	s.Line = l
	s.Keys = readOn(l, s.Keys)
	s.SSHKeys = readOn(l, s.SSHKeys)
	return s, true
}

// MustForLine is ForLine for a known cloud and line; it panics otherwise.
func MustForLine(l Line, cloud Cloud) Set {
	s, ok := ForLine(l, cloud)
	if !ok {
		panic(fmt.Sprintf("contract: unknown cloud %q or line %s", cloud, l))
	}
	return s
}

func readOn(l Line, keys []Key) []Key {
	var out []Key
	for _, k := range keys {
		if k.ReadOn(l) {
			out = append(out, k)
		}
	}
	return out
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
