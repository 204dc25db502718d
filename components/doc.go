// Package components is the root of what every cloud component shares,
// one concept per package:
//
//   - contract: the contract with the sandboxed-containers operator and
//     cloud-api-adaptor (key names, formats, clouds, identity modes);
//   - common: the common settings and their defaults;
//   - problems: errors naming settings; check: the shared validation rules;
//   - netrules: ports, protocols, address ranges, exposure, priorities;
//   - identity: credential modes and the OIDC issuer;
//   - values: what a cloud component hands on, and its outputs;
//   - sshkey: the SSH key pair component; providers: finding providers;
//   - handoff: the cluster handoff component;
//   - leftovers: what cloud-api-adaptor leaves behind, by its names.
//
// The cloud components (packages aws, azure, gcp, libvirt) and the
// handoff depend on these and on their Pulumi provider SDKs only; both
// binaries (the peerpods command and the pulumi-resource-peerpods plugin)
// link them.
package components
