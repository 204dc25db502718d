// Package pins compares the values discovery found in a run with those
// recorded at the last up, and reports each one that changed.
package pins
