// Package tests holds the tests of the whole: the end-to-end tests on the
// real Pulumi engine, libvirtd, sshd and kube-apiserver (build tag e2e:
// the example stacks, upgrades from earlier commits' state, the fault
// suite, discovery, placement), the operator contract tests and the
// dependency tests of the component packages and the binaries. Its
// subpackages under testkit are the test helpers. Nothing here ships.
package tests
