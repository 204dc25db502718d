//go:build !peerpods_clouds || libvirt

package stacks

import "github.com/peerpods/provisioner/libvirt"

func init() { register(libvirt.Cloud{}) }
