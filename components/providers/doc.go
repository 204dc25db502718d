// Package providers finds the Pulumi providers a component needs among
// the resource options its caller gives (by package, typed or as a
// reference), and turns optional settings into optional provider inputs.
package providers
