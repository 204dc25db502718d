//go:build !peerpods_clouds || aws

package plugin

import (
	"github.com/peerpods/provisioner/aws"
	"github.com/pulumi/pulumi-go-provider/infer"
)

func init() { serve("aws", infer.ComponentF(aws.NewPeerPods)) }
