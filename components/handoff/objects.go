package handoff

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peerpods/provisioner/components/check"
	"github.com/peerpods/provisioner/components/common"
	"github.com/peerpods/provisioner/components/contract"
	"github.com/peerpods/provisioner/components/problems"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// Object is one Kubernetes object of the handoff. It is the one model of
// what reaches the cluster: the pulumi-kubernetes resources of
// ClusterHandoff, the rendered manifests and the contract tests are all
// derived from Objects.
type Object struct {
	// APIVersion is the object's apiVersion, such as v1.
	APIVersion string
	// Kind is the object's kind, such as ConfigMap.
	Kind string
	// Name is the object's name.
	Name string
	// Namespace is empty for cluster-scoped objects.
	Namespace string
	// Labels of the object; the objects this project owns carry
	// common.ManagedByLabel.
	Labels map[string]string
	// Patch marks an object this project does not own: only the fields
	// given are applied (server-side apply), and only they are removed.
	Patch bool
	// Retain keeps the object when the stack is destroyed.
	Retain bool
	// Data is a ConfigMap's data or a Secret's data, in plain text here; a
	// Secret is written with data (base64), not stringData: server-side
	// apply tracks the owner of each data key, so a key the stack stops
	// sending is removed, while keys written through the write-only
	// stringData would stay behind.
	Data pulumi.StringMapInput
	// Spec is a custom resource's spec.
	Spec pulumi.Map
	// TemplateAnnotations are a workload patch's pod-template annotations
	// (spec.template.metadata.annotations): cloud-api-adaptor's DaemonSet
	// (HashAnnotation).
	TemplateAnnotations pulumi.StringMap
	// Taints are the taints a node patch adds. They are not part of the
	// patch (its manifest and NodePatch carry metadata.labels only): a
	// node's spec.taints is one atomic list (k8s.io/api v0.34.2
	// core/v1/types.go, NodeSpec.Taints "+listType=atomic"), which an
	// apply would own and replace as a whole. ClusterHandoff adds them with
	// a NodeTaints; RenderManifests lists the oc adm taint commands.
	Taints []Taint
	// Secret marks objects whose content is secret.
	Secret bool
	// Force applies the object's fields over those other field managers
	// own (pulumi-kubernetes' pulumi.com/patchForce annotation): set for
	// the adopted objects, which the stack takes over.
	Force bool
	// AfterAll makes the object depend on every object before it in the
	// handoff: the KataConfig, since the operator validates peer-pods-cm and
	// peer-pods-secret when it is created and when it is deleted, and needs
	// the node labels its pool selector matches. Destroy runs the other way
	// round: the KataConfig goes first, while the rest still exists.
	AfterAll bool
}

// KataConfigOptions ask for a KataConfig (kataconfiguration.openshift.io/v1)
// with peer pods enabled.
type KataConfigOptions struct {
	// Name of the KataConfig (cluster-scoped, a DNS-1123 subdomain),
	// default cluster-kataconfig (DefaultKataConfigName).
	Name string `json:"name,omitzero" pulumi:"name,optional"`
	// PoolSelector, when set, is kataConfigPoolSelector.matchLabels: the
	// nodes the kata runtime goes to (default: none, the operator's own
	// choice of nodes). The nodes of peerpods:placement.kataNodes get
	// these labels.
	PoolSelector map[string]string `json:"poolSelector,omitzero" pulumi:"poolSelector,optional"`
}

// KataPoolSelectorSetting names the KataConfig's pool selector in errors.
const KataPoolSelectorSetting = "kataConfig.poolSelector"

// Validate checks what Kubernetes would refuse: the name, a DNS-1123
// subdomain (the KataConfig is cluster-scoped), and the pool selector's
// label keys and values. setting names the options in errors, such as
// "kataConfig". A nil k is valid.
func (k *KataConfigOptions) Validate(setting string) error {
	if k == nil {
		return nil
	}
	var p problems.List
	if k.Name != "" {
		p.Add(check.DNSSubdomain(setting+".name", k.Name, "a KataConfig name", "use a lower-case name such as "+DefaultKataConfigName))
	}
	p.Add(check.Labels(setting+".poolSelector", k.PoolSelector))
	return p.Err()
}

// Operator custom resources.
const (
	// KataConfigAPIVersion is the KataConfig's apiVersion.
	KataConfigAPIVersion = "kataconfiguration.openshift.io/v1"
	// KataConfigKind is the KataConfig's kind.
	KataConfigKind = "KataConfig"
	// DefaultKataConfigName is the KataConfig's name when the options
	// give none.
	DefaultKataConfigName = "cluster-kataconfig"
)

// Objects is the handoff of args: the operator's namespace (created when
// missing, never deleted), peer-pods-cm, peer-pods-secret, ssh-key-secret
// when args has one and the cloud uses one, the node patches of the
// placement, the optional KataConfig and, last, when args say so
// (WithCAARestart), the patch of cloud-api-adaptor's DaemonSet that
// restarts it, in the order they are applied. (The operator 1.10 has no PeerPodConfig:
// PEERPODS_LIMIT_PER_NODE in peer-pods-cm carries the limit.)
func Objects(args Args) []Object {
	owned := func() map[string]string { return map[string]string{common.ManagedByLabel: common.ManagedBy} }
	objs := []Object{
		{APIVersion: "v1", Kind: "Namespace", Name: contract.Namespace, Retain: true},
		ConfigMapObject(args.ConfigMap),
	}
	id := args.identity()
	if contract.WritesSecret(id) {
		objs = append(objs, Object{APIVersion: "v1", Kind: "Secret", Name: contract.SecretName, Namespace: contract.Namespace, Labels: owned(), Data: args.Secret, Secret: true})
	}
	if args.SSHKeySecret != nil && usesSSHKey(args.line(), args.Cloud) {
		objs = append(objs, Object{APIVersion: "v1", Kind: "Secret", Name: contract.SSHKeySecretName, Namespace: contract.Namespace,
			Labels: owned(), Data: args.SSHKeySecret, Secret: true})
	}
	if id == contract.IdentityWorkload && args.OperatorEnv != nil {
		objs = append(objs, identityObjects(args)...)
	}
	for _, n := range args.Nodes {
		objs = append(objs, Object{APIVersion: "v1", Kind: "Node", Name: n.Name, Patch: true, Labels: n.Labels, Taints: n.Taints})
	}
	if k := args.KataConfig; k != nil {
		spec := pulumi.Map{"enablePeerPods": pulumi.Bool(true)}
		if len(k.PoolSelector) > 0 {
			spec["kataConfigPoolSelector"] = pulumi.Map{"matchLabels": pulumi.ToStringMap(k.PoolSelector)}
		}
		objs = append(objs, Object{APIVersion: KataConfigAPIVersion, Kind: KataConfigKind, Name: orDefault(k.Name, DefaultKataConfigName),
			Labels: owned(), Spec: spec, AfterAll: true})
	}
	return append(objs, caaObjects(args.restart, objs)...)
}

// identityObjects hand a workload identity to the operator: its env in
// the operator's OLM Subscription (spec.config.env, which OLM sets on the
// operator's Deployment, and which the operator reads in
// contract.OperatorNext controllers/credentials_controller.go
// checkAndSetupSTSWorkflow), and, for Azure, the osc-identity ConfigMap
// of the operator team's CI (contract.IdentityConfigMapName).
//
// The Subscription is a patch: OLM and the admin own the rest of it, and
// spec.config.env, a list without merge keys in OLM's CRD, is applied as
// a whole.
func identityObjects(args Args) []Object {
	env := args.OperatorEnv.ToStringMapOutput()
	envList := env.ApplyT(func(m map[string]string) []any {
		var out []any
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, map[string]any{"name": k, "value": m[k]})
		}
		return out
	}).(pulumi.ArrayOutput)
	objs := []Object{{APIVersion: contract.SubscriptionAPIVersion, Kind: contract.SubscriptionKind, Name: args.Subscription, Namespace: contract.Namespace,
		Patch: true, Spec: pulumi.Map{"config": pulumi.Map{"env": envList}}}}
	if contract.Cloud(args.Cloud) == contract.Azure {
		data := env.ApplyT(func(m map[string]string) map[string]string {
			out := map[string]string{}
			for k, v := range m {
				if name, ok := contract.IdentityConfigMapKeys[k]; ok {
					out[name] = v
				}
			}
			return out
		}).(pulumi.StringMapOutput)
		objs = append(objs, Object{APIVersion: "v1", Kind: "ConfigMap", Name: contract.IdentityConfigMapName, Namespace: contract.IdentityConfigMapNamespace,
			Labels: map[string]string{common.ManagedByLabel: common.ManagedBy}, Data: data})
	}
	return objs
}

// usesSSHKey reports whether line l's cloud-api-adaptor of cloud reads
// ssh-key-secret (package contract): Azure's stopped at 1.11.
func usesSSHKey(l contract.Line, cloud string) bool {
	set, ok := contract.ForLine(l, contract.Cloud(cloud))
	return ok && set.SSHKeys != nil
}

// ConfigMapObject is the peer-pods-cm object with data.
func ConfigMapObject(data pulumi.StringMapInput) Object {
	return Object{APIVersion: "v1", Kind: "ConfigMap", Name: contract.ConfigMapName, Namespace: contract.Namespace,
		Labels: map[string]string{common.ManagedByLabel: common.ManagedBy}, Data: data}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Manifest is the object as a Kubernetes manifest (apiVersion, kind,
// metadata and content), values still outputs.
func (o Object) Manifest() pulumi.Map {
	var content any
	switch {
	case o.Kind == "ConfigMap":
		content = o.Data
	case o.Kind == "Secret":
		content = o.SecretData()
	case o.Spec != nil:
		content = o.Spec
	case o.TemplateAnnotations != nil:
		content = pulumi.Map{"template": pulumi.Map{"metadata": pulumi.Map{"annotations": o.TemplateAnnotations}}}
	}
	return pulumi.ToMap(o.manifest(content))
}

// SecretData is a Secret's data, base64-encoded as the API wants it, a
// secret output.
func (o Object) SecretData() pulumi.StringMapOutput {
	return pulumi.ToSecret(o.Data.ToStringMapOutput().ApplyT(func(m map[string]string) map[string]string {
		enc := make(map[string]string, len(m))
		for k, v := range m {
			enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
		}
		return enc
	})).(pulumi.StringMapOutput)
}

// PlainManifest is the object as a manifest with resolved content: the
// data of a ConfigMap, the base64 data of a Secret, the spec of a custom
// resource.
func (o Object) PlainManifest(content any) map[string]any { return o.manifest(content) }

func (o Object) manifest(content any) map[string]any {
	meta := map[string]any{"name": o.Name}
	if o.Namespace != "" {
		meta["namespace"] = o.Namespace
	}
	if len(o.Labels) > 0 {
		meta["labels"] = o.Labels
	}
	m := map[string]any{"apiVersion": o.APIVersion, "kind": o.Kind, "metadata": meta}
	switch {
	case o.Kind == "ConfigMap":
		m["data"] = content
	case o.Kind == "Secret":
		m["type"] = "Opaque"
		m["data"] = content
	case o.Kind == "Node": // labels only (see Taints)
	case content != nil:
		m["spec"] = content
	}
	return m
}

// TaintCommands are the commands that add the taints of a node patch
// without touching the node's other taints (oc adm taint nodes, which
// refuses a taint of the same key and effect with another value unless
// given --overwrite), one per taint; none for other objects.
func (o Object) TaintCommands() []string {
	if o.Kind != "Node" {
		return nil
	}
	out := make([]string, len(o.Taints))
	for i, t := range o.Taints {
		out[i] = "oc adm taint nodes " + o.Name + " " + t.String()
	}
	return out
}

// taintComment is the YAML comment before a node patch's manifest with
// taints: why they are not in it, and the commands that add and remove
// them.
func (o Object) taintComment() string {
	cmds := o.TaintCommands()
	if len(cmds) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Node %s: add its taints with the commands below, not with this manifest.\n", o.Name)
	b.WriteString("# spec.taints is one atomic list: a manifest holding it would own and\n")
	b.WriteString("# replace the node's whole taint list, others' taints included.\n")
	for _, c := range cmds {
		b.WriteString("#   " + c + "\n")
	}
	b.WriteString("# Remove them with the same commands ending in '-' (oc adm taint nodes NODE KEY:EFFECT-).\n")
	return b.String()
}

// RenderManifests renders objects as one multi-document YAML, a secret
// output when any object is secret. A node patch with taints is preceded
// by a comment with the commands that add them (TaintCommands).
func RenderManifests(objs []Object) pulumi.StringOutput {
	docs := make(pulumi.Array, len(objs))
	comments := make([]string, len(objs))
	secret := false
	for i, o := range objs {
		docs[i] = o.Manifest()
		comments[i] = o.taintComment()
		secret = secret || o.Secret
	}
	out := docs.ToArrayOutput().ApplyT(func(docs []any) (string, error) { return renderYAML(docs, comments) }).(pulumi.StringOutput)
	if secret {
		out = pulumi.ToSecret(out).(pulumi.StringOutput)
	}
	return out
}

// RenderYAML renders resolved manifests as a multi-document YAML stream.
func RenderYAML(docs []any) (string, error) { return renderYAML(docs, nil) }

// renderYAML is RenderYAML with a comment (complete lines) before each
// document that has one.
func renderYAML(docs []any, comments []string) (string, error) {
	var b bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			b.WriteString("---\n")
		}
		if i < len(comments) {
			b.WriteString(comments[i])
		}
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(d); err != nil {
			return "", fmt.Errorf("rendering manifest %d: %w", i, err)
		}
		if err := enc.Close(); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}
