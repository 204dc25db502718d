// Package values holds what a cloud component hands on: the peer-pods
// values (peer-pods-cm, peer-pods-secret and ssh-key-secret data), their
// completeness checks, the network rules made or adopted, and the
// component outputs every language reads.
package values
