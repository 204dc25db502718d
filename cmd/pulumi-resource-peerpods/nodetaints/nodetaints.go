// Package nodetaints is the peerpods provider's NodeTaints resource
// (peerpods:kubernetes:NodeTaints): it adds a stack's taints to one
// Kubernetes node and removes exactly those again, leaving every taint
// someone else set.
//
// Why not server-side apply, as the handoff's labels are: a node's
// spec.taints is one atomic list (k8s.io/api v0.34.2 core/v1/types.go,
// type NodeSpec, field Taints []Taint, lines 6430-6433: marked
// "+listType=atomic", with no "+listType=map" and no "+listMapKey"), so
// an apply that sets it owns the node's whole taint list, replaces the
// taints nobody owns, and conflicts with every other manager of one. NodeTaints instead reads the node,
// changes only its own taints and writes the node back with the
// resourceVersion it read (a client-go Update, which the API server
// refuses when the node changed in between), and does it again on such a
// conflict (k8s.io/client-go/util/retry.RetryOnConflict).
//
// The cluster's connection is the provider's configuration (kubeconfig,
// kubeContext; provider.Config), not an input: it is stored once, as a
// secret, in the provider's state, and in no NodeTaints' state.
package nodetaints

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/handoff"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/cluster"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// The resource's type token (handoff.TypeNodeTaints) and its parts.
const (
	// Module is the token module of the provider's Kubernetes resources.
	Module = handoff.NodeTaintsModule
	// Name is the resource's name in its module.
	Name = handoff.NodeTaintsName
	// Type is the resource's type token.
	Type = handoff.TypeNodeTaints
	// FieldManager is the field manager of the resource's node updates.
	FieldManager = "peerpods"
)

// Connector makes the Kubernetes client of a provider configuration: its
// kubeconfig (the contents) and kubeContext (nil for the kubeconfig's
// current one). The configuration given has a kubeconfig.
type Connector func(cfg provider.Config) (kubernetes.Interface, error)

// NodeTaints adds its taints to a node and removes, on update and delete,
// exactly the taints it added. A taint is identified by its key and effect:
// one the node already has with the same value is left as it is (and is
// not this resource's to remove); one with another value is an error,
// never overwritten.
type NodeTaints struct {
	connect Connector
}

// Resource is the NodeTaints resource for a provider (infer.Resource),
// connecting to the cluster of its provider's kubeconfig.
func Resource() infer.InferredResource { return ResourceWith(connect) }

// ResourceWith is Resource with the clients made by c (such as a fake
// clientset in tests).
func ResourceWith(c Connector) infer.InferredResource {
	return infer.Resource(&NodeTaints{connect: c})
}

// Taint is a node taint.
type Taint struct {
	// Key is the taint's key, a label key.
	Key string `pulumi:"key"`
	// Value is the taint's value, a label value; may be empty.
	Value string `pulumi:"value,optional"`
	// Effect is NoSchedule, PreferNoSchedule or NoExecute.
	Effect string `pulumi:"effect"`
}

// Annotate describes the type and sets its token.
func (t *Taint) Annotate(a infer.Annotator) {
	a.Describe(t, "A node taint; a node has at most one taint per key and effect.")
	a.Describe(&t.Key, "The taint's key, a label key.")
	a.Describe(&t.Value, "The taint's value, a label value; may be empty.")
	a.Describe(&t.Effect, "NoSchedule, PreferNoSchedule or NoExecute.")
	a.SetToken(Module, "Taint")
}

// sameSlot reports whether t and o have the same key and effect: a node
// has at most one taint of each.
func (t Taint) sameSlot(o corev1.Taint) bool { return t.Key == o.Key && t.Effect == string(o.Effect) }

// on reports whether the node taint o is t (key, value and effect).
func (t Taint) on(o corev1.Taint) bool { return t.sameSlot(o) && t.Value == o.Value }

// Args are the inputs of a NodeTaints.
type Args struct {
	// Node is the node's name; another node replaces the resource.
	Node string `pulumi:"node" provider:"replaceOnChanges"`
	// Taints are the taints the node gets.
	Taints []Taint `pulumi:"taints"`
}

// Annotate describes the inputs.
func (a *Args) Annotate(an infer.Annotator) {
	an.Describe(&a.Node, "The node's name (oc get nodes); another node replaces the resource.")
	an.Describe(&a.Taints, "The taints the node gets. Taints of the same key and effect that someone else set are left alone: the same value is taken as it is, another value is an error.")
}

// State is the state of a NodeTaints: its inputs, the taints among them
// found on the node at the last read (Taints), and those it added.
type State struct {
	Args
	Legacy
	// Added are the taints this resource put on the node: the ones it
	// removes. A taint the node had already is not among them.
	Added []Taint `pulumi:"added"`
}

// Legacy is the cluster connection that earlier versions kept in each
// NodeTaints' inputs and state (kubeconfig, context). It is read only to
// serve resources created then: Read and Delete through a provider
// without kubeconfig (the provider such a resource was created with).
// The next update, and a read through a provider with a kubeconfig, drop
// it.
type Legacy struct {
	// Kubeconfig and Context are as the provider's kubeconfig and
	// kubeContext.
	Kubeconfig *string `pulumi:"kubeconfig,optional" provider:"secret"`
	Context    *string `pulumi:"context,optional"`
}

// Annotate describes the legacy outputs.
func (l *Legacy) Annotate(an infer.Annotator) {
	const deprecated = " Kept by earlier versions; dropped by the next update: the connection is the provider's configuration (kubeconfig, kubeContext) now."
	an.Describe(&l.Kubeconfig, "The cluster's kubeconfig."+deprecated)
	an.Describe(&l.Context, "The kubeconfig's context."+deprecated)
}

// legacyInputs are the inputs earlier versions took: the connection.
var legacyInputs = map[string]string{"kubeconfig": "kubeconfig", "context": "kubeContext"}

// Annotate describes the outputs.
func (s *State) Annotate(an infer.Annotator) {
	an.Describe(&s.Added, "The taints this resource added to the node, and removes on update (when dropped) and delete; taints the node had before are not among them.")
}

// Annotate describes the resource and sets its token.
func (r *NodeTaints) Annotate(a infer.Annotator) {
	a.Describe(r, "Adds taints to a Kubernetes node and removes exactly those it added, keeping the taints others set: a read-modify-write of the node with its resourceVersion, retried on conflict. (A node's spec.taints is one atomic list in server-side apply, so an apply would own and replace the whole list.) It connects with its provider's kubeconfig and kubeContext settings, which the provider must have.")
	a.SetToken(Module, Name)
}

// WireDependencies: the added taints depend on the node and the taints;
// a legacy kubeconfig stays secret.
func (r *NodeTaints) WireDependencies(f infer.FieldSelector, args *Args, state *State) {
	f.OutputField(&state.Added).DependsOn(f.InputField(&args.Node), f.InputField(&args.Taints))
	f.OutputField(&state.Node).DependsOn(f.InputField(&args.Node))
	f.OutputField(&state.Taints).DependsOn(f.InputField(&args.Taints))
	f.OutputField(&state.Kubeconfig).AlwaysSecret()
}

// Check validates the inputs that are known; an input that is, or holds,
// an unknown value (in a preview) is returned as it is and checked once
// known. Problems name the input. The connection given as inputs (as
// earlier versions took it), and a provider without kubeconfig, fail the
// check too. (The engine checks no resource of a provider whose
// configuration is unknown in a preview: the kubeconfig is known here.)
func (r *NodeTaints) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[Args], error) {
	in := req.NewInputs
	var probs problems.List
	for _, k := range slices.Sorted(maps.Keys(legacyInputs)) {
		if _, ok := in.GetOk(k); ok {
			probs.Add(problems.Invalid(k, "is the provider's configuration now ("+legacyInputs[k]+"), not an input of the resource",
				"set "+legacyInputs[k]+" on the resource's peerpods provider and remove it here"))
			in = in.Delete(k)
		}
	}
	var connection []p.CheckFailure
	if !hasKubeconfig(ctx) {
		connection = append(connection, p.CheckFailure{Reason: errNoKubeconfig.Error()})
	}
	a, f, err := infer.DefaultCheck[Args](ctx, in)
	if err != nil || len(f) > 0 {
		return infer.CheckResponse[Args]{Inputs: a, Failures: slices.Concat(connection, failures(probs.Err()), f)}, err
	}
	known := func(k string) bool { v, ok := in.GetOk(k); return !ok || !v.HasComputed() }
	if known("node") {
		probs.Add(checkNode("node", a.Node))
	}
	if known("taints") {
		probs.Add(checkTaints("taints", a.Taints))
	} else if a.Taints == nil {
		// infer's encoder puts an unknown back only where the checked
		// inputs have a value: a nil slice has none (the input would be
		// dropped, and be an empty list to the diff and the create).
		a.Taints = []Taint{}
	}
	return infer.CheckResponse[Args]{Inputs: a, Failures: append(connection, failures(probs.Err())...)}, nil
}

// errNoKubeconfig is the error of a NodeTaints whose provider has no
// kubeconfig.
var errNoKubeconfig = errors.New("the peerpods provider of this NodeTaints has no kubeconfig, and the taints are added through the cluster's API; fix: give the resource a peerpods provider configured with the cluster's kubeconfig (its kubeconfig setting, a secret; kubeContext for another context than the kubeconfig's current one)")

func checkNode(setting, name string) error {
	return check.DNSSubdomain(setting, name, "a node name", "use the names of oc get nodes")
}

// failures are the check failures of err's input errors.
func failures(err error) []p.CheckFailure {
	var out []p.CheckFailure
	for _, ie := range problems.InputErrors(err) {
		out = append(out, p.CheckFailure{Property: ie.Setting, Reason: ie.Problem + "; fix: " + ie.Fix})
	}
	return out
}

// Create adds the taints the node lacks; a preview touches nothing.
func (r *NodeTaints) Create(ctx context.Context, req infer.CreateRequest[Args]) (infer.CreateResponse[State], error) {
	in := req.Inputs
	s := State{Args: in, Added: []Taint{}}
	if req.DryRun {
		return infer.CreateResponse[State]{ID: in.Node, Output: s}, nil
	}
	c, err := r.client(ctx, Legacy{})
	if err != nil {
		return infer.CreateResponse[State]{}, err
	}
	s.Added, err = update(ctx, c, in.Node, in.Taints, nil, nil)
	if err != nil {
		return infer.CreateResponse[State]{}, err
	}
	logAdded(ctx, in.Node, s.Added)
	return infer.CreateResponse[State]{ID: in.Node, Output: s}, nil
}

// Update removes the taints it added that are no longer wanted and adds
// the wanted ones the node lacks, through the provider's kubeconfig; a
// preview touches nothing. The state no longer holds a legacy connection
// (Legacy): an update is what drops it.
func (r *NodeTaints) Update(ctx context.Context, req infer.UpdateRequest[Args, State]) (infer.UpdateResponse[State], error) {
	in, old := req.Inputs, req.State
	keep, remove := []Taint{}, []Taint{}
	for _, t := range old.Added {
		if slices.Contains(in.Taints, t) {
			keep = append(keep, t)
		} else {
			remove = append(remove, t)
		}
	}
	s := State{Args: in, Added: keep}
	if req.DryRun {
		return infer.UpdateResponse[State]{Output: s}, nil
	}
	if in.Node != old.Node {
		return infer.UpdateResponse[State]{}, fmt.Errorf("the node changed from %s to %s, which replaces the resource, not updates it", old.Node, in.Node)
	}
	c, err := r.client(ctx, Legacy{})
	if err != nil {
		return infer.UpdateResponse[State]{}, err
	}
	s.Added, err = update(ctx, c, in.Node, in.Taints, remove, keep)
	if err != nil {
		return infer.UpdateResponse[State]{}, err
	}
	logAdded(ctx, in.Node, s.Added)
	return infer.UpdateResponse[State]{Output: s}, nil
}

// Delete removes the taints it added, through the provider's kubeconfig
// or, for a resource of an earlier version deleted by its provider
// without one, its legacy kubeconfig; a node that is gone is fine.
func (r *NodeTaints) Delete(ctx context.Context, req infer.DeleteRequest[State]) (infer.DeleteResponse, error) {
	s := req.State
	if len(s.Added) == 0 {
		return infer.DeleteResponse{}, nil
	}
	c, err := r.client(ctx, s.Legacy)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	_, err = update(ctx, c, s.Node, nil, s.Added, nil)
	if apierrors.IsNotFound(err) {
		err = nil
	}
	return infer.DeleteResponse{}, err
}

// Read reports which of its taints the node has: the inputs' and the
// state's taints are those found (so that a taint someone removed is a
// difference the next update repairs), and the added ones those still
// there. A node that is gone is a resource that is gone. It connects as
// Delete does; a legacy connection is dropped from the state once the
// provider has a kubeconfig (the read's inputs never held it).
func (r *NodeTaints) Read(ctx context.Context, req infer.ReadRequest[Args, State]) (infer.ReadResponse[Args, State], error) {
	s := req.State
	if s.Node == "" {
		return infer.ReadResponse[Args, State]{}, errors.New("a NodeTaints cannot be imported (which taints are its own is known only to the one that added them): create it instead")
	}
	c, err := r.client(ctx, s.Legacy)
	if err != nil {
		return infer.ReadResponse[Args, State]{}, err
	}
	if hasKubeconfig(ctx) {
		s.Legacy = Legacy{}
	}
	node, err := c.CoreV1().Nodes().Get(ctx, s.Node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return infer.ReadResponse[Args, State]{}, nil
	}
	if err != nil {
		return infer.ReadResponse[Args, State]{}, fmt.Errorf("reading node %s: %w", s.Node, err)
	}
	in := req.Inputs
	in.Taints = present(in.Taints, node.Spec.Taints)
	s.Taints = present(s.Taints, node.Spec.Taints)
	s.Added = present(s.Added, node.Spec.Taints)
	return infer.ReadResponse[Args, State]{ID: req.ID, Inputs: in, State: s}, nil
}

// present are the taints of ts the node has, in their order; never nil
// (an output or input that is a nil slice would be left out).
func present(ts []Taint, node []corev1.Taint) []Taint {
	out := []Taint{}
	for _, t := range ts {
		if slices.ContainsFunc(node, t.on) {
			out = append(out, t)
		}
	}
	return out
}

// client is the Kubernetes client of the provider's configuration or,
// when the provider has no kubeconfig, of legacy (errNoKubeconfig when it
// has none either).
func (r *NodeTaints) client(ctx context.Context, legacy Legacy) (kubernetes.Interface, error) {
	cfg := infer.GetConfig[provider.Config](ctx)
	if !hasKubeconfig(ctx) {
		if deref(legacy.Kubeconfig) == "" {
			return nil, errNoKubeconfig
		}
		cfg = provider.Config{Kubeconfig: legacy.Kubeconfig, KubeContext: legacy.Context}
	}
	c := r.connect
	if c == nil {
		c = connect
	}
	return c(cfg)
}

// hasKubeconfig reports whether the resource's provider has a kubeconfig.
func hasKubeconfig(ctx context.Context) bool {
	return deref(infer.GetConfig[provider.Config](ctx).Kubeconfig) != ""
}

// connect makes the client of the configuration's kubeconfig; its errors
// hold nothing of the kubeconfig's contents.
func connect(cfg provider.Config) (kubernetes.Interface, error) {
	kubeconfig, kubeContext := deref(cfg.Kubeconfig), deref(cfg.KubeContext)
	if err := provider.CheckKubeconfig(kubeconfig, kubeContext); err != nil {
		return nil, err
	}
	c, err := cluster.Connect([]byte(kubeconfig), kubeContext)
	if err != nil {
		return nil, errors.New("the provider's kubeconfig cannot be used (its server, user and context must be complete)")
	}
	return c.Kube, nil
}

// update writes node: the taints of remove that it has (exactly: key,
// value, effect) are removed, then the taints of want it lacks are added.
// It returns the taints this resource now owns: those of owned the node
// still has, and those it added. The node is read, changed and written
// with the resourceVersion read, again on a conflict.
func update(ctx context.Context, c kubernetes.Interface, name string, want, remove, owned []Taint) ([]Taint, error) {
	var ours []Taint
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) && len(want) > 0 {
				return fmt.Errorf("node %s does not exist: %w; fix: use the names of oc get nodes", name, err)
			}
			return err
		}
		next, added, err := plan(name, node.Spec.Taints, want, remove)
		if err != nil {
			return err
		}
		ours = append(present(owned, next), added...)
		if slices.EqualFunc(next, node.Spec.Taints, func(a, b corev1.Taint) bool { return a.MatchTaint(&b) && a.Value == b.Value }) {
			return nil
		}
		node.Spec.Taints = next
		_, err = c.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("updating the taints of node %s: %w", name, err)
	}
	return ours, err
}

// plan is the node's next taint list: current without the taints of
// remove it has, then the taints of want it lacks (added). A taint of
// want whose key and effect the node has with another value is an error
// naming the node, the taint and the fix.
func plan(node string, current []corev1.Taint, want, remove []Taint) (next []corev1.Taint, added []Taint, err error) {
	for _, t := range current {
		if !slices.ContainsFunc(remove, func(r Taint) bool { return r.on(t) }) {
			next = append(next, t)
		}
	}
	var clashes []string
	for _, w := range want {
		i := slices.IndexFunc(next, w.sameSlot)
		switch {
		case i < 0:
			next = append(next, corev1.Taint{Key: w.Key, Value: w.Value, Effect: corev1.TaintEffect(w.Effect)})
			added = append(added, w)
		case next[i].Value != w.Value:
			other := Taint{Key: next[i].Key, Value: next[i].Value, Effect: string(next[i].Effect)}
			clashes = append(clashes, fmt.Sprintf("node %s has the taint %s, which this stack did not set, and this stack sets %s: it is not overwritten; fix: remove it (oc adm taint nodes %s %s:%s-) if the stack's value is right, or change the stack's placement to that value",
				node, other, w, node, w.Key, w.Effect))
		}
	}
	if len(clashes) > 0 {
		return nil, nil, errors.New(strings.Join(clashes, "; "))
	}
	return next, added, nil
}

func logAdded(ctx context.Context, node string, added []Taint) {
	if len(added) > 0 {
		names := make([]string, len(added))
		for i, t := range added {
			names[i] = t.String()
		}
		p.GetLogger(ctx).Infof("node %s: this resource owns the taints %s", node, strings.Join(names, ", "))
	}
}

func deref[T any](v *T) T {
	var zero T
	if v == nil {
		return zero
	}
	return *v
}

// checkTaint checks a taint of the resource as the handoff does.
func checkTaint(setting string, t Taint) error { return handoff.Taint(t).Check(setting) }

// checkTaints checks the resource's taints as the handoff does.
func checkTaints(setting string, taints []Taint) error {
	ts := make([]handoff.Taint, len(taints))
	for i, t := range taints {
		ts[i] = handoff.Taint(t)
	}
	return handoff.CheckTaints(setting, ts)
}

// String is the taint as oc adm taint writes it (handoff.Taint.String).
func (t Taint) String() string { return handoff.Taint(t).String() }
