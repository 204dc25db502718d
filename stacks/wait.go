package stacks

import (
	"fmt"
	"time"

	"github.com/peerpods/provisioner/components/problems"
)

// DefaultWaitTimeout bounds how long peerpods up follows the operator
// (peerpods:waitTimeout): the operator's docs give 10 to 60 minutes or
// more for installing kata, each node rebooting.
const DefaultWaitTimeout = 90 * time.Minute

// waitTimeoutPattern is the stack-file schema of peerpods:waitTimeout: a
// Go duration of whole units.
const waitTimeoutPattern = `^([0-9]+(\.[0-9]+)?(h|m|s))+$`

// WaitTimeout reads peerpods:waitTimeout as the stack file has it (set
// false: DefaultWaitTimeout); the error names the setting and the fix.
func WaitTimeout(value string, set bool) (time.Duration, error) {
	if !set {
		return DefaultWaitTimeout, nil
	}
	d, err := time.ParseDuration(value)
	if err != nil || d <= 0 {
		return 0, problems.Invalid("peerpods:waitTimeout", fmt.Sprintf("is %q, not a positive duration", value), "set it to one such as 90m or 2h")
	}
	return d, nil
}
