// Package plugin assembles the provider plugin pulumi-resource-peerpods:
// the libvirt resources (package libvirt/provider), the cluster handoff's
// NodeTaints (package components/handoff/nodetaints) and, as component
// resources every Pulumi language can use, the PeerPods component of each
// cloud in the registry (package stacks) and the cluster handoff. The
// plugin's command and the SDK generator (hack/sdkgen) build the same
// provider, so that the checked-in SDK is the plugin's.
package plugin

import (
	"github.com/peerpods/provisioner/components/handoff"
	"github.com/peerpods/provisioner/components/handoff/nodetaints"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/peerpods/provisioner/stacks"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// New returns the plugin's provider.
func New() (p.Provider, error) { return provider.NewWith(Resources(), Components()...) }

// Resources are the custom resources the plugin serves besides the
// libvirt ones: the NodeTaints the cluster handoff adds node taints with.
func Resources() []infer.InferredResource {
	return []infer.InferredResource{nodetaints.Resource()}
}

// Components are the component resources the plugin serves: each
// registered cloud's PeerPods, and the cluster handoff.
func Components() []infer.InferredComponent {
	out := []infer.InferredComponent{infer.ComponentF(handoff.NewClusterHandoff)}
	for _, c := range stacks.Clouds() {
		out = append(out, c.Component())
	}
	return out
}
