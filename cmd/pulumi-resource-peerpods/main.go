// Command pulumi-resource-peerpods is the peerpods provider plugin: the
// libvirt storage pool, storage volume and KVM host access resources.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/peerpods/provisioner/internal/plugin"
	"github.com/peerpods/provisioner/libvirt/provider"
)

func main() {
	p, err := plugin.New()
	if err == nil {
		err = p.Run(context.Background(), provider.Name, provider.Version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
