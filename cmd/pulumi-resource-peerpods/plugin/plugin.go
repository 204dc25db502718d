// Package plugin assembles the provider plugin pulumi-resource-peerpods:
// the libvirt resources (package libvirt/provider), the cluster handoff's
// NodeTaints (package cmd/pulumi-resource-peerpods/nodetaints) and, as component
// resources every Pulumi language can use, the PeerPods component of each
// cloud built in (one file cloud_<name>.go each, under the same build
// constraint as the program's stacks/cloud_<name>.go) and the cluster
// handoff. The plugin's command and the SDK generator (hack/sdkgen) build
// the same provider, so that the checked-in SDK is the plugin's. Nothing
// here links the program (package stacks) or its stack-file loader.
package plugin

import (
	"slices"
	"strings"

	"github.com/peerpods/provisioner/cmd/pulumi-resource-peerpods/nodetaints"
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/libvirt/provider"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// New returns the plugin's provider.
func New() (p.Provider, error) { return provider.NewWith(Resources(), Components()...) }

// Resources are the custom resources the plugin serves besides the
// libvirt ones: the NodeTaints the cluster handoff adds node taints with.
func Resources() []infer.InferredResource {
	return []infer.InferredResource{nodetaints.Resource()}
}

// served are the PeerPods components of the clouds built in, by cloud
// name (registered by the cloud_<name>.go files).
var served = map[string]infer.InferredComponent{}

// serve registers cloud's PeerPods component.
func serve(cloud string, c infer.InferredComponent) { served[cloud] = c }

// Clouds are the names of the clouds whose PeerPods the plugin serves,
// sorted.
func Clouds() []string {
	var out []string
	for c := range served {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Components are the component resources the plugin serves: the cluster
// handoff and each built-in cloud's PeerPods, in the order of Clouds.
func Components() []infer.InferredComponent {
	out := []infer.InferredComponent{infer.Component(clusterHandoff{})}
	for _, c := range Clouds() {
		out = append(out, served[c])
	}
	return out
}

// clusterHandoff serves handoff.NewClusterHandoff under its type token
// peerpods:components:ClusterHandoff (the token it had when the
// component described itself), with its description.
type clusterHandoff struct{}

// Construct implements infer.ComponentResource.
func (clusterHandoff) Construct(ctx *pulumi.Context, name, _ string, args handoff.Args, opts pulumi.ResourceOption) (*handoff.ClusterHandoff, error) {
	return handoff.NewClusterHandoff(ctx, name, args, opts)
}

// Annotate describes the component and sets its token.
func (c *clusterHandoff) Annotate(a infer.Annotator) {
	a.Describe(c, strings.Join([]string{
		"Writes peer-pods-cm, peer-pods-secret, ssh-key-secret (for a cloud that uses one) and the optional KataConfig and node labels into the sandboxed-containers operator's namespace,",
		"after checking the maps' keys against the operator's contract, and adds the nodes' taints (NodeTaints), keeping the taints others set.",
		"Pass the cloud component's outputs and explicit providers: a Kubernetes provider and, when nodes have taints, a peerpods provider configured with the cluster's kubeconfig (its kubeconfig setting, a secret).",
	}, " "))
	a.SetToken(handoff.TokenModule, handoff.TokenName)
}
