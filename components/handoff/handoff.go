package handoff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/identity"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/peerpods/provisioner/components/providers"
	"github.com/peerpods/provisioner/components/values"
	ppkube "github.com/peerpods/provisioner/sdk/go/peerpods/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Mode says whether and how the peer-pods values reach the cluster (the
// stack setting peerpods:handoff).
type Mode string

// The handoff modes.
const (
	// ModeCluster writes the objects into the cluster through
	// pulumi-kubernetes (a ClusterHandoff).
	ModeCluster Mode = "cluster"
	// ModeManifests writes nothing to the cluster: the objects are one
	// multi-document YAML stack output (secret), for GitOps and oc apply.
	ModeManifests Mode = "manifests"
	// ModeOff writes nothing to the cluster; the values are only stack
	// outputs.
	ModeOff Mode = "off"
)

// ParseMode checks a handoff mode name; setting names it in the error.
func ParseMode(setting, value string) (Mode, error) {
	switch m := Mode(value); m {
	case ModeCluster, ModeManifests, ModeOff:
		return m, nil
	}
	return "", problems.Invalid(setting, fmt.Sprintf("is %q, which is not a handoff mode", value),
		`use "cluster" (write peer-pods-cm and the secrets into the cluster), "manifests" (the same objects as a YAML stack output) or "off" (the values as stack outputs only)`)
}

// Args are the inputs of a ClusterHandoff, in a form every Pulumi
// language can send: the maps a cloud component hands on, each a whole
// input that may be the output of another resource (unknown during a
// preview), and the optional operator objects.
//
// The handoff writes nothing before the cloud resources the values need
// (the network rules) exist, whichever way the values come: Args built
// by NewArgs from a cloud component's values.Values carry Values.Ready,
// which every object of the handoff depends on; a cloud component's
// outputs (values.Outputs, what a program in another language passes)
// resolve only once those resources exist, and carry them as
// dependencies. (Only maps a caller builds itself carry nothing: it
// passes its own pulumi.DependsOn.)
type Args struct {
	// Cloud is the cloud the values are for: aws, azure, gcp or libvirt.
	Cloud string `pulumi:"cloud"`
	// ConfigMap is the peer-pods-cm data.
	ConfigMap pulumi.StringMapInput `pulumi:"configMap"`
	// Secret is the peer-pods-secret data; it is written as a secret. Only
	// with static credentials (identity static): in the other modes the
	// operator writes peer-pods-secret, and it must be left out.
	Secret pulumi.StringMapInput `pulumi:"secret,optional" provider:"secret"`
	// Identity is how CAA gets its cloud credentials: cco, static or
	// workload; empty is the cloud's default (cco, static for libvirt).
	Identity string `pulumi:"identity,optional"`
	// OperatorEnv are the operator's environment variables that start its
	// workload-identity flow (ROLEARN; CLIENTID, TENANTID, SUBSCRIPTIONID),
	// written into its OLM Subscription; only in workload mode.
	OperatorEnv pulumi.StringMapInput `pulumi:"operatorEnv,optional"`
	// Subscription is the name of the operator's OLM Subscription in its
	// namespace, which OperatorEnv is written into (workload mode only).
	Subscription string `pulumi:"subscription,optional"`
	// SSHKeySecret is the ssh-key-secret data, for a cloud that uses one
	// (azure, libvirt); for the others it must be left out or empty.
	SSHKeySecret pulumi.StringMapInput `pulumi:"sshKeySecret,optional" provider:"secret"`
	// KataConfig, when set, adds a KataConfig with peer pods enabled.
	KataConfig *KataConfigOptions `pulumi:"kataConfig,optional"`
	// Nodes are the node labels and taints of the placement
	// (Placement.Nodes). Nodes with taints need a peerpods provider
	// configured with the cluster's kubeconfig among the component's
	// providers: their taints are added by a NodeTaints (served by the
	// plugin, cmd/pulumi-resource-peerpods/nodetaints), which talks to the
	// API server itself.
	Nodes []NodePatch `pulumi:"nodes,optional"`
	// Adopt lists the objects of the handoff that may exist before the
	// stack (Ref.String: Kind/namespace/name, or Kind/name; or "all"):
	// those found (Existing) are taken over by an import, shown in the
	// preview, and kept on destroy. Any other object the stack is about to
	// create that exists already stops the run (with a Lookup, WithLookup).
	Adopt []string `pulumi:"adopt,optional"`
	// Existing are the objects of the handoff (Ref.String) that the caller
	// found in the cluster before this run: the operator's namespace and the
	// adopted objects among them are imported instead of created.
	Existing []string `pulumi:"existing,optional"`
	// OperatorLine is the operator's release line the objects are written
	// for, such as 1.12 (a version such as 1.12.1 names its line): the keys
	// and objects that line reads (package contract). Default: the newest
	// known line.
	OperatorLine string `pulumi:"operatorLine,optional"`

	// ready are the resources every object waits for (values.Values.Ready,
	// set by NewArgs); not an input of the served component, whose maps
	// carry their dependencies.
	ready []pulumi.Resource
	// lookup is asked, before the engine creates an object, whether it
	// exists already (WithLookup).
	lookup Lookup
	// restart is what is done with cloud-api-adaptor's DaemonSet
	// (WithCAARestart); nil: nothing.
	restart *CAARestart
}

// WithLookup returns a copy of a whose objects are checked with l before
// the engine creates them (in a preview too): the engine creates only
// what is not in the stack's state, so an object that exists then was not
// created by this stack, and is refused unless adopted (ErrNotOwned).
func (a Args) WithLookup(l Lookup) Args {
	a.lookup = l
	return a
}

// Options are the optional operator objects of the handoff, as a stack
// configures them (peerpods:kataConfig, peerpods:placement); all are off
// when zero.
type Options struct {
	// KataConfig, when set, adds a KataConfig with peer pods enabled.
	KataConfig *KataConfigOptions
	// Nodes are the node labels and taints of the placement.
	Nodes []NodePatch
	// Subscription is the operator's OLM Subscription (workload mode).
	Subscription string
	// Adopt are the objects that may exist before the stack (Args.Adopt).
	Adopt []string
	// Existing are the objects found in the cluster (Args.Existing).
	Existing []string
	// Line is the operator's release line the objects are written for.
	Line contract.Line
}

// NewArgs are the Args for the values a cloud component returned and the
// options of the stack. They keep v.Ready: the ClusterHandoff of these
// Args writes nothing before those resources exist, with no
// pulumi.DependsOn of the caller's.
func NewArgs(v values.Values, o Options) Args {
	a := Args{Cloud: string(v.Cloud), ConfigMap: v.ConfigMap, Identity: string(v.Identity), KataConfig: o.KataConfig, Nodes: o.Nodes,
		Adopt: o.Adopt, Existing: o.Existing, ready: slices.Clone(v.Ready)}
	if !o.Line.IsZero() {
		a.OperatorLine = o.Line.String()
	}
	// A nil map in an interface would be an input.
	if v.Secret != nil {
		a.Secret = v.Secret
	}
	if v.SSHKey != nil {
		a.SSHKeySecret = v.SSHKey
	}
	if v.OperatorEnv != nil {
		a.OperatorEnv, a.Subscription = v.OperatorEnv, o.Subscription
	}
	return a
}

// ClusterHandoff writes the Objects of its Args into the cluster:
// peer-pods-cm, peer-pods-secret and, when the cloud uses one,
// ssh-key-secret in the operator's namespace (created when missing, never
// deleted), and the optional operator objects. It knows no cloud: it
// writes the maps it is given, after checking their keys against the
// operator's contract. The Kubernetes provider comes from the caller; a
// provider with EnableConfigMapMutable and EnableSecretMutable updates
// the objects in place instead of replacing them.
//
// Node labels are server-side-apply patches (a NodePatch of
// metadata.labels only); node taints are added and removed by one
// NodeTaints per node (peerpods:kubernetes:NodeTaints), served by the
// peerpods provider given with pulumi.Providers, configured with the
// cluster's kubeconfig (peerpods.ProviderArgs.Kubeconfig).
type ClusterHandoff struct {
	pulumi.ResourceState

	// Namespace is where the objects are written.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// ConfigMapName is the name of the ConfigMap written.
	ConfigMapName pulumi.StringOutput `pulumi:"configMapName"`
	// SecretNames are the names of the Secrets written.
	SecretNames pulumi.StringArrayOutput `pulumi:"secretNames"`
}

// ClusterHandoffType is the type token of ClusterHandoff. It names the
// component in every stack's URNs: it never changes.
const ClusterHandoffType = "peerpods:" + TokenModule + ":" + TokenName

// The module and name of ClusterHandoffType (it was package components'),
// which the plugin keeps when it serves the component to other languages.
const (
	TokenModule = "components"
	TokenName   = "ClusterHandoff"
)

// NewClusterHandoff checks args and writes them into the cluster. The
// Kubernetes provider must be passed with pulumi.Provider or
// pulumi.Providers (a typed provider or a provider reference), and, when
// a node has taints, a peerpods provider configured with the cluster's
// kubeconfig too (pulumi.Providers(k8s, peerpods)): the component makes
// no provider of its own.
//
// What is known when it is called is checked before anything is
// registered: the cloud, the KataConfig and the node patches and, when
// the keys of every map are known (each a pulumi.StringMap, as a Go
// program passes them), the key contract (values.Values.CheckComplete).
// Maps that are outputs are checked by the same function once they
// resolve: every object waits for that check, and a key the operator does
// not read, or one it needs that is missing, fails the update before any
// object is written. A map that is unknown (a preview before its resource
// exists) is not checked; the objects are planned all the same.
//
// The component and every object it registers depend on the resources
// the values need (the Values.Ready of Args built by NewArgs), so
// peer-pods-cm is never written before the cloud's network rules exist,
// and is deleted before them.
func NewClusterHandoff(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*ClusterHandoff, error) {
	checked, err := args.check(opts)
	if err != nil {
		return nil, err
	}
	provider, err := providers.RequireProvider("kubernetes", "Kubernetes", opts)
	if err != nil {
		return nil, err
	}

	// The component and each object wait for the resources the values
	// need (a component's dependencies are not its children's).
	var wait []pulumi.ResourceOption
	if len(args.ready) > 0 {
		wait = append(wait, pulumi.DependsOn(args.ready))
	}
	h := &ClusterHandoff{}
	if err := ctx.RegisterComponentResource(ClusterHandoffType, name, h, append(slices.Clip(opts), wait...)...); err != nil {
		return nil, err
	}
	if !checked {
		wait = append(wait, pulumi.DependsOnInputs(args.checkLater()))
	}
	common := append([]pulumi.ResourceOption{pulumi.Parent(h), pulumi.Provider(provider)}, wait...)
	var secrets pulumi.StringArray
	var namespace, registered []pulumi.Resource
	labels := map[string]pulumi.Resource{} // the NodePatch of each node
	objs := Objects(args)
	owned := Owned(objs)
	if r := args.restart; r != nil && r.Hold && !r.Patch {
		// No hash of ours to keep: whether the data changed is not known.
		if err := ctx.Log.Warn(r.Warning(), nil); err != nil {
			return nil, err
		}
	}
	adoption, _ := ParseAdopt("adopt", args.Adopt, owned) // checked
	for _, obj := range objs {
		deps := namespace // every object waits for the namespace
		if obj.AfterAll {
			deps = registered
		}
		child := append(common[:len(common):len(common)], pulumi.DependsOn(deps))
		ref := RefOf(obj)
		adopt := slices.Contains(args.Existing, ref.String()) && (obj.Retain || slices.Contains(owned, ref) && adoption.Adopts(ref))
		if obj.Retain || adopt {
			child = append(child, pulumi.RetainOnDelete(true))
		}
		if r := args.restart; obj.Kind == "DaemonSet" && r.Hold {
			child = append(child, pulumi.DependsOnInputs(warnLater(ctx, r, objs)))
		}
		if adopt {
			// Once in the state, the import is no longer done. The stack's
			// values win over the fields others set: it takes the object
			// over.
			child = append(child, pulumi.Import(pulumi.ID(ref.ID())))
			obj.Force = !obj.Retain
		} else if slices.Contains(owned, ref) && args.lookup != nil {
			hook, err := ownerHook(ctx, name, ref, adoption, args.lookup)
			if err != nil {
				return nil, err
			}
			child = append(child, pulumi.ResourceHooks(&pulumi.ResourceHookBinding{BeforeCreate: []*pulumi.ResourceHook{hook}}))
		}
		res, err := newObject(ctx, name+"-"+obj.Name, obj, child...)
		if err != nil {
			return nil, err
		}
		switch obj.Kind {
		case "Namespace":
			namespace = []pulumi.Resource{res}
		case "Node":
			labels[obj.Name] = res
		}
		registered = append(registered, res)
		if obj.Kind == "Secret" {
			secrets = append(secrets, pulumi.String(obj.Name))
		}
	}

	if err := newNodeTaints(ctx, name, h, args, wait, labels, opts); err != nil {
		return nil, err
	}

	h.Namespace = pulumi.String(contract.Namespace).ToStringOutput()
	h.ConfigMapName = pulumi.String(contract.ConfigMapName).ToStringOutput()
	h.SecretNames = secrets.ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(h, pulumi.Map{
		"namespace":     h.Namespace,
		"configMapName": h.ConfigMapName,
		"secretNames":   h.SecretNames,
	}); err != nil {
		return nil, err
	}
	return h, nil
}

// TaintsNodes reports whether a node of a has taints: the handoff then
// needs a peerpods provider configured with the cluster's kubeconfig.
func (a Args) TaintsNodes() bool {
	return slices.ContainsFunc(a.Nodes, func(n NodePatch) bool { return len(n.Taints) > 0 })
}

// check checks what is known of a, and that opts give the providers it
// needs besides the Kubernetes one, before anything is registered, every
// problem in one error, and reports whether the keys of the maps were
// known, and so checked too.
func (a Args) check(opts []pulumi.ResourceOption) (keysChecked bool, err error) {
	var p problems.List
	_, knownCloud := contract.For(contract.Cloud(a.Cloud))
	if !knownCloud {
		p.Add(problems.Invalid("cloud", fmt.Sprintf("is %q, which is not a cloud", a.Cloud),
			fmt.Sprintf("use one of %s: the cloud of the component whose values these are", cloudNames())))
	}
	if a.ConfigMap == nil {
		p.Add(problems.Invalid("configMap", "is not given", "pass the peer-pods-cm data: the cloud component's configMap output"))
	}
	id := a.identity()
	if knownCloud {
		p.Add(identity.CheckIdentity(contract.Cloud(a.Cloud), id))
	}
	switch {
	case contract.WritesSecret(id) && a.Secret == nil:
		p.Add(problems.Invalid("secret", "is not given", "pass the peer-pods-secret data: the cloud component's secret output"))
	case !contract.WritesSecret(id) && a.Secret != nil:
		if m, known := a.Secret.(pulumi.StringMap); !known || len(m) > 0 {
			p.Add(problems.Invalid("secret", fmt.Sprintf("is given, but with identity %s the operator writes peer-pods-secret (and skips its own flow when the Secret exists)", id),
				"leave secret out, or set identity static"))
		}
	}
	switch {
	case id == contract.IdentityWorkload && a.OperatorEnv == nil:
		p.Add(problems.Invalid("operatorEnv", "is not given, and the workload flow starts from the operator's environment", "pass the cloud component's operatorEnv output"))
	case id != contract.IdentityWorkload && a.OperatorEnv != nil:
		p.Add(problems.Invalid("operatorEnv", fmt.Sprintf("is given, but identity is %s", id), "leave operatorEnv out, or set identity workload"))
	case id == contract.IdentityWorkload:
		p.Add(check.DNSSubdomain("subscription", a.Subscription, "the operator's OLM Subscription", "name the Subscription of package "+contract.OperatorPackage+" in "+contract.Namespace+" (oc get subscriptions -n "+contract.Namespace+")"))
	}
	p.Add(a.KataConfig.Validate("kataConfig"))
	if a.OperatorLine != "" {
		if _, _, err := contract.ParseVersion(a.OperatorLine); err != nil {
			p.Add(problems.Invalid("operatorLine", err.Error(), "give the operator's version, such as 1.12"))
		}
	}
	_, adoptErr := ParseAdopt("adopt", a.Adopt, Owned(Objects(a)))
	p.Add(adoptErr)
	tainted := -1 // the first node with taints
	for i, n := range a.Nodes {
		p.Add(n.Validate(fmt.Sprintf("nodes[%d]", i)))
		if len(n.Taints) > 0 && tainted < 0 {
			tainted = i
		}
	}
	if tainted >= 0 {
		if _, err := providers.RequireProvider("peerpods", "peerpods", opts); err != nil {
			n := a.Nodes[tainted]
			p.Add(problems.Invalid("provider", fmt.Sprintf("for peerpods is not given, and nodes[%d] (%s) has taints, which a NodeTaints of the peerpods provider adds through the cluster's API", tainted, n.Name),
				"pass a peerpods provider configured with the cluster's kubeconfig (peerpods.ProviderArgs Kubeconfig, a secret, and KubeContext) next to the Kubernetes provider, with pulumi.Providers or the providers resource option in another language"))
		}
	}
	if err := p.Err(); err != nil {
		return false, err
	}
	cm, cmKnown := a.ConfigMap.(pulumi.StringMap)
	secret, secretKnown := a.Secret.(pulumi.StringMap)
	if a.Secret == nil {
		secretKnown = true
	}
	ssh, sshKnown := a.SSHKeySecret.(pulumi.StringMap)
	env, envKnown := a.OperatorEnv.(pulumi.StringMap)
	if !cmKnown || !secretKnown || (a.SSHKeySecret != nil && !sshKnown) || (a.OperatorEnv != nil && !envKnown) {
		return false, nil
	}
	return true, a.checkKeys(cm, secret, ssh, env)
}

// line is the operator line of a: OperatorLine's (checked), else the
// newest known line.
func (a Args) line() contract.Line {
	if l, _, err := contract.ParseVersion(a.OperatorLine); err == nil {
		return l
	}
	return contract.NewestLine
}

// identity is the identity mode of a, the cloud's default when empty.
func (a Args) identity() contract.Identity {
	return contract.IdentityOr(contract.Cloud(a.Cloud), contract.Identity(a.Identity))
}

// cloudNames lists the clouds, "aws, azure, gcp, libvirt".
func cloudNames() string {
	names := make([]string, len(contract.Clouds))
	for i, c := range contract.Clouds {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// checkKeys is the key contract check of the maps, the one check of both
// paths: the maps' keys are known (only keys are checked, never values).
// An empty ssh-key-secret is none, as a cloud component that uses none
// outputs it.
func (a Args) checkKeys(cm, secret, ssh, env pulumi.StringMap) error {
	v := values.Values{Cloud: contract.Cloud(a.Cloud), Identity: a.identity(), ConfigMap: cm, Secret: secret, OperatorEnv: env}
	if len(ssh) > 0 {
		v.SSHKey = ssh
	}
	return v.OnLine(a.line()).CheckComplete()
}

// checkLater checks the keys of the maps once they resolve: the output
// is an empty list of resources (carrying the maps' dependencies) when
// the keys are right, an error when not, unknown while a map is unknown.
// Its value holds nothing secret, whatever the maps hold.
func (a Args) checkLater() pulumi.ResourceArrayOutput {
	var secret pulumi.StringMapInput = pulumi.StringMap{}
	if a.Secret != nil {
		secret = a.Secret
	}
	var ssh, env pulumi.StringMapInput = pulumi.StringMap{}, pulumi.StringMap{}
	if a.SSHKeySecret != nil {
		ssh = a.SSHKeySecret
	}
	if a.OperatorEnv != nil {
		env = a.OperatorEnv
	}
	maps := []any{a.ConfigMap, secret, ssh, env}
	return pulumi.All(maps...).ApplyT(func(resolved []any) ([]pulumi.Resource, error) {
		plain := func(i int) pulumi.StringMap {
			m, _ := resolved[i].(map[string]string)
			return values.PlainMap(m)
		}
		return nil, a.checkKeys(plain(0), plain(1), plain(2), plain(3))
	}).(pulumi.ResourceArrayOutput)
}

// ownerHook registers the hook the engine runs before it creates the
// object r (in a preview too), and only then: Guard.
func ownerHook(ctx *pulumi.Context, name string, r Ref, adoption Adoption, l Lookup) (*pulumi.ResourceHook, error) {
	check := func(*pulumi.ResourceHookArgs) error { return Guard(ctx.Context(), l, r, adoption) }
	return ctx.RegisterResourceHook(ownerHookName(name, r), check, &pulumi.ResourceHookOptions{OnDryRun: true})
}

// PatchForceAnnotation makes pulumi-kubernetes apply an object with
// force, taking over the fields other managers own
// (pulumi-kubernetes provider/pkg/await/await.go, patchForce).
const PatchForceAnnotation = "pulumi.com/patchForce"

// newObject registers the pulumi-kubernetes resource for an object of the
// model: the typed resource of core kinds, a (patch of a) custom resource
// otherwise.
func newObject(ctx *pulumi.Context, name string, o Object, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	meta := &metav1.ObjectMetaArgs{Name: pulumi.String(o.Name)}
	if o.Namespace != "" {
		meta.Namespace = pulumi.String(o.Namespace)
	}
	if len(o.Labels) > 0 {
		meta.Labels = pulumi.ToStringMap(o.Labels)
	}
	if o.Force {
		meta.Annotations = pulumi.StringMap{PatchForceAnnotation: pulumi.String("true")}
	}
	switch {
	case o.Kind == "Node": // labels only: the taints are a NodeTaints
		return corev1.NewNodePatch(ctx, name, &corev1.NodePatchArgs{
			Metadata: &metav1.ObjectMetaPatchArgs{Name: pulumi.String(o.Name), Labels: pulumi.ToStringMap(o.Labels)},
		}, opts...)
	case o.Kind == "DaemonSet": // a patch of the pod template's annotations
		meta.Annotations = pulumi.StringMap{SkipAwaitAnnotation: pulumi.String("true")}
		return appsv1.NewDaemonSetPatch(ctx, name, &appsv1.DaemonSetPatchArgs{
			Metadata: &metav1.ObjectMetaPatchArgs{Name: meta.Name, Namespace: meta.Namespace, Annotations: meta.Annotations},
			Spec: &appsv1.DaemonSetSpecPatchArgs{Template: &corev1.PodTemplateSpecPatchArgs{
				Metadata: &metav1.ObjectMetaPatchArgs{Annotations: o.TemplateAnnotations},
			}},
		}, opts...)
	case o.Kind == "Namespace":
		return corev1.NewNamespace(ctx, name, &corev1.NamespaceArgs{Metadata: meta}, opts...)
	case o.Kind == "ConfigMap":
		return corev1.NewConfigMap(ctx, name, &corev1.ConfigMapArgs{Metadata: meta, Data: o.Data}, opts...)
	case o.Kind == "Secret":
		return corev1.NewSecret(ctx, name, &corev1.SecretArgs{
			Metadata: meta, Type: pulumi.String("Opaque"), Data: o.SecretData(),
		}, opts...)
	case o.Patch:
		return apiextensions.NewCustomResourcePatch(ctx, name, &apiextensions.CustomResourcePatchArgs{
			ApiVersion: pulumi.String(o.APIVersion), Kind: pulumi.String(o.Kind), Metadata: meta,
			OtherFields: kubernetes.UntypedArgs{"spec": o.Spec},
		}, opts...)
	default:
		return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(o.APIVersion), Kind: pulumi.String(o.Kind), Metadata: meta,
			OtherFields: kubernetes.UntypedArgs{"spec": o.Spec},
		}, opts...)
	}
}

// newNodeTaints registers, as children of parent, a NodeTaints for each
// node patch of args with taints, served by the peerpods provider among
// the component's options (componentOpts; Args.check made sure there is
// one), whose kubeconfig is the resources' connection.
//
// Each waits for what the objects wait for (wait: the resources the
// values need, the key check) and for its node's NodePatch
// (labels), nothing else: not the namespace, and the KataConfig does not
// wait for it. The NodePatch of this project's earlier versions applied
// spec.taints, and its update to labels only removes the taint list it
// owned: the taints are added after that, and so owned by the NodeTaints
// (on destroy they go first, the labels after them).
func newNodeTaints(ctx *pulumi.Context, name string, parent pulumi.Resource, args Args, wait []pulumi.ResourceOption, labels map[string]pulumi.Resource, componentOpts []pulumi.ResourceOption) error {
	var prov pulumi.ProviderResource
	for _, n := range args.Nodes {
		if len(n.Taints) == 0 {
			continue
		}
		if prov == nil {
			var err error
			if prov, err = providers.RequireProvider("peerpods", "peerpods", componentOpts); err != nil {
				return err
			}
		}
		taints := make(ppkube.TaintArray, len(n.Taints))
		for i, t := range n.Taints {
			taints[i] = ppkube.TaintArgs{Key: pulumi.String(t.Key), Value: providers.OptionalString(t.Value), Effect: pulumi.String(t.Effect)}
		}
		opts := append([]pulumi.ResourceOption{pulumi.Parent(parent), pulumi.Provider(prov)}, wait...)
		if patch, ok := labels[n.Name]; ok {
			opts = append(opts, pulumi.DependsOn([]pulumi.Resource{patch}))
		}
		if _, err := ppkube.NewNodeTaints(ctx, name+"-"+n.Name, &ppkube.NodeTaintsArgs{
			Node: pulumi.String(n.Name), Taints: taints,
		}, opts...); err != nil {
			return err
		}
	}
	return nil
}
