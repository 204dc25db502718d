//go:build !peerpods_clouds || azure

package plugin

import (
	"github.com/peerpods/provisioner/azure"
	"github.com/pulumi/pulumi-go-provider/infer"
)

func init() { serve("azure", infer.ComponentF(azure.NewPeerPods)) }
