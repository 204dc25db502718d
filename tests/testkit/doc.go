// Package testkit is the home of the test helpers: each subpackage serves
// tests only and is linked into no binary this project ships (the
// peerpods command and the pulumi-resource-peerpods plugin). The helpers
// are proven by the tests that use them.
package testkit
