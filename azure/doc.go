// Package azure prepares an Azure cluster network for OpenShift peer pods:
// outbound NAT for the pod VMs (on the worker subnet, or in a peered
// peer-pod VNet), NSG rules for the kata agent and tunnel ports, and an SSH
// key pair, then hands the Azure peer-pods values on.
package azure
