// Package stacks is the Pulumi program: it reads the stack configuration
// (the Pulumi.<stack>.yaml files beside it), validates all of it before any
// resource is registered, creates the providers, wires the component of the
// configured cloud to the ClusterHandoff and exports the stack outputs.
//
// Run is the program; the root main package and the Automation API both run
// it.
package stacks
