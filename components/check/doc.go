// Package check holds the validation rules every cloud shares: ports,
// numbers, durations, names, patterns, DNS names and labels, pod VM tags
// and the peerpods:extra keys against the operator contract. Each rule
// returns a problems.InputError naming the setting it checked.
package check
