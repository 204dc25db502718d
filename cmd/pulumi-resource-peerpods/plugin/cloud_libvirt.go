//go:build !peerpods_clouds || libvirt

package plugin

import (
	"github.com/peerpods/provisioner/libvirt"
	"github.com/pulumi/pulumi-go-provider/infer"
)

func init() { serve("libvirt", infer.ComponentF(libvirt.NewPeerPods)) }
