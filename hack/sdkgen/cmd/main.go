// Command cmd writes the Go SDK of the peerpods provider plugin, generated
// from the provider's schema, into sdk/go (see package sdkgen):
//
//	go run ./hack/sdkgen/cmd [-check] [-dir DIR]
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/peerpods/provisioner/hack/sdkgen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command with its arguments and output; it returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	if err := sdkgen.Main(args, stdout); err != nil {
		fmt.Fprintln(stderr, "sdkgen:", err)
		return 1
	}
	return 0
}
