// Cloud side of OpenShift sandboxed containers peer pods: the AWS, Azure, GCP and libvirt components, the cluster handoff and its node taints, libvirt storage and KVM host access.
package peerpods
