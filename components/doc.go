// Package components holds what every cloud shares: the peer-pods ports and
// protocols, the key names the sandboxed-containers operator reads, input
// validation, the Values a cloud component hands on, and the ClusterHandoff
// component that writes them into the cluster.
//
// A cloud package depends on this package and never on another cloud package.
package components
