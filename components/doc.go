// Package components holds what every cloud shares: the peer-pods ports and
// protocols, the key names the sandboxed-containers operator reads, the
// common settings and the shared validation rules, and the Values and
// Outputs a cloud component hands on. Its sub-packages are the interface a
// cloud implements (cloud), the operator contract (contract) and the
// cluster handoff (handoff).
//
// A cloud package depends on these packages and never on another cloud
// package.
package components
