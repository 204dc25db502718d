//go:build !peerpods_clouds || azure

package stacks

import "github.com/peerpods/provisioner/azure"

func init() { register(azure.Cloud{}) }
