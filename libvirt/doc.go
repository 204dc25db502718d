// Package libvirt is the libvirt (IBM Z / KVM) peer-pods component: a
// storage pool, the pod VM image volume and, for a remote KVM host, SSH key
// access with a pinned host key, all through the project's own provider
// plugin (pulumi-resource-peerpods, see package libvirt/provider), registered
// through the plugin's generated Go SDK (sdk/go/peerpods). Its settings are
// checked by package libvirt/settings, which the plugin's Check uses too.
// It hands on the libvirt peer-pods values and never talks to Kubernetes
// itself.
package libvirt
