//go:build !peerpods_clouds || gcp

package plugin

import (
	"github.com/peerpods/provisioner/gcp"
	"github.com/pulumi/pulumi-go-provider/infer"
)

func init() { serve("gcp", infer.ComponentF(gcp.NewPeerPods)) }
