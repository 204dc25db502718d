// Package aws prepares an AWS VPC for OpenShift peer pods: it finds the
// worker security groups, subnet, VPC and region of a cluster and opens the
// kata agent and tunnel ports within each worker security group, then hands
// the AWS peer-pods values on.
package aws
