// Package aws prepares an AWS VPC for OpenShift peer pods: it finds the
// worker security groups, subnet, VPC and region of a cluster, opens the
// kata agent and tunnel ports within each worker security group (using a
// rule the group already has where one allows the port), gives
// cloud-api-adaptor its credentials the way the cluster does (the
// operator's CCO flow, static keys, or an IAM role trusted through the
// cluster's OIDC issuer, which requires an AMI), prepares what the
// operator's image job needs with static keys, then hands the AWS
// peer-pods values on.
package aws
