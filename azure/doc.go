// Package azure prepares an Azure cluster network for OpenShift peer pods:
// outbound NAT for the pod VMs (on the worker subnet, reusing a NAT gateway
// it already has, or in a peered peer-pod VNet), NSG rules for the kata
// agent and tunnel ports (adopting rules that already let them through),
// an SSH key pair and, in workload identity mode, a managed identity that
// trusts cloud-api-adaptor's service account tokens, then hands the Azure
// peer-pods values on.
package azure
