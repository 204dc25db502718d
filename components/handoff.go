package components

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HandoffMode says whether and how the peer-pods values reach the cluster.
type HandoffMode string

// The handoff modes.
const (
	// HandoffCluster writes the objects into the cluster through
	// pulumi-kubernetes.
	HandoffCluster HandoffMode = "cluster"
	// HandoffManifests writes nothing to the cluster: the objects are one
	// multi-document YAML stack output (secret), for GitOps and oc apply.
	HandoffManifests HandoffMode = "manifests"
	// HandoffOff writes nothing to the cluster; the values are only stack
	// outputs.
	HandoffOff HandoffMode = "off"
)

// ParseHandoffMode checks a handoff mode name.
func ParseHandoffMode(setting, value string) (HandoffMode, error) {
	switch m := HandoffMode(value); m {
	case HandoffCluster, HandoffManifests, HandoffOff:
		return m, nil
	}
	return "", Invalid(setting, fmt.Sprintf("is %q, which is not a handoff mode", value),
		`use "cluster" (write peer-pods-cm and the secrets into the cluster), "manifests" (the same objects as a YAML stack output) or "off" (the values as stack outputs only)`)
}

// ClusterHandoffArgs are the inputs of a ClusterHandoff.
type ClusterHandoffArgs struct {
	// Values are what the cloud component handed on. Every key the operator
	// needs must be present.
	Values Values
	// Options add the optional operator objects.
	Options HandoffOptions
}

// ClusterHandoff writes the HandoffObjects of its values into the cluster:
// peer-pods-cm, peer-pods-secret and, when the cloud has one,
// ssh-key-secret in the operator's namespace (created when missing, never
// deleted), and the optional operator objects. It knows no cloud: it
// writes the Values it is given, after checking them against the key
// reference. The Kubernetes provider comes from the caller; a provider
// with EnableConfigMapMutable and EnableSecretMutable updates the objects
// in place instead of replacing them.
type ClusterHandoff struct {
	pulumi.ResourceState

	// Namespace is where the objects are written.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// ConfigMapName is the name of the ConfigMap written.
	ConfigMapName pulumi.StringOutput `pulumi:"configMapName"`
	// SecretNames are the names of the Secrets written.
	SecretNames pulumi.StringArrayOutput `pulumi:"secretNames"`
}

// ClusterHandoffType is the type token of ClusterHandoff.
const ClusterHandoffType = "peerpods:components:ClusterHandoff"

// NewClusterHandoff checks the values and writes them into the cluster once
// the resources in Values.Ready exist. The Kubernetes provider must be
// passed with pulumi.Provider or pulumi.Providers.
func NewClusterHandoff(ctx *pulumi.Context, name string, args ClusterHandoffArgs, opts ...pulumi.ResourceOption) (*ClusterHandoff, error) {
	if err := args.Values.CheckComplete(); err != nil {
		return nil, err
	}
	if err := args.Options.KataConfig.Validate("kataConfig"); err != nil {
		return nil, err
	}
	provider, err := RequireProvider("kubernetes", "Kubernetes", opts)
	if err != nil {
		return nil, err
	}

	h := &ClusterHandoff{}
	opts = append(opts, pulumi.DependsOn(args.Values.Ready))
	if err := ctx.RegisterComponentResource(ClusterHandoffType, name, h, opts...); err != nil {
		return nil, err
	}
	var secrets pulumi.StringArray
	var namespace, registered []pulumi.Resource
	for _, obj := range HandoffObjects(args.Values, args.Options) {
		deps := namespace // every object waits for the namespace
		if obj.AfterAll {
			deps = registered
		}
		child := []pulumi.ResourceOption{pulumi.Parent(h), pulumi.Provider(provider), pulumi.DependsOn(deps)}
		if obj.Retain {
			child = append(child, pulumi.RetainOnDelete(true))
		}
		res, err := newObject(ctx, name+"-"+obj.Name, obj, child...)
		if err != nil {
			return nil, err
		}
		if obj.Kind == "Namespace" {
			namespace = []pulumi.Resource{res}
		}
		registered = append(registered, res)
		if obj.Kind == "Secret" {
			secrets = append(secrets, pulumi.String(obj.Name))
		}
	}

	h.Namespace = pulumi.String(OperatorNamespace).ToStringOutput()
	h.ConfigMapName = pulumi.String(ConfigMapName).ToStringOutput()
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
	switch {
	case o.Kind == "Node":
		var taints corev1.TaintPatchArray
		for _, t := range o.Taints {
			taints = append(taints, &corev1.TaintPatchArgs{Key: pulumi.String(t.Key), Value: pulumi.StringPtr(t.Value), Effect: pulumi.String(t.Effect)})
		}
		args := &corev1.NodePatchArgs{Metadata: &metav1.ObjectMetaPatchArgs{Name: pulumi.String(o.Name), Labels: pulumi.ToStringMap(o.Labels)}}
		if len(taints) > 0 {
			args.Spec = &corev1.NodeSpecPatchArgs{Taints: taints}
		}
		return corev1.NewNodePatch(ctx, name, args, opts...)
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
