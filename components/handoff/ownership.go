package handoff

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/problems"
)

// Lookup tells whether a cluster object exists. The handoff asks it, in
// a hook the engine runs before it creates an object (also in a
// preview), whether the object it is about to create is already there:
// the engine creates only what is not in the stack's state, so such an
// object is someone else's. components/cluster implements it with
// client-go.
type Lookup interface {
	// Exists reports whether the object r exists.
	Exists(ctx context.Context, r Ref) (bool, error)
}

// AdoptAll, as the only entry of an adopt list, adopts every object of
// the handoff that exists.
const AdoptAll = "all"

// AdoptSetting names the adopt list in errors and advice: the stack
// setting.
const AdoptSetting = "peerpods:adopt"

// Ref names one cluster object of the handoff.
type Ref struct {
	// APIVersion is the object's apiVersion, such as v1.
	APIVersion string
	// Kind is the object's kind, such as ConfigMap.
	Kind string
	// Namespace is empty for a cluster-scoped object.
	Namespace string
	// Name is the object's name.
	Name string
}

// RefOf names the object o.
func RefOf(o Object) Ref {
	return Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// String is how an adopt list names the object: Kind/namespace/name, or
// Kind/name for a cluster-scoped one.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// ID is the object's ID in pulumi-kubernetes (what an import takes):
// namespace/name, or name for a cluster-scoped one.
func (r Ref) ID() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// Owned are the objects of objs that the handoff creates, and so would
// own and delete: every object but the patches (nodes, the Subscription),
// whose fields only are the stack's, and the retained operator namespace,
// which the stack never deletes. These are the objects that must not
// exist before the stack unless adopted.
func Owned(objs []Object) []Ref {
	var out []Ref
	for _, o := range objs {
		if o.Patch || o.Retain {
			continue
		}
		out = append(out, RefOf(o))
	}
	return out
}

// Adoption is an adopt list applied to the objects the handoff owns: the
// objects to take over when they exist before the stack.
type Adoption struct {
	all  bool
	refs []Ref
}

// ParseAdopt reads an adopt list (AdoptAll alone, or objects named as
// Ref.String does) against the objects the handoff owns (Owned); setting
// names the list in errors. An entry that names no such object is an
// error: it would adopt nothing.
func ParseAdopt(setting string, adopt []string, owned []Ref) (Adoption, error) {
	if len(adopt) == 1 && adopt[0] == AdoptAll {
		return Adoption{all: true}, nil
	}
	var p problems.List
	var a Adoption
	names := make([]string, len(owned))
	for i, r := range owned {
		names[i] = r.String()
	}
	for i, s := range adopt {
		j := slices.Index(names, s)
		switch {
		case s == AdoptAll:
			p.Add(problems.Invalid(fmt.Sprintf("%s[%d]", setting, i), `is "all" among other entries`, `give "all" alone, or name the objects`))
		case j < 0:
			p.Add(problems.Invalid(fmt.Sprintf("%s[%d]", setting, i), fmt.Sprintf("is %q, which is not an object this stack writes", s),
				"name one of "+strings.Join(names, ", ")+", or all"))
		default:
			a.refs = append(a.refs, owned[j])
		}
	}
	return a, p.Err()
}

// Adopts reports whether the adoption takes r over when it exists.
func (a Adoption) Adopts(r Ref) bool { return a.all || slices.Contains(a.refs, r) }

// ErrNotOwned is the error for an object the stack is about to create,
// which exists in the cluster already and is not adopted: the handoff
// would take it over, and destroy would delete it.
func ErrNotOwned(r Ref) error {
	return problems.Invalid(AdoptSetting, fmt.Sprintf("does not list %s, which exists in the cluster and was not created by this stack (the handoff would take it over, and destroy would delete it)", r),
		fmt.Sprintf("to take it over and keep it on destroy, add %q to %s (or set it to all); else delete it from the cluster first; if this stack's resource was renamed, give it an alias instead", r.String(), AdoptSetting))
}

// ownerHookName is the name of the hook that guards the creation of the
// object r by the handoff named handoff.
func ownerHookName(handoff string, r Ref) string {
	return handoff + "-owner-" + strings.ToLower(r.Kind) + "-" + r.Name
}

// Guard is what the handoff's hook decides before the engine creates the
// object r, which the engine does only when r is not in the stack's
// state: r must not exist. One that exists is refused (ErrNotOwned); an
// adopted one that exists appeared after the program looked (an import
// would have been planned), and the next run imports it. A cluster that
// cannot be read is an error too: nothing is created unchecked.
func Guard(ctx context.Context, l Lookup, r Ref, adoption Adoption) error {
	exists, err := l.Exists(ctx, r)
	switch {
	case err != nil:
		return fmt.Errorf("checking that %s does not exist before creating it: %w", r, err)
	case exists && adoption.Adopts(r):
		return fmt.Errorf("%s appeared in the cluster during this run: run again to adopt it (%s)", r, AdoptSetting)
	case exists:
		return ErrNotOwned(r)
	}
	return nil
}
