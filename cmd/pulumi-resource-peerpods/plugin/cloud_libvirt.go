//go:build !peerpods_clouds || libvirt

package plugin

import (
	"github.com/peerpods/provisioner/libvirt"
	"github.com/peerpods/provisioner/libvirt/provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

func init() {
	// The component's libvirt provider instance is this plugin, at this
	// plugin's version (set at link time by make release).
	libvirt.PluginVersion = provider.Version
	serve("libvirt", infer.ComponentF(libvirt.NewPeerPods))
}
