package pins

import (
	"fmt"
	"maps"
	"slices"
)

// Recorded are the values discovery found at the last up, by setting name
// (such as "aws.subnetId"), as the "discovered" stack output keeps them.
// A later run plans with them, so that a pull request's preview and the up
// after the merge plan the same thing even if the cluster changed between.
type Recorded map[string]string

// DiscoveryChange is a value discovery finds now that differs from the one
// recorded at the last up.
type DiscoveryChange struct {
	// Setting is the setting the value stands for, such as "aws.subnetId".
	Setting string
	// Recorded is the value recorded, which the stack keeps using.
	Recorded string
	// Found is what discovery finds now.
	Found string
}

// Message says what changed, what the stack does, and how to follow the
// cluster instead.
func (c DiscoveryChange) Message() string {
	return fmt.Sprintf("peerpods:%s was discovered as %q at the last up and is now %q; the stack keeps %q, so that this run plans what the last one did. To follow the cluster, set peerpods:%s to %q (or to the value you want)",
		c.Setting, c.Recorded, c.Found, c.Recorded, c.Setting, c.Found)
}

// Pins compares what discovery found (setting -> value, only settings the
// user did not give) with recorded, and returns the changes, sorted by
// setting. Recorded values of settings not discovered now are ignored.
func Pins(recorded Recorded, found map[string]string) []DiscoveryChange {
	var out []DiscoveryChange
	for _, s := range slices.Sorted(maps.Keys(found)) {
		if old, ok := recorded[s]; ok && old != "" && old != found[s] {
			out = append(out, DiscoveryChange{Setting: s, Recorded: old, Found: found[s]})
		}
	}
	return out
}

// PinDiscovery runs discover, compares what it decided (decided: setting ->
// value) with recorded and, when they differ, runs it again with the
// recorded values as if given (discover(true)), so that the run plans what
// the last up did. It returns the result, the values to record and the
// changes found.
func PinDiscovery[N any](recorded Recorded, discover func(pinned bool) (N, error), decided func(N) map[string]string) (N, map[string]string, []DiscoveryChange, error) {
	n, err := discover(false)
	if err != nil {
		return n, nil, nil, err
	}
	found := decided(n)
	changes := Pins(recorded, found)
	if len(changes) > 0 {
		if n, err = discover(true); err != nil {
			return n, nil, nil, err
		}
		found = decided(n)
	}
	return n, found, changes, nil
}
