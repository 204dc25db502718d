// Cloud side of OpenShift sandboxed containers peer pods: libvirt storage and KVM host access.
package peerpods
