//go:build !peerpods_clouds || gcp

package stacks

import "github.com/peerpods/provisioner/gcp"

func init() { register(gcp.Cloud{}) }
