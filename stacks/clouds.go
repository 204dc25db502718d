package stacks

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/peerpods/provisioner/components/contract"
)

// The registry: the clouds compiled into this build. Each cloud is one
// file stacks/cloud_<name>.go holding one register line under the build
// constraint "!peerpods_clouds || <name>": the default build has every
// cloud; go build -tags peerpods_clouds,aws has AWS only (as
// cloud-api-adaptor's cmd/cloud-api-adaptor/<provider>.go files select
// its providers by build tag).
var registry []Cloud

// register adds c to the registry, which stays in the contract's order of
// clouds.
func register(c Cloud) {
	registry = append(registry, c)
	slices.SortStableFunc(registry, func(a, b Cloud) int {
		return slices.Index(contract.Clouds, a.Name()) - slices.Index(contract.Clouds, b.Name())
	})
}

// Clouds returns the clouds of this build, in documentation order.
func Clouds() []Cloud { return slices.Clone(registry) }

// CloudNamed returns the registered cloud name.
func CloudNamed(name contract.Cloud) (Cloud, bool) {
	for _, c := range registry {
		if c.Name() == name {
			return c, true
		}
	}
	return nil, false
}

// cloudList quotes the names of the registered clouds.
func cloudList() string {
	names := make([]string, len(registry))
	for i, c := range registry {
		names[i] = strconv.Quote(string(c.Name()))
	}
	return strings.Join(names, ", ")
}

// notBuilt explains a cloud of the contract that this build leaves out.
func notBuilt(name string) string {
	return fmt.Sprintf("is %q, which this build of peerpods leaves out (built for %s)", name, cloudList())
}
