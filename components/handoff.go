package components

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
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
	// HandoffOff writes nothing to the cluster; the values are only stack
	// outputs.
	HandoffOff HandoffMode = "off"
)

// ParseHandoffMode checks a handoff mode name.
func ParseHandoffMode(setting, value string) (HandoffMode, error) {
	switch m := HandoffMode(value); m {
	case HandoffCluster, HandoffOff:
		return m, nil
	}
	return "", Invalid(setting, fmt.Sprintf("is %q, which is not a handoff mode", value),
		`use "cluster" (write peer-pods-cm and the secrets into the cluster) or "off" (stack outputs only)`)
}

// ClusterHandoffArgs are the inputs of a ClusterHandoff.
type ClusterHandoffArgs struct {
	// Values are what the cloud component handed on. Every key the operator
	// needs must be present.
	Values Values
}

// ClusterHandoff writes peer-pods-cm, peer-pods-secret and, when the cloud
// has one, ssh-key-secret into the operator's namespace. It knows no cloud:
// it writes the Values it is given, after checking them against the key
// reference. The Kubernetes provider comes from the caller; a provider with
// EnableConfigMapMutable and EnableSecretMutable updates the objects in
// place instead of replacing them.
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
	if err := args.Values.Check(true); err != nil {
		return nil, err
	}
	if missing := args.Values.MissingSecrets(); len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing %v; the operator needs them to create pod VMs", SecretName, missing)
	}
	provider, err := RequireProvider[*kubernetes.Provider]("Kubernetes", opts)
	if err != nil {
		return nil, err
	}

	h := &ClusterHandoff{}
	opts = append(opts, pulumi.DependsOn(args.Values.Ready))
	if err := ctx.RegisterComponentResource(ClusterHandoffType, name, h, opts...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(h), pulumi.Provider(provider)}
	meta := func(objName string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{
			Name:      pulumi.String(objName),
			Namespace: pulumi.String(OperatorNamespace),
			Labels:    pulumi.StringMap{ManagedByLabel: pulumi.String(ManagedBy)},
		}
	}

	if _, err := corev1.NewConfigMap(ctx, name+"-"+ConfigMapName, &corev1.ConfigMapArgs{
		Metadata: meta(ConfigMapName),
		Data:     args.Values.ConfigMap,
	}, child...); err != nil {
		return nil, err
	}
	secrets := pulumi.StringArray{pulumi.String(SecretName)}
	if _, err := corev1.NewSecret(ctx, name+"-"+SecretName, &corev1.SecretArgs{
		Metadata:   meta(SecretName),
		Type:       pulumi.String("Opaque"),
		StringData: args.Values.SecretOutput(),
	}, child...); err != nil {
		return nil, err
	}
	if args.Values.SSHKey != nil {
		if _, err := corev1.NewSecret(ctx, name+"-"+SSHKeySecretName, &corev1.SecretArgs{
			Metadata:   meta(SSHKeySecretName),
			Type:       pulumi.String("Opaque"),
			StringData: args.Values.SSHKeyOutput(),
		}, child...); err != nil {
			return nil, err
		}
		secrets = append(secrets, pulumi.String(SSHKeySecretName))
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
