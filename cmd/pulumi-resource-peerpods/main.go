// Command pulumi-resource-peerpods is the peerpods provider plugin: the
// libvirt storage pool, storage volume and KVM host access resources.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/peerpods/provisioner/cmd/pulumi-resource-peerpods/plugin"
	"github.com/peerpods/provisioner/libvirt/provider"
)

func main() {
	go exitWithParent(os.Getppid(), 200*time.Millisecond)
	p, err := plugin.New()
	if err == nil {
		err = p.Run(context.Background(), provider.Name, provider.Version)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}

// exitWithParent ends the plugin as soon as the engine that started it
// (its parent) is gone. An engine killed with SIGKILL cannot stop its
// plugins, and the SDK's own check notices a dead engine only after five
// minutes (pulumi/sdk/v3 go/pulumi/provider/main.go, rpcutil.Healthcheck):
// meanwhile an orphan could go on writing a volume the next run makes
// again. What the cut operation left is resolved by the next peerpods run
// (cmd/peerpods, recoverInterrupted).
func exitWithParent(parent int, every time.Duration) {
	for range time.Tick(every) {
		if os.Getppid() != parent {
			fmt.Fprintln(os.Stderr, "pulumi-resource-peerpods: the engine is gone; exiting")
			os.Exit(1)
		}
	}
}
