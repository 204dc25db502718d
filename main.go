// Command peerpods is the Pulumi program of this project (Pulumi.yaml,
// runtime go): it runs stacks.Run for the selected stack.
package main

import (
	"github.com/peerpods/provisioner/stacks"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() { pulumi.Run(stacks.Run) }
