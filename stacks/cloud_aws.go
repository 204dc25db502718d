//go:build !peerpods_clouds || aws

package stacks

import "github.com/peerpods/provisioner/aws"

func init() { register(aws.Cloud{}) }
