// Package identity checks how cloud-api-adaptor gets its cloud
// credentials (peerpods:identity: cco, static or workload) against the
// credentials a stack gives, and the cluster's OIDC issuer workload
// identity trusts.
package identity
