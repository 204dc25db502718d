// Package stacks is the Pulumi program: it reads the stack configuration
// (the Pulumi.<stack>.yaml files beside it), validates all of it before any
// resource is registered, has the configured cloud register its providers
// and component, wires its values to the cluster handoff and exports the
// stack outputs.
//
// It knows the clouds only through the registry: one file
// cloud_<name>.go per cloud, built unless the build selects other clouds
// (go build -tags peerpods_clouds,<name>,...). The command, the plugin and
// the tests iterate the registry too (Clouds).
//
// Run is the program; the root main package and the Automation API both run
// it.
package stacks
